"""Changing one field of an existing event, from its details ("Edit").

"Edit" shows one button per field; pressing one starts a one-question flow
(`bot.engine.steps`; `staff=True`: the staff role is checked again at every step). The typed
value becomes a typed `EventChange`, saved at once by the service, which checks it against
the event; a refusal is said and the question asked again. Who gets a seat when there are
more candidates than seats (`bot.services.admission`) is one more question, with buttons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    TypeHandler,
)

from bot.callbacks import (
    AdmissionEdit,
    EditableField,
    EditAnswer,
    EditAnswerPair,
    EventEditMenu,
    EventField,
    ReviewSetting,
    button,
)
from bot.context import services, translator_for
from bot.dates import in_zone, parse_french_datetime
from bot.db.models.people import Role
from bot.engine.conversation import END
from bot.engine.steps import (
    At,
    Buttons,
    Drafts,
    Flow,
    FlowDraft,
    Form,
    Option,
    Outcome,
    Refused,
    Step,
    Text,
    Wire,
    checked,
)
from bot.handlers.common import Context, reply, staff_only, user_conversation
from bot.handlers.events.management import event_of_button, show_details
from bot.handlers.events.shared import (
    END_OF_DAY,
    MAX_MESSAGE,
    NAME_LIMIT,
    PROBLEMS,
    Invalid,
    clean_text,
    example_date,
    local_now,
    parse_minutes,
    parse_number,
)
from bot.i18n import N_
from bot.keyboards import rows
from bot.services import admission
from bot.services.events import (
    ChangeRefused,
    EventChange,
    NewCapacity,
    NewDeadline,
    NewDuration,
    NewName,
    NewStart,
    Problem,
    get_event,
    update_event,
)

EDITING = "event_edit"  # the conversation's name (stored: never rename)
EDIT_VALUE = "edit_value"  # the state of a typed field (stored: never rename)
EDIT_ADMISSION = "edit_admission"  # the state of the seat rule's buttons (stored)


class EditDraft(FlowDraft):
    """Which field of which event is being changed, and the event's zone (for dates)."""

    VERSION: ClassVar[int] = 2

    event: int
    field: EditableField | None = None  # None: the seat rule (`EDIT_ADMISSION`)
    zone: str


def upgrade(stored: dict[str, Any]) -> dict[str, Any] | None:
    """Version 1, before `FlowDraft`: the same keys, no `version`."""
    return None if "version" in stored else {**stored, "version": EditDraft.VERSION}


DRAFTS = Drafts("event_edit", EditDraft, upgrade)
Here = At[EditDraft]


def _date(raw: str, zone: str, *, time_needed: bool) -> datetime:
    parsed = parse_french_datetime(raw, today=local_now(zone).date())
    if parsed is None or (time_needed and parsed.at is None):
        raise Invalid(
            N_("I cannot read this date. Please write it like this: {example}."),
            example=example_date(zone),
        )
    return in_zone(parsed.naive(parsed.at or END_OF_DAY), zone)


Reader = Callable[[str, str], EventChange]


@dataclass(frozen=True)
class Editable:
    label: str  # msgid of its button
    prompt: str  # msgid of its question ({example}: a date in the event's zone)
    read: Reader  # the typed text (and the event's zone) as a change; raises `Invalid`


FIELDS: dict[EditableField, Editable] = {
    "name": Editable(
        N_("Name"),
        N_("Type the new name."),
        lambda raw, zone: NewName(clean_text(raw, NAME_LIMIT)),
    ),
    "date": Editable(
        N_("Date and time"),
        N_("Type the new date and time, for example {example}."),
        lambda raw, zone: NewStart(_date(raw, zone, time_needed=True)),
    ),
    "deadline": Editable(
        N_("Sign-up deadline"),
        N_("Type the new sign-up deadline, for example {example}."),
        lambda raw, zone: NewDeadline(_date(raw, zone, time_needed=False)),
    ),
    "duration": Editable(
        N_("Duration"),
        N_("Type the new duration, for example 3h or 2h30."),
        lambda raw, zone: NewDuration(parse_minutes(raw, 15, 24 * 60, bare_is_minutes=False)),
    ),
    "maxc": Editable(
        N_("Candidates at most"),
        N_("Type the new maximum number of candidates."),
        lambda raw, zone: NewCapacity(Role.CANDIDATE, parse_number(raw, 1, 2000)),
    ),
    "maxe": Editable(
        N_("Employers at most"),
        N_("Type the new maximum number of employers."),
        lambda raw, zone: NewCapacity(Role.EMPLOYER, parse_number(raw, 0, 2000)),
    ),
}


@staff_only
async def on_edit_menu(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    pressed = EventEditMenu.parse(query.data)
    event = await event_of_button(update, context, pressed.event_id if pressed else None)
    if event is None:
        return
    await query.answer()
    _ = translator_for(update)
    choices = [
        button(_.plain(field.label), EventField(event.id, key)) for key, field in FIELDS.items()
    ]
    choices.append(button(_.plain("Who gets a seat"), AdmissionEdit(event.id)))
    choices.append(button(_.plain("Employers' opinions"), ReviewSetting(event.id, "menu")))
    await reply(update, _("What do you want to change?"), reply_markup=rows(choices))


async def on_edit_field(update: Update, context: Context) -> object:
    """A field's button: its question (the conversation's entry)."""
    query = update.callback_query
    assert query is not None
    pressed = EventField.parse(query.data)
    event = await event_of_button(update, context, pressed.event_id if pressed else None)
    if pressed is None or event is None:
        return None
    _ = translator_for(update)
    if event.cancelled:
        await query.answer(_.plain(PROBLEMS[Problem.CANCELLED]), show_alert=True)
        return None
    await query.answer()
    draft = EditDraft(event=event.id, field=pressed.field, zone=event.timezone)
    return await FORM.begin(update, context, draft, EDIT_VALUE)


async def on_edit_admission(update: Update, context: Context) -> object:
    """ "Who gets a seat": the rule's buttons (the conversation's other entry)."""
    query = update.callback_query
    assert query is not None
    pressed = AdmissionEdit.parse(query.data)
    event = await event_of_button(update, context, pressed.event_id if pressed else None)
    if event is None:
        return None
    _ = translator_for(update)
    if event.cancelled:
        await query.answer(_.plain(PROBLEMS[Problem.CANCELLED]), show_alert=True)
        return None
    await query.answer()
    return await FORM.begin(
        update, context, EditDraft(event=event.id, zone=event.timezone), EDIT_ADMISSION
    )


async def admission_prompt(at: Here) -> str:
    _ = at.tr
    return _(
        "When there are more candidates than seats, who gets a seat?\n"
        "• Order of registration: the first to sign up.\n"
        "• Team's choice: the order you set in /inscrits.\n"
        "• Best matches: the seats that make the best meetings overall.\n"
        "• Fewest chances elsewhere: those with the fewest other good matches."
    )


async def admission_options(at: Here) -> list[Option]:
    _ = at.tr
    try:
        current = await admission.rule_of(services(at.context).database, at.draft.event)
    except LookupError:
        current = None
    return [
        Option(rule, checked(_.plain(admission.RULE_LABELS[rule]), rule == current))
        for rule in admission.RULES
    ]


async def save_admission(at: Here, option: Option) -> Outcome:
    """The rule, saved at once; the event's details after it."""
    _ = at.tr
    database = services(at.context).database
    rule = admission.as_rule(option.value)
    try:
        changed = await admission.set_rule(database, at.draft.event, rule)
    except LookupError:
        changed = False
    event = await get_event(database, at.draft.event)
    if event is None:
        await at.reply(_("This event no longer exists."))
        return END
    await at.reply(_("✅ Saved.") if changed else _("Nothing changed: it was already so."))
    if rule == "staff":
        await at.reply(_("Set the order of the candidates in /inscrits."))
    await show_details(at.update, event)
    return END


def edit_prompt(at: Here) -> str:
    _ = at.tr
    assert at.draft.field is not None
    prompt = FIELDS[at.draft.field].prompt
    return _(prompt, example=example_date(at.draft.zone)) + "\n" + _("Type /annuler to stop.")


async def save(at: Here, text: str) -> Outcome:
    """The change, saved at once; the event's details after it."""
    _ = at.tr
    assert at.draft.field is not None
    try:
        change = FIELDS[at.draft.field].read(text, at.draft.zone)
        event, changed = await update_event(services(at.context).database, at.draft.event, change)
    except Invalid as refusal:
        return Refused(refusal.message, refusal.values)
    except ChangeRefused as refusal:
        if refusal.problem != Problem.CANCELLED:
            return Refused(PROBLEMS[refusal.problem], refusal.values)
        await at.reply("⚠️ " + _(PROBLEMS[refusal.problem]))
        return END
    except LookupError:
        await at.reply(_("This event no longer exists."))
        return END
    await at.reply(_("✅ Saved.") if changed else _("Nothing changed: it was already so."))
    await show_details(at.update, event)
    return END


async def nothing_to_confirm(at: Here) -> Outcome:
    return END


EDIT_FLOW = Flow(
    "edit",
    steps=(
        Step(EDIT_VALUE, edit_prompt, Text(limit=MAX_MESSAGE, answer=save)),
        Step(
            EDIT_ADMISSION,
            admission_prompt,
            Buttons(admission_options, answer=save_admission, per_row=1),
        ),
    ),
    summary=lambda at: [],  # never shown: the one answer is saved at once (`save`)
    confirm=nothing_to_confirm,
)


async def lost(update: Update, context: Context) -> int:
    """The draft is gone (erased): the conversation ends silently."""
    return END


FORM = Form(
    drafts=DRAFTS,
    wire=Wire(EditAnswer, EditAnswerPair),
    flows=(EDIT_FLOW,),
    lost=lost,
)


async def on_edit_abandon(update: Update, context: Context) -> int:
    DRAFTS.drop(context)
    _ = translator_for(update)
    await reply(update, _("Nothing was changed."))
    return END


async def on_timeout(update: object, context: Context) -> None:
    """Idle too long: the conversation ends silently; its draft goes with it."""
    DRAFTS.drop(context)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    timeout = services(application).settings.conversation_timeout_minutes
    application.add_handler(
        user_conversation(
            name=EDITING,
            entry_points=[
                CallbackQueryHandler(on_edit_field, pattern=EventField.pattern()),
                CallbackQueryHandler(on_edit_admission, pattern=AdmissionEdit.pattern()),
            ],
            states={
                **FORM.states(),
                ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
            },
            fallbacks=[CommandHandler("annuler", on_edit_abandon)],
            allow_reentry=True,
            conversation_timeout=timedelta(minutes=timeout),
            staff=True,
            reask=FORM.reask,
        )
    )
    application.add_handler(CallbackQueryHandler(on_edit_menu, pattern=EventEditMenu.pattern()))
