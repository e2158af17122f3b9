"""Follow-up outcomes: where a candidate who attended stands N days after an event.

The candidate answers the follow-up's first question ("Où en êtes-vous ?", sent by
`schedule`) and, for a job, a few more; or staff record it for someone who does not answer
(`by_staff`, `recorded_by`). One row per (event, person, offset): a change later updates
that row, so the report (`report`, `funders`) always reads the latest answer. Funders'
categories are computed from these rows elsewhere, never stored here.

For the report: `outcomes_for(session, event_ids=[…])` gives plain `OutcomeFacts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.db.models.aftercare import Outcome as OutcomeRow
from bot.db.models.aftercare import (
    Questionnaire,
    QuestionnaireKind,
    QuestionnaireStatus,
    Situation,
)
from bot.db.models.events import Event, EventStatus, Registration, RegistrationStatus
from bot.db.models.people import Person, Role
from bot.db.session import Database
from bot.services.aftercare import schedule

# Answer codes as stored (see the `Outcome` model).
CONTRACTS = ("cdi", "cdd", "interim", "aided", "own", "other")
DURATIONS = ("lt1", "1to6", "6plus", "open")
LEVELS = ("yes", "partly", "no")
DATED = (Situation.JOB, Situation.TRAINING, Situation.INTERNSHIP)  # a start date is asked
DECLINE = "decline"  # the first question's "Je ne souhaite pas répondre"
# Statuses in which a press on the first question is taken (a change after answering too).
TAKEN = (QuestionnaireStatus.OPEN, QuestionnaireStatus.ANSWERED)
ACTIVE = (RegistrationStatus.REGISTERED, RegistrationStatus.CONFIRMED)
STAFF_EVENTS = 10
STAFF_PEOPLE = 40


class Refusal(StrEnum):
    """Why a press on a follow-up's first question changes nothing."""

    UNKNOWN = "unknown"  # no such follow-up questionnaire (forged, or erased)
    NOT_YOURS = "not_yours"
    DECLINED = "declined"  # the person chose not to answer it
    CLOSED = "closed"  # expired or cancelled
    ANSWERED = "answered"  # "decline" after answering: the answer stays


@dataclass(frozen=True)
class OutcomeKey:
    """The unique key of an outcome row."""

    event_id: int
    person_id: int
    offset_days: int


@dataclass(frozen=True)
class Answers:
    """What was answered; only `situation` for anything but a job (and a start date for a
    training or an internship). `start_date` None for a job: "Je ne sais plus"."""

    situation: str
    start_date: date | None = None
    contract: str | None = None
    duration: str | None = None
    from_event: str | None = None
    matches_wishes: str | None = None


@dataclass(frozen=True)
class Stored:
    answers: Answers
    by_staff: bool


@dataclass(frozen=True)
class FollowUp:
    """One follow-up a conversation works on: whose, which event and offset, what is stored."""

    key: OutcomeKey
    questionnaire_id: int | None
    event_name: str
    starts_at: datetime
    timezone: str
    person_name: str
    stored: Stored | None


@dataclass(frozen=True)
class EventChoice:
    id: int
    name: str
    starts_at: datetime
    timezone: str
    follow_up_days: tuple[int, ...]


@dataclass(frozen=True)
class Attendee:
    """A candidate marked present, and the offsets already recorded (True: by staff)."""

    person_id: int
    name: str
    recorded: dict[int, bool]


@dataclass(frozen=True)
class OutcomeFacts:
    """One outcome as the report reads it (`outcomes_for`). `event_date` is the event's
    local date; `start_date` None for a job means "Je ne sais plus"; `by_staff`: recorded
    by the team for someone who did not answer (show "saisi par l'équipe")."""

    person_id: int
    event_id: int
    event_date: date
    offset_days: int
    situation: str
    start_date: date | None
    contract: str | None
    duration: str | None
    from_event: str | None
    matches_wishes: str | None
    by_staff: bool


def full_name(person: Person) -> str:
    return " ".join(part for part in (person.first_name, person.last_name) if part).strip()


def _answers(row: OutcomeRow) -> Stored:
    return Stored(
        Answers(
            situation=row.situation,
            start_date=row.start_date,
            contract=row.contract,
            duration=row.duration,
            from_event=row.from_event,
            matches_wishes=row.matches_wishes,
        ),
        row.by_staff,
    )


async def _stored(session: AsyncSession, key: OutcomeKey) -> Stored | None:
    row = await _row(session, key)
    return _answers(row) if row is not None else None


async def _row(session: AsyncSession, key: OutcomeKey) -> OutcomeRow | None:
    found: OutcomeRow | None = await session.scalar(
        select(OutcomeRow).where(
            OutcomeRow.event_id == key.event_id,
            OutcomeRow.person_id == key.person_id,
            OutcomeRow.offset_days == key.offset_days,
        )
    )
    return found


async def _follow_up(
    session: AsyncSession, key: OutcomeKey, questionnaire_id: int | None
) -> FollowUp | None:
    event = await session.get(Event, key.event_id)
    person = await session.get(Person, key.person_id)
    if event is None or person is None:
        return None
    return FollowUp(
        key=key,
        questionnaire_id=questionnaire_id,
        event_name=event.name,
        starts_at=event.starts_at,
        timezone=event.timezone,
        person_name=full_name(person),
        stored=await _stored(session, key),
    )


async def follow_up_of(
    database: Database, questionnaire_id: int, telegram_id: int
) -> FollowUp | Refusal:
    """A press on the first question: the follow-up, if it is this person's and still open
    (or answered: the answer can be changed)."""
    async with database.session() as session:
        found = await schedule.open_questionnaire(session, questionnaire_id, telegram_id)
        if found == schedule.Refusal.NOT_YOURS:
            return Refusal.NOT_YOURS
        if (
            not isinstance(found, schedule.QuestionnaireView)
            or found.kind != QuestionnaireKind.FOLLOW_UP
            or found.offset_days is None
        ):
            return Refusal.UNKNOWN
        if found.status == QuestionnaireStatus.DECLINED:
            return Refusal.DECLINED
        if found.status not in TAKEN:
            return Refusal.CLOSED
        key = OutcomeKey(found.event_id, found.person_id, found.offset_days)
        follow_up = await _follow_up(session, key, found.id)
        return follow_up if follow_up is not None else Refusal.UNKNOWN


DECLINE_REFUSALS = {
    schedule.DeclineOutcome.ALREADY_ANSWERED: Refusal.ANSWERED,
    schedule.DeclineOutcome.CLOSED: Refusal.CLOSED,
    schedule.DeclineOutcome.NOT_YOURS: Refusal.NOT_YOURS,
    schedule.DeclineOutcome.UNKNOWN: Refusal.UNKNOWN,
}


async def decline(database: Database, questionnaire_id: int, telegram_id: int) -> Refusal | None:
    """ "Je ne souhaite pas répondre": the questionnaire is closed, its reminders dropped.
    None once done (or already declined: nothing changes); else why nothing changed."""
    async with database.session() as session:
        questionnaire = await session.get(Questionnaire, questionnaire_id)
        if questionnaire is None or questionnaire.kind != QuestionnaireKind.FOLLOW_UP:
            return Refusal.UNKNOWN
        result = await schedule.decline(session, questionnaire_id, telegram_id)
        return DECLINE_REFUSALS.get(result.outcome)


async def latest_follow_up(database: Database, telegram_id: int) -> FollowUp | None:
    """For `/situation`: the person's latest follow-up (stored outcome, or questionnaire
    open or answered), by event date then offset; None when there is none."""
    async with database.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        if person is None:
            return None
        keys: dict[OutcomeKey, int | None] = {}
        rows = await session.execute(
            select(OutcomeRow.event_id, OutcomeRow.offset_days).where(
                OutcomeRow.person_id == person.id
            )
        )
        for event_id, offset in rows:
            keys[OutcomeKey(event_id, person.id, offset)] = None
        questionnaires = await session.scalars(
            select(Questionnaire).where(
                Questionnaire.person_id == person.id,
                Questionnaire.kind == QuestionnaireKind.FOLLOW_UP,
                Questionnaire.status.in_(list(TAKEN)),
                Questionnaire.offset_days.is_not(None),
            )
        )
        for questionnaire in questionnaires:
            assert questionnaire.offset_days is not None
            key = OutcomeKey(questionnaire.event_id, person.id, questionnaire.offset_days)
            keys[key] = questionnaire.id
        if not keys:
            return None
        rows = await session.execute(
            select(Event.id, Event.starts_at).where(Event.id.in_({key.event_id for key in keys}))
        )
        starts = {event_id: starts_at for event_id, starts_at in rows}
        latest = max(
            (key for key in keys if key.event_id in starts),
            key=lambda key: (starts[key.event_id], key.offset_days),
            default=None,
        )
        if latest is None:
            return None
        return await _follow_up(session, latest, keys[latest])


async def save(
    database: Database,
    key: OutcomeKey,
    answers: Answers,
    *,
    recorded_by: int | None = None,
) -> None:
    """Store (or update) the outcome; `recorded_by` (a staff person's id) marks it "saisi par
    l'équipe". Any follow-up questionnaire of that key still open is answered."""
    job = answers.situation == Situation.JOB
    dated = answers.situation in DATED
    async with database.session() as session:
        row = await _row(session, key)
        if row is None:
            row = OutcomeRow(
                event_id=key.event_id, person_id=key.person_id, offset_days=key.offset_days
            )
            session.add(row)
        row.situation = answers.situation
        row.start_date = answers.start_date if dated else None
        row.contract = answers.contract if job else None
        row.duration = answers.duration if job else None
        row.from_event = answers.from_event if job else None
        row.matches_wishes = answers.matches_wishes if job else None
        row.by_staff = recorded_by is not None
        row.recorded_by = recorded_by
        row.updated_at = clock.now()
        for questionnaire_id in await session.scalars(
            select(Questionnaire.id).where(
                Questionnaire.kind == QuestionnaireKind.FOLLOW_UP,
                Questionnaire.event_id == key.event_id,
                Questionnaire.person_id == key.person_id,
                Questionnaire.offset_days == key.offset_days,
                Questionnaire.status == QuestionnaireStatus.OPEN,
            )
        ):
            await schedule.mark_answered(session, questionnaire_id)


# ---------------------------------------------------------------- staff


def _attended() -> list[ColumnElement[bool]]:
    """Candidates who attended, as the scheduler asks them: marked present, or confirmed
    and not marked."""
    return [
        Registration.role == Role.CANDIDATE,
        Registration.status.in_(ACTIVE),
        or_(
            Registration.attended.is_(True),
            and_(
                Registration.attended.is_(None),
                Registration.status == RegistrationStatus.CONFIRMED,
            ),
        ),
    ]


def _choice(event: Event) -> EventChoice:
    return EventChoice(
        event.id,
        event.name,
        event.starts_at,
        event.timezone,
        tuple(sorted(set(event.follow_up_days or []))),
    )


def _past_with_attendees() -> list[ColumnElement[bool]]:
    return [
        Event.status != EventStatus.CANCELLED,
        Event.starts_at <= clock.now(),
        Event.id.in_(select(Registration.event_id).where(*_attended())),
    ]


async def staff_events(database: Database) -> list[EventChoice]:
    """Past events with at least one candidate who attended, latest first (the 10 latest)."""
    async with database.session() as session:
        events = await session.scalars(
            select(Event)
            .where(*_past_with_attendees())
            .order_by(Event.starts_at.desc(), Event.id.desc())
            .limit(STAFF_EVENTS)
        )
        return [_choice(event) for event in events]


async def staff_event(database: Database, event_id: int) -> EventChoice | None:
    """One past event with attendees (any age), or None."""
    async with database.session() as session:
        event = await session.scalar(
            select(Event).where(Event.id == event_id, *_past_with_attendees())
        )
        return _choice(event) if event is not None else None


async def attendees(database: Database, event_id: int) -> list[Attendee]:
    """The event's candidates marked present, by name, with what is already recorded."""
    async with database.session() as session:
        people = (
            await session.scalars(
                select(Person)
                .join(Registration, Registration.person_id == Person.id)
                .where(Registration.event_id == event_id, *_attended())
            )
        ).all()
        recorded: dict[int, dict[int, bool]] = {}
        rows = await session.execute(
            select(OutcomeRow.person_id, OutcomeRow.offset_days, OutcomeRow.by_staff).where(
                OutcomeRow.event_id == event_id
            )
        )
        for person_id, offset, by_staff in rows:
            recorded.setdefault(person_id, {})[offset] = by_staff
        found = [
            Attendee(person.id, full_name(person) or "?", recorded.get(person.id, {}))
            for person in people
        ]
        return sorted(found, key=lambda item: (item.name.casefold(), item.person_id))[:STAFF_PEOPLE]


async def staff_follow_up(database: Database, key: OutcomeKey) -> FollowUp | None:
    """Staff choosing whom to record: only a candidate marked present, only an offset the
    event follows up at (checked again here, whatever the buttons said)."""
    event = await staff_event(database, key.event_id)
    if event is None or key.offset_days not in event.follow_up_days:
        return None
    if key.person_id not in {item.person_id for item in await attendees(database, key.event_id)}:
        return None
    async with database.session() as session:
        questionnaire_id = await session.scalar(
            select(Questionnaire.id).where(
                Questionnaire.kind == QuestionnaireKind.FOLLOW_UP,
                Questionnaire.event_id == key.event_id,
                Questionnaire.person_id == key.person_id,
                Questionnaire.offset_days == key.offset_days,
            )
        )
        return await _follow_up(session, key, questionnaire_id)


# ---------------------------------------------------------------- for the report


async def outcomes_for(session: AsyncSession, *, event_ids: list[int]) -> list[OutcomeFacts]:
    """Every outcome stored for these events (latest answer of each person and offset),
    ordered by event, offset, then person."""
    if not event_ids:
        return []
    rows = await session.execute(
        select(OutcomeRow, Event.starts_at, Event.timezone)
        .join(Event, Event.id == OutcomeRow.event_id)
        .where(OutcomeRow.event_id.in_(event_ids))
        .order_by(OutcomeRow.event_id, OutcomeRow.offset_days, OutcomeRow.person_id)
    )
    return [
        OutcomeFacts(
            person_id=row.person_id,
            event_id=row.event_id,
            event_date=starts_at.astimezone(ZoneInfo(zone)).date(),
            offset_days=row.offset_days,
            situation=row.situation,
            start_date=row.start_date,
            contract=row.contract,
            duration=row.duration,
            from_event=row.from_event,
            matches_wishes=row.matches_wishes,
            by_staff=row.by_staff,
        )
        for row, starts_at, zone in rows
    ]
