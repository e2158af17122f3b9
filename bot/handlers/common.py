"""Small pieces every handler uses: who is writing, replying, the staff guard."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import ContextTypes, ConversationHandler
from telegram.warnings import PTBUserWarning

from bot.context import services, translator_for
from bot.i18n import language_for
from bot.services.people import TelegramIdentity, is_staff

Context = ContextTypes.DEFAULT_TYPE
Handler = Callable[[Update, Context], Awaitable[Any]]
H = TypeVar("H", bound=Handler)


def identity_of(update: Update) -> TelegramIdentity:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None
    return TelegramIdentity(
        telegram_id=user.id,
        chat_id=chat.id if chat else user.id,
        first_name=user.first_name or "",
        last_name=user.last_name,
        username=user.username,
        language=language_for(user.language_code),
    )


async def reply(update: Update, text: str, **kwargs: Any) -> None:
    """Answer in the chat the update came from, whether it was a message or a button."""
    if update.callback_query is not None and update.callback_query.message is not None:
        await update.callback_query.message.reply_text(text, **kwargs)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text, **kwargs)


def staff_only(handler: H) -> H:
    """Check the staff role on the server for every staff command and button.

    A forged callback or a command typed by a candidate gets a French refusal and changes
    nothing.
    """

    @functools.wraps(handler)
    async def guarded(update: Update, context: Context) -> Any:
        user = update.effective_user
        app = services(context)
        if user is None or not await is_staff(app.database, user.id, app.settings.staff_ids):
            _ = translator_for(update)
            if update.callback_query is not None:
                await update.callback_query.answer(
                    _("This is for the organising team only."), show_alert=True
                )
            else:
                await reply(update, _("This command is for the organising team only."))
            return None
        return await handler(update, context)

    return guarded  # type: ignore[return-value]


def user_conversation(**options: Any) -> ConversationHandler[Any]:
    """A persistent ConversationHandler tracked per user, as all of ours are.

    Buttons count on whichever message they are pressed (old ones are recognised by their own
    data), so PTB's warning about `per_message=False` is expected here and silenced once.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(persistent=True, **options)
