"""What every handler and job reaches through `context`: settings, database, translator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from bot.db.session import Database
from bot.i18n import Translator

if TYPE_CHECKING:  # only for annotations: the outbox itself reaches services through here
    from bot.engine.outage import Outage
    from bot.outbox.dispatcher import Dispatcher
    from bot.outbox.tracker import ChatTops

SERVICES_KEY = "services"

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
Hook = Callable[[AnyApplication], Awaitable[None]]


@dataclass
class Services:
    """Process-wide services. Features add start and stop hooks when they register."""

    settings: Settings
    database: Database
    start_hooks: list[Hook] = field(default_factory=list)
    stop_hooks: list[Hook] = field(default_factory=list)
    dispatcher: Dispatcher | None = None
    chat_tops: ChatTops | None = None
    broadcast_watchers: dict[int, asyncio.Task[None]] = field(default_factory=dict)
    outage: Outage | None = None  # the database failing while running (`bot.engine.outage`)


def services(context: CallbackContext[Any, Any, Any, Any] | AnyApplication) -> Services:
    """The process-wide services, set once by `bot.app.build_application`."""
    found = context.bot_data[SERVICES_KEY]
    assert isinstance(found, Services)
    return found


def translator_for(update: object) -> Translator:
    """The translator for whoever sent this update (French unless their language is known)."""
    user = update.effective_user if isinstance(update, Update) else None
    return Translator.for_language(user.language_code if user else None)


BotType = ExtBot[None]
