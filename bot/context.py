"""What every handler and job reaches through `context`: settings, database, translator."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from bot.db.persistence import DatabasePersistence
from bot.db.session import Database
from bot.i18n import Translator

SERVICES_KEY = "services"


@dataclass
class Services:
    settings: Settings
    database: Database
    persistence: DatabasePersistence
    extras: dict[str, Any] = field(default_factory=dict)


def services(
    context: CallbackContext[Any, Any, Any, Any] | Application[Any, Any, Any, Any, Any, Any],
) -> Services:
    """The process-wide services, set once by `bot.app.build_application`."""
    bot_data = context.bot_data
    return bot_data[SERVICES_KEY]  # type: ignore[no-any-return]


def translator_for(update: object) -> Translator:
    """The translator for whoever sent this update (French unless their language is known)."""
    user = update.effective_user if isinstance(update, Update) else None
    return Translator.for_language(user.language_code if user else None)


BotType = ExtBot[None]
