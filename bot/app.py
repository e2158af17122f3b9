"""Builds the PTB `Application`: settings in, a ready application out (no I/O until started)."""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults, TypeHandler

from bot import outbox
from bot.commands import commands_for
from bot.config import Settings
from bot.context import SERVICES_KEY, Services, services
from bot.db.models.people import Role
from bot.db.persistence import DatabasePersistence
from bot.db.session import Database
from bot.handlers import (
    attendance,
    broadcast,
    errors,
    events,
    plan,
    privacy,
    profile,
    registrations_view,
    signup,
    signup_candidate,
    signup_employer,
    start,
)
from bot.handlers.common import Context
from bot.i18n import Translator

log = logging.getLogger(__name__)

# Feature modules in the order their handlers are tried: conversations with deep-link entry
# points come before the plain `/start` of `start`.
FEATURES: list[ModuleType] = [
    signup_candidate,
    signup_employer,
    signup,
    profile,
    privacy,
    start,
    events,
    registrations_view,
    plan,
    attendance,
    broadcast,
    outbox,
    errors,
]

# Handlers of this group run after every feature's; it writes conversation states at once.
PERSISTENCE_GROUP = 1000
FEATURE_HOOKS_KEY = "post_init_hooks"
STOP_HOOKS_KEY = "post_stop_hooks"


async def _flush_persistence(update: object, context: Context) -> None:
    await context.application.update_persistence()


async def _set_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The menu in French, for everyone and, with staff commands, for each staff member."""
    _ = Translator.for_language("fr")
    settings = services(application).settings

    def menu(role: str | None) -> list[BotCommand]:
        return [BotCommand(c.name, _(c.description)) for c in commands_for(role)]

    public = menu(Role.CANDIDATE)
    await application.bot.set_my_commands(public, scope=BotCommandScopeDefault())
    await application.bot.set_my_commands(
        public, scope=BotCommandScopeDefault(), language_code="fr"
    )
    for staff_id in settings.staff_ids:
        try:
            await application.bot.set_my_commands(
                menu(Role.STAFF), scope=BotCommandScopeChat(staff_id)
            )
        except TelegramError:
            log.info("Staff member %s has not opened the bot yet", staff_id)


async def post_init(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app = services(application)
    await app.database.migrate()
    await _set_commands(application)
    for hook in app.extras.get(FEATURE_HOOKS_KEY, []):
        await hook(application)


async def post_stop(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Feature hooks that must finish while the database is still open (e.g. the outbox)."""
    for hook in services(application).extras.get(STOP_HOOKS_KEY, []):
        await hook(application)


async def post_shutdown(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    await services(application).database.dispose()


def build_application(
    settings: Settings, *, token: str | None = None, **builder_options: Any
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The whole bot, ready for `run_polling`, `run_webhook` or a test's manual start."""
    database = Database(settings.resolved_database_url)
    persistence = DatabasePersistence(database)
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(token or settings.token or "")
        .base_url(settings.bot_base_url)
        .base_file_url(settings.bot_file_url)
        .defaults(Defaults(parse_mode="HTML", tzinfo=settings.zone))
        .rate_limiter(outbox.tracking_rate_limiter(settings, AIORateLimiter(max_retries=3)))
        .persistence(persistence)
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
    )
    for option, value in builder_options.items():
        builder = getattr(builder, option)(value)
    application = builder.build()
    application.bot_data[SERVICES_KEY] = Services(settings, database, persistence)
    for feature in FEATURES:
        feature.register(application)
    application.add_handler(TypeHandler(Update, _flush_persistence), group=PERSISTENCE_GROUP)
    return application
