"""Follow-up outcomes: what a candidate answers weeks after an event, or staff record for them.

Candidates: a press on the follow-up's first question (`FollowUpAnswer`, sent by the
scheduler) starts the "outcome" conversation. "Je cherche encore" or "Autre" is stored at
once; a job asks the start date, the contract, the duration, whether it came from the
event and whether it matches their wishes, then a summary to confirm (training and
internship: the start date only). Pressing the first question again, or `/situation`,
reopens the latest answer at its summary: "confirm" updates the same row.

Staff (`/suivi`): the event, a candidate marked present, the follow-up (30, 90… days), then
the same steps (`FLOW`, staff wording); stored "saisi par l'équipe". That conversation is
`staff=True`: the role is checked again before every step.

Both conversations run `FLOW` with their own form (`CANDIDATE_FORM`, `STAFF_FORM`): drafts
and button prefixes apart (`oc`, `ocs`), so neither can answer the other's questions.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from babel.dates import format_date
from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    TypeHandler,
)

from bot import clock
from bot.callbacks import (
    FollowUpAnswer,
    OutcomeAnswer,
    OutcomeAnswerPair,
    StaffOutcomeAnswer,
    StaffOutcomeAnswerPair,
)
from bot.context import services, translator_for
from bot.dates import MONTHS, parse_french_datetime
from bot.db.models.aftercare import Situation
from bot.engine.conversation import END, Conversation
from bot.engine.steps import (
    At,
    Buttons,
    Drafts,
    Flow,
    FlowDraft,
    Form,
    Goto,
    Option,
    Outcome,
    Refused,
    Step,
    Text,
    Wire,
    close_choice,
)
from bot.handlers.common import Context, identity_of, reply, staff_only, user_conversation
from bot.i18n import N_, Translator
from bot.services.aftercare import outcomes
from bot.services.aftercare.outcomes import (
    DATED,
    DECLINE,
    Answers,
    FollowUp,
    OutcomeKey,
    Refusal,
)
from bot.services.people import touch_person

CANDIDATE_CONVERSATION = "outcome"  # stored with the person's step: never rename
STAFF_CONVERSATION = "outcome_staff"

# States (stored with the person's step and in callback data): never rename them.
EVENT = "ev"
WHO = "who"
WHEN = "when"
SITUATION = "sit"
START = "start"
CONTRACT = "contract"
DURATION = "length"
FROM_EVENT = "from"
WISHES = "wish"
SUMMARY = "sum"
JOB_STEPS = (CONTRACT, DURATION, FROM_EVENT, WISHES)
UNKNOWN_DATE = "unknown"
SOON_DAYS = 92  # a date typed without a year further ahead than this is last year's
AHEAD_DAYS = 365
BEHIND_YEARS = 10

NOT_VALID = N_("This button is not valid.")
UNREADABLE = N_("I cannot read this date. Please write it like this: {example}.")
IMPOSSIBLE = N_("This date does not exist. Please check the day and the month, e.g. {example}.")
TOO_FAR = N_("This date is more than a year away. Please check it, e.g. {example}.")
TOO_OLD = N_("This date is very long ago. Please check the year, e.g. {example}.")
REFUSALS = {
    Refusal.UNKNOWN: N_("This button is no longer valid."),
    Refusal.NOT_YOURS: N_("This button is not for you."),
    Refusal.DECLINED: N_("You chose not to answer these questions. Nothing changes."),
    Refusal.CLOSED: N_("These questions are closed. Thank you."),
    Refusal.ANSWERED: N_("You have already answered. To change your answers, type /situation."),
}


class OutcomeDraft(FlowDraft):
    """The follow-up being answered (JSON in `user_data`, one key per conversation)."""

    VERSION: ClassVar[int] = 1

    staff: bool = False
    recorded_by: int | None = None
    questionnaire_id: int | None = None
    event_id: int | None = None
    person_id: int | None = None
    offset_days: int | None = None
    event_name: str = ""
    person_name: str = ""
    zone: str = "Europe/Paris"
    stored_by_staff: bool = False
    situation: str | None = None
    start_date: date | None = None
    start_unknown: bool = False
    contract: str | None = None
    duration: str | None = None
    from_event: str | None = None
    matches_wishes: str | None = None


CANDIDATE_DRAFTS = Drafts("outcome", OutcomeDraft)
STAFF_DRAFTS = Drafts("outcome_staff", OutcomeDraft)
Here = At[OutcomeDraft]


# ---------------------------------------------------------------- labels

SITUATION_BUTTONS = {
    Situation.JOB: N_("I have a job"),
    Situation.TRAINING: N_("I am in training"),
    Situation.INTERNSHIP: N_("I am in an internship"),
    Situation.SEARCHING: N_("I am still looking"),
    Situation.OTHER: N_("Other"),
}
SITUATION_NAMES = {
    Situation.JOB: N_("In a job"),
    Situation.TRAINING: N_("In training"),
    Situation.INTERNSHIP: N_("In an internship"),
    Situation.SEARCHING: N_("Still looking for work"),
    Situation.OTHER: N_("Other situation"),
}
CONTRACTS = {
    "cdi": N_("CDI"),
    "cdd": N_("CDD"),
    "interim": N_("Temporary work"),
    "aided": N_("Subsidised contract"),
    "own": N_("My own business"),
    "other": N_("Other"),
}
STAFF_OWN = N_("Own business")
DURATIONS = {
    "lt1": N_("Less than a month"),
    "1to6": N_("Between 1 and 6 months"),
    "6plus": N_("6 months or more"),
    "open": N_("No planned end"),
}
LEVELS = {"yes": N_("Yes"), "partly": N_("Partly"), "no": N_("No")}


def _situation_name(_: Translator, code: str | None) -> str:
    return _.plain(SITUATION_NAMES[Situation(code)]) if code in SITUATION_NAMES else "–"


def _contract_name(_: Translator, code: str | None, staff: bool) -> str:
    if code == "own" and staff:
        return _.plain(STAFF_OWN)
    return _.plain(CONTRACTS[code]) if code in CONTRACTS else "–"


def _named(_: Translator, names: dict[str, str], code: str | None) -> str:
    return _.plain(names[code]) if code in names else "–"


def french_date(_: Translator, day: date) -> str:
    return format_date(day, "d MMMM y", locale=_.language)


def today_in(zone: str) -> date:
    return clock.now().astimezone(ZoneInfo(zone)).date()


def example(zone: str) -> str:
    return today_in(zone).strftime("%d/%m/%Y")


# ---------------------------------------------------------------- reading a start date

_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{4}|\d{2}))?\b")
_WORDS = re.compile(
    r"\b(\d{1,2})(?:er)?\s+(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b"
    r"\.?(?:\s+(\d{4}))?"
)
LEAP_YEAR = 2028  # a day and month without a year: 29 February is possible


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _exists(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def impossible_date(text: str) -> bool:
    """A day and month written as a date that no calendar has ("31/02/2027", "30 février")."""
    plain = _plain(text)
    if match := _ISO.search(plain):
        year, month, day = (int(part) for part in match.groups())
        return not _exists(year, month, day)
    if match := _NUMERIC.search(plain):
        day_text, month_text, year_text = match.groups()
        year = int(year_text) if year_text else LEAP_YEAR
        year = 2000 + year if year < 100 else year
        return not _exists(year, int(month_text), int(day_text))
    if match := _WORDS.search(plain):
        day_text, month_name, year_text = match.groups()
        year = int(year_text) if year_text else LEAP_YEAR
        return not _exists(year, MONTHS[month_name], int(day_text))
    return False


def read_start_date(text: str, today: date) -> date | Refused:
    """A start date as typed, read by the same parser as event dates (`bot.dates`).

    A day without a year is the nearest one: this year's, or last year's when this year's is
    more than three months ahead ("15 mars" typed in December is last March).
    """
    values = {"example": today.strftime("%d/%m/%Y")}
    if impossible_date(text):
        return Refused(IMPOSSIBLE, values)
    found = parse_french_datetime(text, today=today)
    if found is None:
        return Refused(UNREADABLE, values)
    day = found.day
    earlier = parse_french_datetime(text, today=today - timedelta(days=365))
    if earlier is not None and earlier.day != day and day > today + timedelta(days=SOON_DAYS):
        day = earlier.day
    if day > today + timedelta(days=AHEAD_DAYS):
        return Refused(TOO_FAR, values)
    if day.year < today.year - BEHIND_YEARS:
        return Refused(TOO_OLD, values)
    return day


# ---------------------------------------------------------------- the steps


def applicable(situation: str | None) -> list[str]:
    """The flow's steps that this situation asks."""
    steps = [SITUATION]
    if situation in DATED:
        steps.append(START)
    if situation == Situation.JOB:
        steps += JOB_STEPS
    return steps


def _flow_states() -> set[str]:
    return {SITUATION, START, *JOB_STEPS}


def _situation_prompt(at: Here) -> str:
    _ = at.tr
    if at.draft.staff:
        return _("Where does {name} stand today?", name=at.draft.person_name)
    return _("What is your situation today?")


def _situations(at: Here) -> list[Option]:
    names = SITUATION_NAMES if at.draft.staff else SITUATION_BUTTONS
    return [Option(code.value, at.tr.plain(names[code])) for code in Situation]


FIELDS = {  # the draft's field of each job step
    CONTRACT: "contract",
    DURATION: "duration",
    FROM_EVENT: "from_event",
    WISHES: "matches_wishes",
}


def _situation_chosen(at: Here, option: Option) -> Outcome:
    """A situation, first or changed: its own questions if some are unanswered (in a row,
    then the summary), else back to the summary; answers it does not ask are dropped."""
    draft = at.draft
    draft.situation = option.value
    if draft.situation not in DATED:
        draft.start_date, draft.start_unknown = None, False
    if draft.situation != Situation.JOB:
        draft.contract = draft.duration = draft.from_event = draft.matches_wishes = None
    keep = applicable(draft.situation)
    draft.asked = [state for state in draft.asked if state not in _flow_states() or state in keep]
    missing = []
    if draft.situation in DATED and draft.start_date is None and not draft.start_unknown:
        missing.append(START)
    if draft.situation == Situation.JOB:
        missing += [state for state in JOB_STEPS if getattr(draft, FIELDS[state]) is None]
    if missing:
        draft.editing = False  # the new questions in a row, then the summary
        return Goto(missing[0])
    return Goto(SUMMARY)


def _start_prompt(at: Here) -> str:
    _ = at.tr
    values = {"example": example(at.draft.zone)}
    if at.draft.staff:
        return _(
            "When did {name} start (or when will they start)? Write the date, e.g. {example}.",
            name=at.draft.person_name,
            **values,
        )
    if at.draft.situation == Situation.TRAINING:
        return _("When did your training start (or when does it start)? E.g. {example}.", **values)
    if at.draft.situation == Situation.INTERNSHIP:
        return _(
            "When did your internship start (or when does it start)? E.g. {example}.", **values
        )
    return _("When did you start this job (or when do you start)? E.g. {example}.", **values)


DONT_KNOW = N_("I don't know")
DONT_REMEMBER = N_("I don't remember")


def _unknown_date(at: Here) -> list[Option]:
    return [Option(UNKNOWN_DATE, at.tr.plain(DONT_KNOW if at.draft.staff else DONT_REMEMBER))]


def _date_unknown(at: Here, option: Option) -> Outcome:
    at.draft.start_date, at.draft.start_unknown = None, True
    return None


def _date_typed(at: Here, text: str) -> Outcome:
    found = read_start_date(text, today_in(at.draft.zone))
    if isinstance(found, Refused):
        return found
    at.draft.start_date, at.draft.start_unknown = found, False
    return None


def _is_not(*situations: str) -> Callable[[Here], bool]:
    """A step's `skip`: this situation does not ask it."""
    return lambda at: at.draft.situation not in situations


def _options(names: dict[str, str]) -> Callable[[Here], list[Option]]:
    def options(at: Here) -> list[Option]:
        return [Option(code, at.tr.plain(label)) for code, label in names.items()]

    return options


def _contracts(at: Here) -> list[Option]:
    return [Option(code, _contract_name(at.tr, code, at.draft.staff)) for code in CONTRACTS]


def _from_prompt(at: Here) -> str:
    _ = at.tr
    if at.draft.staff:
        return _(
            "Did {name} find this job thanks to “{event}”?",
            name=at.draft.person_name,
            event=at.draft.event_name,
        )
    return _("Did you find this job thanks to the meeting “{event}”?", event=at.draft.event_name)


def _wishes_prompt(at: Here) -> str:
    _ = at.tr
    if at.draft.staff:
        return _("Does this job match what {name} wanted?", name=at.draft.person_name)
    return _("Does this job match what you wanted?")


FLOW_STEPS: tuple[Step[OutcomeDraft], ...] = (
    Step(
        SITUATION,
        _situation_prompt,
        Buttons(_situations, answer=_situation_chosen, per_row=1),
        field="situation",
        label=N_("Situation"),
    ),
    Step(
        START,
        _start_prompt,
        (Text(limit=80, answer=_date_typed), Buttons(_unknown_date, answer=_date_unknown)),
        label=N_("Start date"),
        skip=_is_not(*DATED),
    ),
    Step(
        CONTRACT,
        N_("What kind of contract is it?"),
        Buttons(_contracts),
        field="contract",
        label=N_("Contract"),
        skip=_is_not(Situation.JOB),
    ),
    Step(
        DURATION,
        N_("How long is it planned to last?"),
        Buttons(_options(DURATIONS)),
        field="duration",
        label=N_("Duration"),
        skip=_is_not(Situation.JOB),
    ),
    Step(
        FROM_EVENT,
        _from_prompt,
        Buttons(_options(LEVELS), per_row=3),
        field="from_event",
        label=N_("Thanks to the meeting"),
        skip=_is_not(Situation.JOB),
    ),
    Step(
        WISHES,
        _wishes_prompt,
        Buttons(_options(LEVELS), per_row=3),
        field="matches_wishes",
        label=N_("Matches the wishes"),
        skip=_is_not(Situation.JOB),
    ),
)


def summary_lines(at: Here) -> list[str]:
    _ = at.tr
    draft = at.draft
    if draft.staff:
        title = _(
            "<b>{name}</b> – {event}, {days} days after",
            name=draft.person_name,
            event=draft.event_name,
            days=draft.offset_days or 0,
        )
    else:
        title = _(
            "<b>Your answers</b> – {event}, {days} days after",
            event=draft.event_name,
            days=draft.offset_days or 0,
        )
    lines = [title, "", _("Situation: {value}", value=_situation_name(_, draft.situation))]
    if draft.situation in DATED:
        start = (
            french_date(_, draft.start_date)
            if draft.start_date is not None
            else _.plain("not known")
        )
        lines.append(_("Start: {value}", value=start))
    if draft.situation == Situation.JOB:
        lines += [
            _("Contract: {value}", value=_contract_name(_, draft.contract, draft.staff)),
            _("Duration: {value}", value=_named(_, DURATIONS, draft.duration)),
            _("Thanks to the meeting: {value}", value=_named(_, LEVELS, draft.from_event)),
            _("Matches the wishes: {value}", value=_named(_, LEVELS, draft.matches_wishes)),
        ]
    if draft.stored_by_staff:
        lines += ["", _("<i>Recorded by the team.</i>")]
    lines += ["", _("Is this right?")]
    return lines


def _key(draft: OutcomeDraft) -> OutcomeKey:
    assert draft.event_id and draft.person_id and draft.offset_days is not None
    return OutcomeKey(draft.event_id, draft.person_id, draft.offset_days)


def _answers(draft: OutcomeDraft) -> Answers:
    assert draft.situation is not None
    return Answers(
        situation=draft.situation,
        start_date=draft.start_date,
        contract=draft.contract,
        duration=draft.duration,
        from_event=draft.from_event,
        matches_wishes=draft.matches_wishes,
    )


THANKS = {
    Situation.JOB: N_("Thank you! Your answers are saved. Congratulations on this job!"),
    Situation.TRAINING: N_("Thank you! Your answers are saved. Good luck with your training!"),
    Situation.INTERNSHIP: N_("Thank you! Your answers are saved. Good luck with your internship!"),
    Situation.SEARCHING: N_(
        "Thank you for telling us. Good luck with your search: your adviser is there to help."
    ),
    Situation.OTHER: N_("Thank you for telling us."),
}
CHANGE_LATER = N_("You can change your answers at any time with /situation.")


def thanks(_: Translator, situation: str) -> str:
    return _(THANKS[Situation(situation)]) + "\n" + _(CHANGE_LATER)


async def confirm(at: Here) -> Outcome:
    """ "That's right": stored (or updated), and any open questionnaire of it answered."""
    _ = at.tr
    query = at.update.callback_query
    assert query is not None
    await query.answer()
    await at.close_choice()
    draft = at.draft
    await outcomes.save(
        services(at.context).database,
        _key(draft),
        _answers(draft),
        recorded_by=draft.recorded_by if draft.staff else None,
    )
    if draft.staff:
        await at.reply(_("Saved for {name}, recorded by the team.", name=draft.person_name))
    else:
        assert draft.situation is not None
        await at.reply(thanks(_, draft.situation))
    return END


FLOW = Flow[OutcomeDraft]("outcome", steps=FLOW_STEPS, summary=summary_lines, confirm=confirm)


# ---------------------------------------------------------------- staff: whom to record


def _event_label(_: Translator, event: outcomes.EventChoice) -> str:
    day = event.starts_at.astimezone(ZoneInfo(event.timezone)).date()
    return f"{event.name[:40]} – {french_date(_, day)}"


async def _events(at: Here) -> list[Option]:
    events = await outcomes.staff_events(services(at.context).database)
    return [Option(str(event.id), _event_label(at.tr, event), echo=event.name) for event in events]


async def _event_chosen(at: Here, option: Option) -> Outcome:
    event = await outcomes.staff_event(services(at.context).database, int(option.value))
    if event is None:
        return Refused(NOT_VALID)
    at.draft.event_id, at.draft.event_name, at.draft.zone = event.id, event.name, event.timezone
    return Goto(WHO)


def _recorded_mark(_: Translator, by_staff: bool) -> str:
    return " ✅ " + _.plain("(team)") if by_staff else " ✅"


async def _people(at: Here) -> list[Option]:
    if at.draft.event_id is None:
        return []
    people = await outcomes.attendees(services(at.context).database, at.draft.event_id)
    return [
        Option(
            str(person.person_id),
            person.name[:40] + (" ✅" if person.recorded else ""),
            echo=person.name,
        )
        for person in people
    ]


def _person_chosen(at: Here, option: Option) -> Outcome:
    at.draft.person_id, at.draft.person_name = int(option.value), option.echo or ""
    return Goto(WHEN)


async def _offsets(at: Here) -> list[Option]:
    database = services(at.context).database
    if at.draft.event_id is None or at.draft.person_id is None:
        return []
    event = await outcomes.staff_event(database, at.draft.event_id)
    people = await outcomes.attendees(database, at.draft.event_id)
    person = next((p for p in people if p.person_id == at.draft.person_id), None)
    if event is None or person is None:
        return []
    options = []
    for days in event.follow_up_days:
        label = at.tr.plain("{days} days after", days=days)
        if days in person.recorded:
            label += _recorded_mark(at.tr, person.recorded[days])
        options.append(Option(str(days), label))
    return options


async def _offset_chosen(at: Here, option: Option) -> Outcome:
    draft = at.draft
    assert draft.event_id is not None and draft.person_id is not None
    key = OutcomeKey(draft.event_id, draft.person_id, int(option.value))
    found = await outcomes.staff_follow_up(services(at.context).database, key)
    if found is None:
        return Refused(NOT_VALID)
    _fill(draft, found)
    return Goto(SUMMARY if found.stored is not None else SITUATION)


STAFF_STEPS: tuple[Step[OutcomeDraft], ...] = (
    Step(
        EVENT,
        N_("Record a follow-up: for which event?"),
        Buttons(_events, answer=_event_chosen, per_row=1),
    ),
    Step(
        WHO,
        N_("About whom? Only the people who came are listed."),
        Buttons(_people, answer=_person_chosen, per_row=1),
    ),
    Step(WHEN, N_("Which follow-up?"), Buttons(_offsets, answer=_offset_chosen, per_row=1)),
)


# ---------------------------------------------------------------- the forms


def _fill(draft: OutcomeDraft, found: FollowUp) -> None:
    """The draft of a follow-up, with what is stored (then the summary shows it)."""
    draft.questionnaire_id = found.questionnaire_id
    draft.event_id, draft.person_id = found.key.event_id, found.key.person_id
    draft.offset_days = found.key.offset_days
    draft.event_name, draft.person_name, draft.zone = (
        found.event_name,
        found.person_name,
        found.timezone,
    )
    stored = found.stored
    if stored is None:
        return
    answers = stored.answers
    draft.stored_by_staff = stored.by_staff
    draft.situation = answers.situation
    draft.start_date = answers.start_date
    draft.start_unknown = answers.situation in DATED and answers.start_date is None
    draft.contract, draft.duration = answers.contract, answers.duration
    draft.from_event, draft.matches_wishes = answers.from_event, answers.matches_wishes
    draft.asked = [*draft.asked, *applicable(answers.situation)]


def _form(drafts: Drafts[OutcomeDraft], wire: Wire, staff: bool) -> Form[OutcomeDraft]:
    return Form[OutcomeDraft](
        drafts=drafts,
        wire=wire,
        flows=(FLOW,),
        steps=STAFF_STEPS if staff else (),
        lost=staff_lost if staff else lost,
        summary_state=SUMMARY,
    )


async def lost(update: Update, context: Context) -> int:
    """The draft is gone (erased, or unreadable): end, and say how to go on."""
    CANDIDATE_DRAFTS.drop(context)
    await _gone(update, N_("These questions are no longer in progress. Type /situation."))
    return END


async def staff_lost(update: Update, context: Context) -> int:
    STAFF_DRAFTS.drop(context)
    await _gone(update, N_("This follow-up is no longer in progress. Type /suivi."))
    return END


async def _gone(update: Update, message: str) -> None:
    _ = translator_for(update)
    if update.callback_query is not None:
        await update.callback_query.answer(_.plain(message), show_alert=True)
    else:
        await reply(update, _(message))


CANDIDATE_FORM = _form(CANDIDATE_DRAFTS, Wire(OutcomeAnswer, OutcomeAnswerPair), staff=False)
STAFF_FORM = _form(STAFF_DRAFTS, Wire(StaffOutcomeAnswer, StaffOutcomeAnswerPair), staff=True)


# ---------------------------------------------------------------- candidates: entry points


def _leave(context: Context, questionnaire_id: int) -> int | None:
    """After a press answered at once: end the conversation if it was about this follow-up
    (its draft dropped), else leave whatever else is in progress as it is."""
    draft = CANDIDATE_DRAFTS.load(context)
    if draft is not None and draft.questionnaire_id == questionnaire_id:
        CANDIDATE_DRAFTS.drop(context)
        return END
    return None


async def on_first_answer(update: Update, context: Context) -> object:
    """A button of the follow-up's first question (the invitation or a reminder)."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    _ = translator_for(update)
    database = services(context).database
    data = FollowUpAnswer.parse(query.data)
    if data is None or (
        data.answer != DECLINE and data.answer not in {code.value for code in Situation}
    ):
        await query.answer(_.plain(NOT_VALID), show_alert=True)
        return None
    if data.answer == DECLINE:
        refusal = await outcomes.decline(database, data.questionnaire_id, user.id)
        if refusal is not None:
            await query.answer(_.plain(REFUSALS[refusal]), show_alert=True)
            return None
        await query.answer()
        await close_choice(update, _)
        await reply(update, _("Noted. You will not be asked these questions again. Thank you."))
        return _leave(context, data.questionnaire_id)
    found = await outcomes.follow_up_of(database, data.questionnaire_id, user.id)
    if isinstance(found, Refusal):
        await query.answer(_.plain(REFUSALS[found]), show_alert=True)
        return None
    current = CANDIDATE_DRAFTS.load(context)
    if (
        current is not None
        and current.questionnaire_id == data.questionnaire_id
        and current.situation == data.answer
        and current.step is not None
    ):  # a second press on the same button: the question in progress stays
        await query.answer(_.plain("Already noted. Please answer the last question."))
        return None
    await query.answer()
    stored = found.stored
    if data.answer not in DATED:
        if stored is not None and stored.answers.situation == data.answer:
            await reply(update, _("You have already told us this. Thank you!"))
        else:
            await outcomes.save(database, found.key, Answers(situation=data.answer))
            await reply(update, thanks(_, data.answer))
        return _leave(context, data.questionnaire_id)
    draft = OutcomeDraft()
    _fill(draft, found)
    if stored is not None and stored.answers.situation == data.answer:
        return await CANDIDATE_FORM.begin(update, context, draft, SUMMARY)
    fresh = OutcomeDraft(situation=data.answer, asked=[SITUATION])
    _fill(fresh, dataclasses.replace(found, stored=None))
    return await CANDIDATE_FORM.begin(update, context, fresh, START)


async def situation_command(update: Update, context: Context) -> object:
    """`/situation`: the latest follow-up, at its summary (or its first question)."""
    _ = translator_for(update)
    user = update.effective_user
    assert user is not None
    found = await outcomes.latest_follow_up(services(context).database, user.id)
    if found is None:
        CANDIDATE_DRAFTS.drop(context)
        await reply(update, _("You have no follow-up questions for now. Thank you!"))
        return END
    draft = OutcomeDraft()
    _fill(draft, found)
    return await CANDIDATE_FORM.begin(
        update, context, draft, SUMMARY if found.stored is not None else SITUATION
    )


async def staff_command(update: Update, context: Context) -> object:
    """`/suivi` (staff only: the conversation checks the role before every step)."""
    _ = translator_for(update)
    app = services(context)
    if not await outcomes.staff_events(app.database):
        STAFF_DRAFTS.drop(context)
        await reply(
            update,
            _("No past event has people marked present yet. Mark them with /presences."),
        )
        return END
    staff = await touch_person(app.database, identity_of(update), app.settings.staff_ids)
    draft = OutcomeDraft(staff=True, recorded_by=staff.id)
    return await STAFF_FORM.begin(update, context, draft, EVENT)


# ---------------------------------------------------------------- leaving, stale buttons


def _cancel(drafts: Drafts[OutcomeDraft]) -> Any:
    async def cancel(update: Update, context: Context) -> int:
        _ = translator_for(update)
        drafts.drop(context)
        await reply(update, _("Cancelled. Nothing has changed."))
        return END

    return cancel


def _timed_out(drafts: Drafts[OutcomeDraft], again: str) -> Any:
    async def timed_out(update: Update, context: Context) -> None:
        _ = translator_for(update)
        drafts.drop(context)
        chat = update.effective_chat
        if chat is not None:
            await context.bot.send_message(
                chat.id,
                _("You have not answered for a while, so I stopped these questions.")
                + "\n"
                + _(again),
            )

    return timed_out


def _stale(message: str) -> Any:
    async def stale(update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        _ = translator_for(update)
        await query.answer(_.plain(message), show_alert=True)

    return stale


AGAIN_CANDIDATE = N_("Nothing was changed. To answer, type /situation.")
AGAIN_STAFF = N_("Nothing was saved. To start again, type /suivi.")
STALE_CANDIDATE = N_("This button is no longer valid. Type /situation.")
STALE_STAFF = N_("This button is no longer valid. Type /suivi.")


def conversations(timeout_minutes: float) -> list[Conversation]:
    timeout = timedelta(minutes=timeout_minutes)
    candidate = user_conversation(
        name=CANDIDATE_CONVERSATION,
        entry_points=[
            CallbackQueryHandler(on_first_answer, pattern=FollowUpAnswer.pattern()),
            CommandHandler("situation", situation_command),
        ],
        states={
            **CANDIDATE_FORM.states(),
            ConversationHandler.TIMEOUT: [
                TypeHandler(Update, _timed_out(CANDIDATE_DRAFTS, AGAIN_CANDIDATE))
            ],
        },
        fallbacks=[
            CommandHandler(["annuler", "cancel"], _cancel(CANDIDATE_DRAFTS)),
            CallbackQueryHandler(_stale(STALE_CANDIDATE), pattern=OutcomeAnswer.pattern()),
        ],
        allow_reentry=True,
        conversation_timeout=timeout,
    )
    staff = user_conversation(
        name=STAFF_CONVERSATION,
        entry_points=[CommandHandler("suivi", staff_command)],
        states={
            **STAFF_FORM.states(),
            ConversationHandler.TIMEOUT: [
                TypeHandler(Update, _timed_out(STAFF_DRAFTS, AGAIN_STAFF))
            ],
        },
        fallbacks=[
            CommandHandler(["annuler", "cancel"], _cancel(STAFF_DRAFTS)),
            CallbackQueryHandler(_stale(STALE_STAFF), pattern=StaffOutcomeAnswer.pattern()),
        ],
        allow_reentry=True,
        conversation_timeout=timeout,
        staff=True,
    )
    return [candidate, staff]


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    settings = services(application).settings
    for conversation in conversations(settings.conversation_timeout_minutes):
        application.add_handler(conversation)
    application.add_handler(
        CallbackQueryHandler(_stale(STALE_CANDIDATE), pattern=OutcomeAnswer.pattern())
    )
    application.add_handler(
        CallbackQueryHandler(staff_only(_stale(STALE_STAFF)), pattern=StaffOutcomeAnswer.pattern())
    )
