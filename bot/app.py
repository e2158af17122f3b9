"""Builds the PTB `Application`: settings in, a ready application out (no I/O until started)."""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ApplicationBuilder, Defaults

from bot import outbox
from bot.commands import commands_for
from bot.config import Settings
from bot.context import SERVICES_KEY, AnyApplication, Services, services
from bot.db.models.people import Role
from bot.db.session import Database
from bot.engine import application as engine
from bot.engine.capture import CapturingLimiter
from bot.engine.inbox import ConfirmingRequest, InboxQueue
from bot.handlers import (
    aftercare,
    attendance,
    broadcast,
    contact,
    fallback,
    plan,
    privacy,
    registrations_view,
    retention,
    signup,
    start,
    team,
)
from bot.handlers.events import creation as event_creation
from bot.handlers.events import editing as event_editing
from bot.handlers.events import management as event_management
from bot.i18n import Translator
from bot.services.attendance import staff_chats

log = logging.getLogger(__name__)

# Feature modules in the order their handlers are tried: conversations with deep-link entry
# points come before the plain `/start` of `start`.
FEATURES: list[ModuleType] = [
    signup,
    privacy,
    team,
    start,
    event_creation,
    event_editing,
    event_management,
    registrations_view,
    plan,
    attendance,
    broadcast,
    aftercare,
    contact,
    retention,
    outbox,
    fallback,
]


async def _set_commands(application: AnyApplication) -> None:
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
    async with services(application).database.session() as session:
        chats = await staff_chats(session, settings.staff_ids)  # configured and `/equipe`
    for chat_id in chats:
        try:
            await application.bot.set_my_commands(
                menu(Role.STAFF), scope=BotCommandScopeChat(chat_id)
            )
        except TelegramError:
            log.debug("A staff member has not opened the bot yet")


async def post_init(application: AnyApplication) -> None:
    app = services(application)
    await app.database.migrate()
    await _set_commands(application)
    for hook in app.start_hooks:
        await hook(application)
    await engine.start(application)


async def post_stop(application: AnyApplication) -> None:
    """Feature hooks that must finish while the database is still open (e.g. the outbox)."""
    for hook in services(application).stop_hooks:
        await hook(application)


async def post_shutdown(application: AnyApplication) -> None:
    await services(application).database.dispose()


def build_application(
    settings: Settings, *, token: str | None = None, **builder_options: Any
) -> AnyApplication:
    """The whole bot, ready for `run_polling`, `run_webhook` or a test's manual start."""
    # httpx logs every request URL at INFO, and Bot API URLs carry the token (PTB's advice).
    logging.getLogger("httpx").setLevel(logging.WARNING)
    database = Database(settings.resolved_database_url)
    tracking = outbox.tracking_rate_limiter(settings, AIORateLimiter(max_retries=3))
    inbox = InboxQueue(database)
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .application_class(engine.Engine)
        .token(token or settings.token or "")
        .base_url(settings.bot_base_url)
        .base_file_url(settings.bot_file_url)
        .read_timeout(settings.api_timeout_seconds)
        .get_updates_request(
            ConfirmingRequest(
                inbox, connection_pool_size=1, read_timeout=settings.api_timeout_seconds
            )
        )
        .defaults(Defaults(parse_mode="HTML", tzinfo=settings.zone))
        .rate_limiter(CapturingLimiter(tracking))
        .update_queue(inbox)
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
    )
    for option, value in builder_options.items():
        builder = getattr(builder, option)(value)
    application = builder.build()
    application.bot_data[SERVICES_KEY] = Services(settings, database, chat_tops=tracking.tops)
    for feature in FEATURES:
        feature.register(application)
    application.add_error_handler(engine.on_error)
    return application
