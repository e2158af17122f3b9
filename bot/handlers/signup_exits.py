"""Leaving or interrupting a sign-up: /annuler, the timeout, `/start` midway, stale buttons."""

from __future__ import annotations

from telegram import Update

from bot.context import services, translator_for
from bot.handlers.common import Context, reply
from bot.handlers.signup_flow import (
    CONVERSATION_NAME,
    END,
    PROFILE,
    draft_of,
    drop_draft,
    lost,
    reask,
)


async def cancel(update: Update, context: Context) -> int:
    _ = translator_for(update)
    draft = draft_of(context)
    drop_draft(context)
    if draft is not None and draft["mode"] == PROFILE:
        await reply(update, _("Cancelled. Your portrait card has not changed."))
    else:
        await reply(
            update,
            _("Cancelled. Nothing has been stored.")
            + "\n"
            + _("You can start again at any time with your invitation link or /start."),
        )
    return END


async def timed_out(update: Update, context: Context) -> None:
    """PTB calls this once the conversation has been idle too long."""
    _ = translator_for(update)
    drop_draft(context)
    chat = update.effective_chat if isinstance(update, Update) else None
    user = update.effective_user if isinstance(update, Update) else None
    if chat is None or user is None:
        return
    # A timeout runs in a job, not an update: nothing flushes persistence after it, so the
    # draft and the conversation state are removed from the database here, at once.
    persistence = services(context).persistence
    await persistence.update_user_data(user.id, dict(context.user_data or {}))
    await persistence.update_conversation(CONVERSATION_NAME, (chat.id, user.id), None)
    await context.bot.send_message(
        chat.id,
        _("You have not answered for a while, so I closed this sign-up. Nothing was stored.")
        + "\n"
        + _("You can start again at any time with your invitation link or /start."),
    )


async def resume(update: Update, context: Context) -> None:
    """A plain `/start` in the middle of a sign-up: carry on where the person was."""
    _ = translator_for(update)
    draft = draft_of(context)
    if draft is None:
        await lost(update, context)
        return
    await reply(update, _("Let's carry on where we were. To stop, type /annuler."))
    await reask(update, context, draft)


async def stale_button(update: Update, context: Context) -> None:
    """A sign-up button pressed outside of the question it belongs to."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    draft = draft_of(context)
    if draft is None:
        await query.answer(
            _("This button is no longer valid. To sign up, open your invitation link again."),
            show_alert=True,
        )
        return
    await query.answer(
        _("This button belongs to an older question. Please use the latest message."),
        show_alert=True,
    )
