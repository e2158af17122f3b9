"""`/evenements`: the list of events, one event's details, its links, and cancelling it.

Every button is a typed `bot.callbacks` family; one staff-only handler takes the `evt`
prefix, so forged data under it is answered ("no longer valid") instead of ignored. The
editing buttons (`evt:edit`, `evt:field`) and "Create an event" (`evt:new`) belong to
`editing` and `creation`, registered before this module (see `bot.app.FEATURES`).
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import clock
from bot.callbacks import (
    EditionNext,
    EventAction,
    EventEditMenu,
    EventNew,
    SignUpsEvent,
    button,
)
from bot.context import services, translator_for
from bot.dates import format_short
from bot.handlers.common import Context, reply, staff_only
from bot.handlers.events.links import send_invitations
from bot.handlers.events.shared import describe
from bot.i18n import Translator
from bot.keyboards import column, rows
from bot.services.events import EventView, cancel_event, get_event, list_events


def _event_label(_: Translator, event: EventView) -> str:
    label = f"{format_short(event.starts_at, event.timezone)[:10]} · {event.name}"
    if event.cancelled:
        label += " " + _.plain("(cancelled)")
    return label[:60]


@staff_only
async def list_command(update: Update, context: Context) -> None:
    _ = translator_for(update)
    events = await list_events(services(context).database)
    choices = [button(_event_label(_, event), EventAction("show", event.id)) for event in events]
    choices.append(button(_.plain("➕ Create an event"), EventNew()))
    text = _("Your events. Press one to see it.") if events else _("No event yet.")
    await reply(update, text, reply_markup=column(choices))


async def event_of_button(
    update: Update, context: Context, event_id: int | None
) -> EventView | None:
    """The event a button names, or an alert for a forged button or a deleted event."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    if event_id is None:
        await query.answer(_.plain("This button is no longer valid."), show_alert=True)
        return None
    event = await get_event(services(context).database, event_id)
    if event is None:
        await query.answer(_.plain("This event no longer exists."), show_alert=True)
    return event


def _details_keyboard(_: Translator, event: EventView) -> InlineKeyboardMarkup:
    choices: list[InlineKeyboardButton] = [
        button(_.plain("Sign-ups"), SignUpsEvent(event.id)),
        button(_.plain("Links and QR codes"), EventAction("links", event.id)),
    ]
    if not event.cancelled:
        choices.insert(0, button(_.plain("Edit"), EventEditMenu(event.id)))
        choices.append(button(_.plain("Cancel the event"), EventAction("cancel", event.id)))
        if event.starts_at <= clock.now():  # once it has taken place: the next one
            choices.append(button(_.plain("Next edition"), EditionNext(event.id)))
    return rows(choices)


async def show_details(update: Update, event: EventView) -> None:
    _ = translator_for(update)
    text = (
        describe(_, event)
        + "\n\n"
        + _(
            "Signed up: {candidates} candidates, {employers} employers.",
            candidates=event.candidates,
            employers=event.employers,
        )
    )
    if event.cancelled:
        text = "❌ " + _("This event is cancelled.") + "\n\n" + text
    await reply(update, text, reply_markup=_details_keyboard(_, event))


@staff_only
async def on_event_button(update: Update, context: Context) -> None:
    """Details, links, cancelling (asked first: it cannot be undone) and its confirmation."""
    query = update.callback_query
    assert query is not None
    pressed = EventAction.parse(query.data)
    event = await event_of_button(update, context, pressed.event_id if pressed else None)
    if pressed is None or event is None:
        return
    _ = translator_for(update)
    if pressed.action in ("cancel", "cancelok") and event.cancelled:
        await query.answer(_.plain("This event is already cancelled."), show_alert=True)
        return
    if pressed.action == "show":
        await query.answer()
        await show_details(update, event)
    elif pressed.action == "links":
        await query.answer()
        await send_invitations(update, context, event)
    elif pressed.action == "cancel":
        await query.answer()
        choices = [
            button(_.plain("Yes, cancel the event"), EventAction("cancelok", event.id)),
            button(_.plain("No, keep it"), EventAction("show", event.id)),
        ]
        await reply(
            update,
            _("Do you really want to cancel “{name}”? This cannot be undone.", name=event.name),
            reply_markup=column(choices),
        )
    else:
        event, changed = await cancel_event(services(context).database, event.id)
        if not changed:
            await query.answer(_.plain("This event is already cancelled."), show_alert=True)
            return
        await query.answer()
        await query.edit_message_reply_markup(reply_markup=None)
        await reply(update, _("❌ The event “{name}” is cancelled.", name=event.name))


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CommandHandler("evenements", list_command))
    application.add_handler(CallbackQueryHandler(on_event_button, pattern=EventAction.pattern()))
