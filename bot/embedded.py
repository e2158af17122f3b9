"""Runs the real `Application` inside an existing event loop, as the demo and tests need.

`run_polling` owns the loop and the signals; here the caller owns them, so the same
start-up (`post_init`) and shutdown (`post_shutdown`) happen in the same order by hand.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.app import build_application
from bot.config import Settings

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


async def start_application(application: AnyApplication) -> None:
    await application.initialize()
    if application.post_init:
        await application.post_init(application)
    await application.start()
    assert application.updater is not None

    def fetching_failed(error: TelegramError) -> None:
        # As `run_polling` does: the application's error handler hears of it.
        application.create_task(application.process_error(error=error, update=None))

    await application.updater.start_polling(
        poll_interval=0.0,
        timeout=1,
        allowed_updates=Update.ALL_TYPES,
        error_callback=fetching_failed,
    )


async def stop_application(application: AnyApplication) -> None:
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    if application.post_stop:
        await application.post_stop(application)
    await application.shutdown()
    if application.post_shutdown:
        await application.post_shutdown(application)


@asynccontextmanager
async def running_bot(settings: Settings, *, token: str) -> AsyncIterator[AnyApplication]:
    """The bot polling the configured Bot API until the block ends."""
    application = build_application(settings, token=token)
    await start_application(application)
    try:
        yield application
    finally:
        await stop_application(application)
