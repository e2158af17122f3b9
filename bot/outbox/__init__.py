"""The durable outbox: every outgoing message is a row first, then sent by one dispatcher.

`enqueue` inside the transaction that causes the message, `wake(application)` after the
commit. See `bot.outbox.dispatcher` for delivery guarantees.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot
from telegram.ext import Application, BaseRateLimiter
from telegram.request import HTTPXRequest

from bot.config import Settings
from bot.context import services
from bot.db.session import after_commit
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.journal import FILE_NAME as JOURNAL_FILE
from bot.outbox.journal import SentJournal
from bot.outbox.store import cancel_pending, enqueue
from bot.outbox.tracker import FILE_NAME as TOPS_FILE
from bot.outbox.tracker import ChatTops, TrackingLimiter

__all__ = [
    "cancel_pending",
    "dispatcher_of",
    "enqueue",
    "register",
    "tracking_rate_limiter",
    "wake",
]

log = logging.getLogger(__name__)

CONCURRENCY = 8

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def dispatcher_of(application: AnyApplication) -> Dispatcher | None:
    return services(application).dispatcher


def wake(application: AnyApplication) -> None:
    """Tell the dispatcher new rows are committed (it would otherwise see them within 1 s).

    Inside an update's transaction the nudge waits for its commit.
    """
    dispatcher = dispatcher_of(application)
    if dispatcher is not None:
        after_commit(dispatcher.wake)


async def start_dispatcher(application: AnyApplication) -> None:
    """post_init: its own `Bot` without PTB's rate limiter, since the dispatcher paces itself."""
    app = services(application)
    bot = Bot(
        application.bot.token,
        base_url=app.settings.bot_base_url,
        base_file_url=app.settings.bot_file_url,
        request=HTTPXRequest(
            connection_pool_size=CONCURRENCY,
            pool_timeout=5.0,
            read_timeout=app.settings.api_timeout_seconds,
        ),
    )
    await bot.initialize()
    tops: ChatTops = app.chat_tops or ChatTops()
    tops.open()
    dispatcher = Dispatcher(
        app.database,
        bot,
        rate=app.settings.outbox_rate_per_second,
        concurrency=CONCURRENCY,
        journal=SentJournal(app.settings.data_dir / JOURNAL_FILE),
        tops=tops,
    )
    await dispatcher.start()
    app.dispatcher = dispatcher


async def stop_dispatcher(application: AnyApplication) -> None:
    """post_stop: in-flight sends finish and are recorded before the database closes."""
    app = services(application)
    dispatcher, app.dispatcher = app.dispatcher, None
    if dispatcher is not None:
        await dispatcher.stop()
        await dispatcher.bot.shutdown()
        dispatcher.tops.close()


def tracking_rate_limiter(settings: Settings, inner: BaseRateLimiter[Any]) -> TrackingLimiter:
    """The application's rate limiter, wrapped to note the id of every message the bot sends.

    The crash-time probe needs that high-water mark per chat (see `tracker.py`); the rate
    limiter is the one public PTB hook every Bot API answer passes through.
    """
    return TrackingLimiter(inner, ChatTops(settings.data_dir / TOPS_FILE))


def register(application: AnyApplication) -> None:
    app = services(application)
    app.start_hooks.append(start_dispatcher)
    app.stop_hooks.append(stop_dispatcher)
