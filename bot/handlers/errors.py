"""The error handler: log it, tell the person in French that their answers are kept."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application

from bot.context import translator_for
from bot.handlers.common import Context

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    log.error("Error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    _ = translator_for(update)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await context.bot.send_message(
            update.effective_chat.id,
            _("Sorry, something went wrong on our side. What you entered is kept.")
            + "\n"
            + _("Please try again in a moment, or type /aide."),
        )
    except Exception:
        log.warning("Could not tell the user about the error", exc_info=True)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_error_handler(on_error)
