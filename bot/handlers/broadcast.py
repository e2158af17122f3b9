"""`/broadcast` (staff): audience → text → preview with the count → "Envoyer" / "Annuler".

The conversation ends at the preview; "Envoyer" and "Annuler" are plain buttons carrying the
draft id, so they still work after a restart and a second press sends nothing twice. A
progress message is edited every few seconds until the final report.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import outbox
from bot.callbacks import (
    BROADCAST,
    BroadcastAudience,
    BroadcastDrop,
    BroadcastEvent,
    BroadcastSend,
    BroadcastSite,
    BroadcastStop,
    CallbackData,
    button,
    parse_any,
    prefix_pattern,
)
from bot.context import services, translator_for
from bot.db.session import after_commit
from bot.handlers.common import Context, reply, staff_only, user_conversation
from bot.i18n import N_, Translator
from bot.keyboards import column
from bot.services import broadcast as service
from bot.services.broadcast import Audience, Choice, Progress, SendOutcome

log = logging.getLogger(__name__)

AUDIENCE, TEXT = range(2)
DATA_KEY = "broadcast"
PROGRESS_SECONDS = 2.0
MAX_NAMES = 30

AUDIENCE_LABELS = {
    Audience.ALL: N_("Everyone (candidates and employers)"),
    Audience.CANDIDATES: N_("Candidates"),
    Audience.EMPLOYERS: N_("Employers"),
    Audience.EVENT: N_("People signed up for an event"),
    Audience.SITE: N_("People of one site of an event"),
    Audience.UNCONFIRMED: N_("Attendance not confirmed yet"),
}

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


# ---------------------------------------------------------------- keyboards and texts


def audience_keyboard(_: Translator) -> InlineKeyboardMarkup:
    buttons = [
        button(_.plain(label), BroadcastAudience(key.value))
        for key, label in AUDIENCE_LABELS.items()
    ]
    return column([*buttons, button(_.plain("Cancel"), BroadcastStop())])


def choice_keyboard(
    _: Translator, choices: list[Choice], data: Callable[[int], CallbackData]
) -> InlineKeyboardMarkup:
    buttons = [button(choice.label[:60], data(choice.id)) for choice in choices]
    return column([*buttons, button(_.plain("Cancel"), BroadcastStop())])


def progress_text(_: Translator, progress: Progress) -> str:
    lines = [
        _("Sending…"),
        _("Sent: {count}", count=progress.sent),
        _("Failed: {count}", count=progress.failed),
        _("Unreachable: {count}", count=progress.unreachable),
        _("Still to send: {count}", count=progress.remaining),
    ]
    return "\n".join(lines)


def report_text(_: Translator, progress: Progress) -> str:
    lines = [
        _("Your message has been sent."),
        _("Received: {count}", count=progress.sent),
        _("Failed: {count}", count=progress.failed),
        _("Unreachable: {count}", count=progress.unreachable),
    ]
    if progress.unreachable_names:
        lines += ["", _("These people blocked the bot or never opened it:")]
        lines += [_("- {name}", name=name) for name in progress.unreachable_names[:MAX_NAMES]]
        hidden = len(progress.unreachable_names) - MAX_NAMES
        if hidden > 0:
            lines.append(_.n("… and {count} other", "… and {count} others", hidden))
    return "\n".join(lines)


# ---------------------------------------------------------------- conversation


@staff_only
async def start(update: Update, context: Context) -> int:
    _ = translator_for(update)
    assert context.user_data is not None
    context.user_data[DATA_KEY] = {}
    await reply(update, _("Who should receive your message?"), reply_markup=audience_keyboard(_))
    return AUDIENCE


@staff_only
async def on_audience(update: Update, context: Context) -> int | None:
    query = update.callback_query
    assert query is not None and context.user_data is not None
    _ = translator_for(update)
    app = services(context)
    data = parse_any(query.data, (BroadcastAudience, BroadcastEvent, BroadcastSite))
    state: dict[str, Any] = context.user_data.setdefault(DATA_KEY, {})
    try:
        if data is None:
            raise ValueError(query.data)
        if isinstance(data, BroadcastAudience):
            audience = Audience(data.audience)
        else:
            audience = Audience(state["audience"])
    except (KeyError, ValueError):
        await query.answer(_("This button is no longer valid. Type /broadcast."), show_alert=True)
        return ConversationHandler.END
    await query.answer()
    if isinstance(data, BroadcastAudience):
        state.clear()
        state["audience"] = audience.value
        if audience in service.NEEDS_EVENT:
            events = await service.event_choices(app.database)
            if not events:
                await query.edit_message_text(_("There is no event to choose from."))
                return ConversationHandler.END
            await query.edit_message_text(
                _("Which event?"), reply_markup=choice_keyboard(_, events, BroadcastEvent)
            )
            return AUDIENCE
    elif isinstance(data, BroadcastEvent):
        state["event_id"] = data.event_id
        if audience == Audience.SITE:
            sites = await service.site_choices(app.database, data.event_id)
            if not sites:
                await query.edit_message_text(_("This event has no site."))
                return ConversationHandler.END
            await query.edit_message_text(
                _("Which site?"), reply_markup=choice_keyboard(_, sites, BroadcastSite)
            )
            return AUDIENCE
    elif isinstance(data, BroadcastSite):
        state["site_id"] = data.site_id
    await query.edit_message_text(
        _("Write your message now (up to {limit} characters).", limit="4 000")
        + "\n"
        + _("Type /annuler to stop.")
    )
    return TEXT


@staff_only
async def on_text(update: Update, context: Context) -> int:
    assert update.effective_message is not None and context.user_data is not None
    _ = translator_for(update)
    app = services(context)
    text = (update.effective_message.text or "").strip()
    if not text:
        await reply(update, _("Your message is empty. Please write it again."))
        return TEXT
    if len(text) > service.MAX_TEXT:
        await reply(
            update,
            _(
                "Your message is too long ({count} characters, at most {limit}). "
                "Please shorten it and send it again.",
                count=len(text),
                limit="4 000",
            ),
        )
        return TEXT
    state: dict[str, Any] = context.user_data.pop(DATA_KEY, {})
    if "audience" not in state:
        await reply(update, _("Let's start again. Type /broadcast."))
        return ConversationHandler.END
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    draft = await service.create_draft(
        app.database,
        staff_telegram_id=user.id,
        staff_chat_id=chat.id,
        audience=Audience(state["audience"]),
        event_id=state.get("event_id"),
        site_id=state.get("site_id"),
        text=text,
    )
    preview = _("Preview:") + "\n\n" + service.message_for(_, draft.text) + "\n\n"
    if draft.recipients == 0:
        await reply(update, preview + _("Nobody matches this choice. Nothing will be sent."))
        return ConversationHandler.END
    preview += _.n("Recipients: {count} person.", "Recipients: {count} people.", draft.recipients)
    if draft.unreachable:
        preview += "\n" + _.n(
            "{count} of them cannot be reached (bot blocked).",
            "{count} of them cannot be reached (bot blocked).",
            draft.unreachable,
        )
    keyboard = column(
        [
            button(_.plain("Send"), BroadcastSend(draft.id)),
            button(_.plain("Cancel"), BroadcastDrop(draft.id)),
        ]
    )
    await reply(update, preview, reply_markup=keyboard)
    return ConversationHandler.END


@staff_only
async def on_not_text(update: Update, context: Context) -> int:
    _ = translator_for(update)
    await reply(update, _("Please write your message as text."))
    return TEXT


@staff_only
async def stop(update: Update, context: Context) -> int:
    _ = translator_for(update)
    if context.user_data is not None:
        context.user_data.pop(DATA_KEY, None)
    if update.callback_query is not None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(_("Nothing was sent."))
    else:
        await reply(update, _("Nothing was sent."))
    return ConversationHandler.END


# ---------------------------------------------------------------- send / cancel / stale


def _draft_id(data: object) -> int | None:
    pressed = parse_any(data, (BroadcastSend, BroadcastDrop))
    return pressed.draft_id if isinstance(pressed, BroadcastSend | BroadcastDrop) else None


async def _pressed_draft(query: CallbackQuery, _: Translator) -> int | None:
    """The draft a send/cancel button names, the press answered; None (and told) if forged."""
    draft_id = _draft_id(query.data)
    if draft_id is None:
        await query.answer(_("This button is no longer valid. Type /broadcast."), show_alert=True)
        return None
    await query.answer()
    return draft_id


@staff_only
async def on_send(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    draft_id = await _pressed_draft(query, _)
    if draft_id is None:
        return
    app = services(context)
    result = await service.send_broadcast(
        app.database, draft_id, lambda first: progress_text(_, first)
    )
    if result.outcome == SendOutcome.MISSING:
        await reply(update, _("This message no longer exists. Type /broadcast."))
        return
    if result.outcome == SendOutcome.CANCELLED:
        await reply(update, _("This message was cancelled. Nothing was sent."))
        return
    if result.outcome == SendOutcome.ALREADY:
        await reply(update, _("This message is already sent. It will not be sent twice."))
        return
    outbox.wake(context.application)
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(reply_markup=None)
    application = context.application
    # The watcher edits the progress message (queued with the rows) once it is sent.
    after_commit(lambda: follow(application, draft_id, _.language))


@staff_only
async def on_drop(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    draft_id = await _pressed_draft(query, _)
    if draft_id is None:
        return
    if await service.cancel_draft(services(context).database, draft_id):
        await query.edit_message_text(_("Nothing was sent."))
    else:
        await reply(update, _("This message can no longer be cancelled."))


@staff_only
async def on_stale(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    await query.answer(_("This button is no longer valid. Type /broadcast."), show_alert=True)


# ---------------------------------------------------------------- progress


def follow(application: AnyApplication, broadcast_id: int, language: str = "fr") -> None:
    """Edit the progress message until everything is sent (a plain task, cancelled at stop)."""
    watchers = services(application).broadcast_watchers
    if broadcast_id not in watchers or watchers[broadcast_id].done():
        watchers[broadcast_id] = asyncio.create_task(
            _watch(application, broadcast_id, Translator.for_language(language)),
            name=f"broadcast-{broadcast_id}",
        )


async def _watch(application: AnyApplication, broadcast_id: int, _: Translator) -> None:
    """The progress message was queued in the outbox with the rows (sent once, even across a
    crash); edit it once its id is known, until the report."""
    database = services(application).database
    shown = ""
    while True:
        await asyncio.sleep(PROGRESS_SECONDS)
        try:
            current = await service.progress(database, broadcast_id)
            if current is None:
                return
            if current.done:  # recorded first: the report is the last thing staff see
                await service.finish(database, broadcast_id)
            if current.message_id is None:
                # Wait for it even when all is sent: the report replaces it. Staff's chat is
                # paced, so the people's messages may well go out before it.
                if not current.message_coming:
                    return  # no progress message to show (it could not be sent)
                continue
            text = report_text(_, current) if current.done else progress_text(_, current)
            if text != shown:
                with contextlib.suppress(BadRequest):  # e.g. the report was shown already
                    await application.bot.edit_message_text(
                        text, chat_id=current.staff_chat_id, message_id=current.message_id
                    )
                shown = text
            if current.done:
                return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("Broadcast %s: progress update failed", broadcast_id)


async def resume_watchers(application: AnyApplication) -> None:
    """Follow again what a stop interrupted: broadcasts still going out, and those finished
    just before it (their report may not have been shown; shown again, it changes nothing)."""
    for broadcast_id in await service.to_follow(services(application).database):
        follow(application, broadcast_id)


async def stop_watchers(application: AnyApplication) -> None:
    watchers = services(application).broadcast_watchers
    for task in watchers.values():
        task.cancel()
    for task in watchers.values():
        with contextlib.suppress(asyncio.CancelledError):
            await task


def register(application: AnyApplication) -> None:
    staff_text = filters.TEXT & ~filters.COMMAND
    conversation = user_conversation(
        entry_points=[CommandHandler("broadcast", start)],
        states={
            AUDIENCE: [
                CallbackQueryHandler(on_audience, pattern=BroadcastAudience.pattern()),
                CallbackQueryHandler(on_audience, pattern=BroadcastEvent.pattern()),
                CallbackQueryHandler(on_audience, pattern=BroadcastSite.pattern()),
            ],
            TEXT: [
                MessageHandler(staff_text, on_text),
                MessageHandler(~filters.COMMAND & ~filters.UpdateType.EDITED, on_not_text),
            ],
        },
        fallbacks=[
            CommandHandler("annuler", stop),
            CallbackQueryHandler(stop, pattern=BroadcastStop.pattern()),
        ],
        name="broadcast",
        conversation_timeout=services(application).settings.conversation_timeout_minutes * 60,
    )
    application.add_handler(conversation)
    application.add_handler(CallbackQueryHandler(on_send, pattern=BroadcastSend.pattern()))
    application.add_handler(CallbackQueryHandler(on_drop, pattern=BroadcastDrop.pattern()))
    application.add_handler(CallbackQueryHandler(on_stale, pattern=prefix_pattern(BROADCAST)))
    services(application).start_hooks.append(resume_watchers)
    services(application).stop_hooks.append(stop_watchers)
