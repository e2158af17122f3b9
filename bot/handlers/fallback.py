"""The last resort: a message no feature took still gets an answer and a way on.

Registered last, in the same group as every feature: PTB tries a group's handlers in order
and runs the first that matches, so this one only runs when nothing else did.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from bot.context import translator_for
from bot.handlers.common import Context, reply


async def not_understood(update: Update, context: Context) -> None:
    _ = translator_for(update)
    await reply(
        update,
        _("I did not understand this message.")
        + "\n"
        + _("Type /start to begin, or /aide to see what I can do."),
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED, not_understood)
    )
