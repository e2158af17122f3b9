"""Changing one field of an existing event, from its details ("Edit")."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler

from bot.context import services, translator_for
from bot.dates import in_zone, parse_french_datetime
from bot.handlers.common import Context, reply, staff_only
from bot.handlers.event_common import (
    EDIT_KEY,
    END_OF_DAY,
    MANAGE,
    NAME_LIMIT,
    PROBLEMS,
    Invalid,
    clean_text,
    example_date,
    local_now,
    parse_minutes,
    parse_number,
    typed_text,
)
from bot.handlers.event_management import event_or_refuse, opened_event, show_details
from bot.i18n import N_, Translator
from bot.keyboards import button, rows, unpack
from bot.services.events import ChangeRefused, Problem, update_event

EDIT_VALUE = "edit_value"  # the conversation's only state (stored: never rename)


EDIT_FIELDS: dict[str, tuple[str, str]] = {
    "name": (N_("Name"), "name"),
    "date": (N_("Date and time"), "starts_at"),
    "deadline": (N_("Sign-up deadline"), "registration_deadline"),
    "duration": (N_("Duration"), "duration_minutes"),
    "maxc": (N_("Candidates at most"), "max_candidates"),
    "maxe": (N_("Employers at most"), "max_employers"),
}
EDIT_PROMPTS = {
    "name": N_("Type the new name."),
    "date": N_("Type the new date and time, for example {example}."),
    "deadline": N_("Type the new sign-up deadline, for example {example}."),
    "duration": N_("Type the new duration, for example 3h or 2h30."),
    "maxc": N_("Type the new maximum number of candidates."),
    "maxe": N_("Type the new maximum number of employers."),
}


@staff_only
async def on_edit_menu(update: Update, context: Context) -> None:
    event = await opened_event(update, context)
    if event is None:
        return
    _ = translator_for(update)
    choices = [
        button(_.plain(label), MANAGE, "field", event.id, key)
        for key, (label, _f) in EDIT_FIELDS.items()
    ]
    await reply(update, _("What do you want to change?"), reply_markup=rows(choices))


@staff_only
async def on_edit_field(update: Update, context: Context) -> str | None:
    parts = unpack(update.callback_query.data if update.callback_query else None)
    event = await event_or_refuse(update, context, parts)
    if event is None:
        return None
    query = update.callback_query
    assert query is not None and context.user_data is not None
    _ = translator_for(update)
    key = parts[3] if len(parts) > 3 else ""
    if key not in EDIT_FIELDS:
        await query.answer(_.plain("This button is no longer valid."), show_alert=True)
        return None
    if event.cancelled:
        await query.answer(_.plain(PROBLEMS[Problem.CANCELLED]), show_alert=True)
        return None
    await query.answer()
    context.user_data[EDIT_KEY] = {"event": event.id, "field": key, "zone": event.timezone}
    example = example_date(event.timezone)
    await reply(
        update,
        _(EDIT_PROMPTS[key], example=example) + "\n" + _("Type /annuler to stop."),
    )
    return EDIT_VALUE


def _edit_value(_: Translator, key: str, raw: str, zone: str) -> object:
    """The typed value as the service wants it; raises `Invalid` with a French reason."""
    if key == "name":
        return clean_text(_, raw, NAME_LIMIT)
    if key in ("date", "deadline"):
        parsed = parse_french_datetime(raw, today=local_now(zone).date())
        if parsed is None or (key == "date" and parsed.at is None):
            raise Invalid(
                _(
                    "I cannot read this date. Please write it like this: {example}.",
                    example=example_date(zone),
                )
            )
        return in_zone(parsed.naive(parsed.at or END_OF_DAY), zone)
    if key == "duration":
        return parse_minutes(_, raw, 15, 24 * 60, bare_is_minutes=False)
    return parse_number(_, raw, 0 if key == "maxe" else 1, 2000)


@staff_only
async def on_edit_value(update: Update, context: Context) -> str | int:
    assert context.user_data is not None
    _ = translator_for(update)
    editing = context.user_data.get(EDIT_KEY) or {}
    key = editing.get("field", "")
    if key not in EDIT_FIELDS:
        context.user_data.pop(EDIT_KEY, None)
        return ConversationHandler.END
    try:
        value = _edit_value(_, key, typed_text(update), editing.get("zone", "Europe/Paris"))
        event, changed = await update_event(
            services(context).database, int(editing["event"]), EDIT_FIELDS[key][1], value
        )
    except Invalid as refusal:
        await reply(update, f"⚠️ {refusal}")
        return EDIT_VALUE
    except ChangeRefused as refusal:
        await reply(update, "⚠️ " + _(PROBLEMS[refusal.problem], **refusal.values))
        if refusal.problem == Problem.CANCELLED:
            context.user_data.pop(EDIT_KEY, None)
            return ConversationHandler.END
        return EDIT_VALUE
    except LookupError:
        await reply(update, _("This event no longer exists."))
        context.user_data.pop(EDIT_KEY, None)
        return ConversationHandler.END
    context.user_data.pop(EDIT_KEY, None)
    await reply(update, _("✅ Saved.") if changed else _("Nothing changed: it was already so."))
    await show_details(update, event)
    return ConversationHandler.END


@staff_only
async def on_edit_abandon(update: Update, context: Context) -> int:
    assert context.user_data is not None
    context.user_data.pop(EDIT_KEY, None)
    _ = translator_for(update)
    await reply(update, _("Nothing was changed."))
    return ConversationHandler.END
