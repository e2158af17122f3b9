"""`/evenements`: the list of events, one event's details, its links, and cancelling it."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import services, translator_for
from bot.dates import format_short
from bot.handlers.common import Context, reply, staff_only
from bot.handlers.event_common import MANAGE, describe
from bot.handlers.event_links import send_invitations
from bot.i18n import Translator
from bot.keyboards import button, column, rows, unpack
from bot.services.events import EventView, cancel_event, get_event, list_events


def _event_label(_: Translator, event: EventView) -> str:
    label = f"{format_short(event.starts_at, event.timezone)[:10]} · {event.name}"
    if event.cancelled:
        label += " " + _.plain("(cancelled)")
    return label[:60]


async def event_or_refuse(update: Update, context: Context, parts: list[str]) -> EventView | None:
    """The event named in the button, or a French alert for a forged or deleted one."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    if len(parts) < 3 or not parts[2].isdigit():
        await query.answer(_.plain("This button is no longer valid."), show_alert=True)
        return None
    event = await get_event(services(context).database, int(parts[2]))
    if event is None:
        await query.answer(_.plain("This event no longer exists."), show_alert=True)
    return event


async def pressed_event(update: Update, context: Context) -> EventView | None:
    """`event_or_refuse` for the event named in the pressed button's data."""
    parts = unpack(update.callback_query.data if update.callback_query else None)
    return await event_or_refuse(update, context, parts)


async def opened_event(update: Update, context: Context) -> EventView | None:
    """`pressed_event`, with the button press acknowledged when the event is found."""
    event = await pressed_event(update, context)
    if event is not None:
        await update.callback_query.answer()  # type: ignore[union-attr]
    return event


@staff_only
async def list_command(update: Update, context: Context) -> None:
    _ = translator_for(update)
    events = await list_events(services(context).database)
    choices = [button(_event_label(_, event), MANAGE, "show", event.id) for event in events]
    choices.append(button(_.plain("➕ Create an event"), MANAGE, "new"))
    text = _("Your events. Press one to see it.") if events else _("No event yet.")
    await reply(update, text, reply_markup=column(choices))


def _details_keyboard(_: Translator, event: EventView) -> InlineKeyboardMarkup:
    choices: list[InlineKeyboardButton] = [
        button(_.plain("Sign-ups"), "insc", "ev", event.id),
        button(_.plain("Links and QR codes"), MANAGE, "links", event.id),
    ]
    if not event.cancelled:
        choices.insert(0, button(_.plain("Edit"), MANAGE, "edit", event.id))
        choices.append(button(_.plain("Cancel the event"), MANAGE, "cancel", event.id))
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
async def on_show(update: Update, context: Context) -> None:
    event = await opened_event(update, context)
    if event is not None:
        await show_details(update, event)


@staff_only
async def on_links(update: Update, context: Context) -> None:
    event = await opened_event(update, context)
    if event is not None:
        await send_invitations(update, context, event)


@staff_only
async def on_cancel_event(update: Update, context: Context) -> None:
    """First step of cancelling: a confirmation, since it cannot be undone."""
    event = await pressed_event(update, context)
    if event is None:
        return
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    if event.cancelled:
        await query.answer(_.plain("This event is already cancelled."), show_alert=True)
        return
    await query.answer()
    choices = [
        button(_.plain("Yes, cancel the event"), MANAGE, "cancelok", event.id),
        button(_.plain("No, keep it"), MANAGE, "show", event.id),
    ]
    await reply(
        update,
        _("Do you really want to cancel “{name}”? This cannot be undone.", name=event.name),
        reply_markup=column(choices),
    )


@staff_only
async def on_cancel_confirmed(update: Update, context: Context) -> None:
    event = await pressed_event(update, context)
    if event is None:
        return
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    event, changed = await cancel_event(services(context).database, event.id)
    if not changed:
        await query.answer(_.plain("This event is already cancelled."), show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=None)
    await reply(update, _("❌ The event “{name}” is cancelled.", name=event.name))
