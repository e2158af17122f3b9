"""Small pieces every handler uses: who is writing, replying, the staff guard."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import BaseHandler, ContextTypes, ConversationHandler

from bot.context import services, translator_for
from bot.engine.conversation import Conversation
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
    chat = update.effective_chat
    if update.callback_query is not None and chat is not None:
        await update.get_bot().send_message(chat.id, text, **kwargs)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text, **kwargs)


async def is_staff_member(update: Update, context: Context) -> bool:
    """The staff check on the server; a refusal in French for anyone else."""
    user = update.effective_user
    app = services(context)
    if user is not None and await is_staff(app.database, user.id, app.settings.staff_ids):
        return True
    _ = translator_for(update)
    if update.callback_query is not None:
        await update.callback_query.answer(
            _("This is for the organising team only."), show_alert=True
        )
    else:
        await reply(update, _("This command is for the organising team only."))
    return False


def staff_only(handler: H) -> H:
    """Check the staff role on the server for every staff command and button.

    A forged callback or a command typed by a candidate gets a French refusal and changes
    nothing. Staff conversations get the same check on every step through their `guard`.
    """

    @functools.wraps(handler)
    async def guarded(update: Update, context: Context) -> Any:
        if not await is_staff_member(update, context):
            return None
        return await handler(update, context)

    return guarded  # type: ignore[return-value]


def user_conversation(
    *,
    name: str,
    entry_points: Sequence[BaseHandler[Any, Any, Any]],
    states: Mapping[object, Sequence[BaseHandler[Any, Any, Any]]],
    fallbacks: Sequence[BaseHandler[Any, Any, Any]] = (),
    allow_reentry: bool = False,
    conversation_timeout: timedelta | float | None = None,
    staff: bool = False,
    reask: Handler | None = None,
    nudge_after: timedelta | float | None = None,
    on_nudge: Sequence[BaseHandler[Any, Any, Any]] = (),
) -> Conversation:
    """A conversation tracked per person, its step stored in the database (`bot.engine`).

    `states[ConversationHandler.TIMEOUT]` are the handlers run when it has been idle for
    `conversation_timeout` (a timedelta, or seconds); `staff=True` checks the staff role
    before every step; `reask` asks the current question again (usually `Form.reask`);
    `on_nudge` runs once after `nudge_after` idle (a timedelta, or seconds).
    """
    timeout = _span(conversation_timeout)
    return Conversation(
        name=name,
        entry_points=entry_points,
        states={
            str(state): handlers
            for state, handlers in states.items()
            if state != ConversationHandler.TIMEOUT
        },
        fallbacks=fallbacks,
        allow_reentry=allow_reentry,
        guard=is_staff_member if staff else None,
        timeout=timeout,
        on_timeout=states.get(ConversationHandler.TIMEOUT, ()),
        reask=reask,
        nudge_after=_span(nudge_after),
        on_nudge=on_nudge,
    )


def _span(value: timedelta | float | None) -> timedelta | None:
    """A duration given as a timedelta or seconds; 0 or None: none."""
    if isinstance(value, int | float):
        return timedelta(seconds=value) if value > 0 else None
    return value
