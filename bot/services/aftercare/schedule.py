"""When to ask what after an event: questionnaires created on time, sent once, reminded twice.

`tick(database, now)` runs every minute (a repeating job, `bot.handlers.aftercare`) and is
idempotent: each questionnaire has a unique key (`cand:<registration>:<round>`,
`emp:<registration>:<round>:<candidate person>`, `follow:<registration>:<days>`), each message
an outbox key (`survey:<questionnaire>:<0, 1, 2>`), so running it twice, or after a restart,
sends nothing twice. It only creates what became due less than 7 days ago: an upgrade or a
long stop never floods people with old questions.

Nobody is asked when it makes no sense: cancelled event, withdrawn registration, person
marked absent by staff, erased (rows cascade), unreachable, or who let their last three
questionnaires expire (`silent_people` lists them for staff). The outbox checks again right
before sending (`bot.outbox.staleness.stale_surveys`), whichever path closed the question.

The handlers of the presses (`sv:` and `fu:` buttons) use `open_questionnaire`,
`mark_answered` and `decline`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from bot import clock
from bot.db.models.aftercare import Questionnaire, QuestionnaireKind, QuestionnaireStatus
from bot.db.models.events import Event, EventStatus, Registration, RegistrationStatus
from bot.db.models.outbox import OutboxMessage, OutboxStatus
from bot.db.models.people import Person, Role
from bot.db.session import Database
from bot.i18n import Translator
from bot.outbox import cancel_pending, enqueue
from bot.outbox.staleness import SURVEY_KIND, survey_key
from bot.services.aftercare.questions import Question, employer_label, first_question
from bot.services.plan_input import key_of
from bot.services.plan_store import latest_published_row, stored_plan
from matching import Plan
from matching.model import Room

log = logging.getLogger(__name__)

ACTIVE = (RegistrationStatus.REGISTERED, RegistrationStatus.CONFIRMED)
# Questions are created only within this time after they became due, and close after it.
WINDOW = timedelta(days=7)
REMINDER_DELAYS = (timedelta(hours=24), timedelta(hours=72))
SILENT_AFTER = 3  # questionnaires in a row left to expire: not asked again


@dataclass
class TickReport:
    """What one run did (each count is of questionnaires)."""

    created: int = 0
    reminded: int = 0
    expired: int = 0
    cancelled: int = 0  # still open when their event was cancelled or the person withdrew
    skipped_silent: int = 0  # not created: the person ignored their last three

    @property
    def queued(self) -> bool:
        """Whether new outbox rows wait (the caller wakes the outbox)."""
        return bool(self.created or self.reminded)


# -- when -----------------------------------------------------------------------------------


def round_feedback_at(event: Event, round_number: int) -> datetime:
    """The end of round `round_number` (1-based, rounds are consecutive) plus the delay."""
    end = event.starts_at + timedelta(minutes=round_number * event.round_minutes)
    return end + timedelta(minutes=event.feedback_delay_minutes)


def follow_up_at(event: Event, days: int) -> datetime:
    return event.starts_at + timedelta(days=days)


def _in_window(due: datetime, now: datetime) -> bool:
    return due <= now < due + WINDOW


def _site_id(site_key: str) -> int | None:
    return int(site_key[1:]) if site_key[:1] == "s" and site_key[1:].isdigit() else None


# -- one event's people and rooms -----------------------------------------------------------


@dataclass
class _EventData:
    event: Event
    plan: Plan | None
    by_key: dict[str, tuple[Registration, Person]]
    people: dict[int, Person] = field(default_factory=dict)

    def room(self, round_number: int | None, site_id: int | None, number: int | None) -> Room:
        """The room of the latest published plan (an empty one if it is no longer there)."""
        site = f"s{site_id}"
        for round_plan in self.plan.rounds if self.plan else []:
            if round_plan.round != round_number:
                continue
            for room in round_plan.rooms:
                if room.site == site and room.room == number:
                    return room
        return Room(site, number or 0, [], [])

    def present(self, keys: Iterable[str]) -> list[tuple[Registration, Person]]:
        """People of these keys still expected (active, not marked absent by staff)."""
        found = [self.by_key[key] for key in keys if key in self.by_key]
        return [(reg, person) for reg, person in found if _expected(reg)]


def _expected(registration: Registration) -> bool:
    return registration.status in ACTIVE and registration.attended is not False


def _reachable(person: Person) -> bool:
    return person.unreachable_at is None and person.chat_id > 0


async def _event_data(session: AsyncSession, event_id: int) -> _EventData:
    """The event, its latest published plan and its participants by plan key (`c12`,
    `e7`). Lighter than `plan_input.load_participants`: no candidate profile (photos), since
    this runs every minute."""
    event = await session.get(Event, event_id)
    if event is None:
        raise LookupError(event_id)
    registrations = list(
        await session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event_id,
                Registration.role.in_([Role.CANDIDATE, Role.EMPLOYER]),
            )
            .order_by(Registration.id)
        )
    )
    people = {
        person.id: person
        for person in await session.scalars(
            select(Person)
            .where(Person.id.in_([reg.person_id for reg in registrations]))
            .options(selectinload(Person.employer_profile))
        )
    }
    row = await latest_published_row(session, event_id)
    return _EventData(
        event,
        stored_plan(row) if row is not None else None,
        {
            key_of(reg.role, reg.person_id): (reg, people[reg.person_id])
            for reg in registrations
            if reg.person_id in people
        },
        people,
    )


def _company(person: Person) -> str | None:
    profile = person.employer_profile
    return profile.company if profile is not None else None


def _question(data: _EventData, questionnaire: Questionnaire, person: Person) -> Question:
    common = Question(questionnaire.id, questionnaire.kind, data.event.name, person.first_name)
    if questionnaire.kind == QuestionnaireKind.EMPLOYER_CARD:
        about = data.people.get(questionnaire.about_id or 0)
        return replace(common, about=about.first_name if about else "")
    if questionnaire.kind == QuestionnaireKind.FOLLOW_UP:
        return replace(common, days=questionnaire.offset_days or 0)
    room = data.room(questionnaire.round, questionnaire.site_id, questionnaire.room)
    employers = tuple(
        employer_label(employer.first_name, _company(employer))
        for _reg, employer in data.present(room.employers)
    )
    return replace(common, employers=employers)


async def _send(
    session: AsyncSession,
    data: _EventData,
    questionnaire: Questionnaire,
    person: Person,
    reminder: int,
    now: datetime,
) -> bool:
    _ = Translator.for_language(person.language)
    text, buttons = first_question(_, _question(data, questionnaire, person), reminder)
    return await enqueue(
        session,
        key=survey_key(questionnaire.id, reminder),
        chat_id=person.chat_id,
        kind=SURVEY_KIND,
        text=text,
        person_id=person.id,
        event_id=data.event.id,
        buttons=buttons,
        send_after=now,
    )


# -- people who stopped answering -----------------------------------------------------------


@dataclass(frozen=True)
class SilentPerson:
    person_id: int
    first_name: str
    role: str | None


async def _silent_ids(session: AsyncSession, person_ids: Iterable[int] | None = None) -> set[int]:
    """People whose last three questionnaires (cancelled ones aside) all expired."""
    query = (
        select(Questionnaire.person_id, Questionnaire.status)
        .where(Questionnaire.status != QuestionnaireStatus.CANCELLED)
        .order_by(Questionnaire.person_id, Questionnaire.sent_at.desc(), Questionnaire.id.desc())
    )
    if person_ids is not None:
        query = query.where(Questionnaire.person_id.in_(list(person_ids)))
    latest: dict[int, list[str]] = {}
    for person_id, status in await session.execute(query):
        statuses = latest.setdefault(person_id, [])
        if len(statuses) < SILENT_AFTER:
            statuses.append(status)
    return {
        person_id
        for person_id, statuses in latest.items()
        if len(statuses) == SILENT_AFTER
        and all(status == QuestionnaireStatus.EXPIRED for status in statuses)
    }


async def silent_people(session: AsyncSession, event_id: int | None = None) -> list[SilentPerson]:
    """Who is no longer asked (three questionnaires in a row left unanswered), by first
    name; with `event_id`, only people registered for that event."""
    person_ids: Iterable[int] | None = None
    if event_id is not None:
        person_ids = list(
            await session.scalars(
                select(Registration.person_id).where(Registration.event_id == event_id)
            )
        )
    silent = await _silent_ids(session, person_ids)
    if not silent:
        return []
    people = await session.scalars(select(Person).where(Person.id.in_(silent)))
    found = [SilentPerson(p.id, p.first_name, p.role) for p in people]
    return sorted(found, key=lambda p: (p.first_name.casefold(), p.person_id))


# -- the tick -------------------------------------------------------------------------------


async def tick(database: Database, now: datetime) -> TickReport:
    """Close what must close, remind, then create what became due; safe to run any time."""
    report = TickReport()
    async with database.session() as session:
        report.cancelled = await _close_dropped(session)
        report.expired = await _expire(session, now)
        report.reminded = await _remind(session, now)
    async with database.session() as session:
        events = list(
            await session.scalars(
                select(Event).where(Event.status != EventStatus.CANCELLED, Event.starts_at <= now)
            )
        )
        due = [event.id for event in events if _has_due(event, now)]
    for event_id in due:
        async with database.session() as session:
            await _create_for_event(session, event_id, now, report)
    if report.created or report.reminded or report.expired or report.cancelled:
        log.info("After-event questionnaires: %s", report)
    return report


def _has_due(event: Event, now: datetime) -> bool:
    rounds = range(1, max(event.rounds, 1) + 1)
    return any(_in_window(round_feedback_at(event, n), now) for n in rounds) or any(
        _in_window(follow_up_at(event, days), now) for days in event.follow_up_days or []
    )


async def _close_dropped(session: AsyncSession) -> int:
    """Open questionnaires of a cancelled event or a withdrawn registration (the person's,
    or the candidate's an employer is asked about) are cancelled."""
    about = aliased(Registration)
    dropped = list(
        await session.scalars(
            select(Questionnaire.id)
            .join(Event, Event.id == Questionnaire.event_id)
            .outerjoin(Registration, Registration.id == Questionnaire.registration_id)
            .outerjoin(
                about,
                (about.event_id == Questionnaire.event_id)
                & (about.person_id == Questionnaire.about_id),
            )
            .where(Questionnaire.status == QuestionnaireStatus.OPEN)
            .where(
                (Event.status == EventStatus.CANCELLED)
                | (Registration.id.is_not(None) & Registration.status.not_in(ACTIVE))
                | (Questionnaire.about_id.is_not(None) & about.status.not_in(ACTIVE))
            )
        )
    )
    return await _cancel(session, dropped)


async def _cancel(session: AsyncSession, ids: list[int]) -> int:
    if not ids:
        return 0
    await session.execute(
        update(Questionnaire)
        .where(Questionnaire.id.in_(ids), Questionnaire.status == QuestionnaireStatus.OPEN)
        .values(status=QuestionnaireStatus.CANCELLED)
    )
    await _drop_messages(session, ids)
    return len(ids)


async def _drop_messages(session: AsyncSession, ids: Iterable[int]) -> None:
    """The question and reminders of these questionnaires not sent yet are cancelled."""
    keys = [survey_key(qid, n) for qid in ids for n in range(len(REMINDER_DELAYS) + 1)]
    if keys:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.kind == SURVEY_KIND, OutboxMessage.status == OutboxStatus.PENDING)
            .where(OutboxMessage.idempotency_key.in_(keys))
            .values(status=OutboxStatus.CANCELLED)
        )


async def _expire(session: AsyncSession, now: datetime) -> int:
    ids = list(
        await session.scalars(
            select(Questionnaire.id).where(
                Questionnaire.status == QuestionnaireStatus.OPEN,
                Questionnaire.sent_at <= now - WINDOW,
            )
        )
    )
    if ids:
        await session.execute(
            update(Questionnaire)
            .where(Questionnaire.id.in_(ids))
            .values(status=QuestionnaireStatus.EXPIRED)
        )
        await _drop_messages(session, ids)
    return len(ids)


async def _remind(session: AsyncSession, now: datetime) -> int:
    """At most one reminder a run: the latest due (24 h, then 72 h after the question)."""
    waiting = list(
        await session.scalars(
            select(Questionnaire)
            .where(
                Questionnaire.status == QuestionnaireStatus.OPEN,
                Questionnaire.reminders_sent < len(REMINDER_DELAYS),
                Questionnaire.sent_at <= now - REMINDER_DELAYS[0],
            )
            .order_by(Questionnaire.event_id, Questionnaire.id)
        )
    )
    cache: dict[int, _EventData] = {}
    reminded = 0
    for questionnaire in waiting:
        due = sum(1 for delay in REMINDER_DELAYS if questionnaire.sent_at + delay <= now)
        if due <= questionnaire.reminders_sent:
            continue
        questionnaire.reminders_sent = due
        if questionnaire.event_id not in cache:
            cache[questionnaire.event_id] = await _event_data(session, questionnaire.event_id)
        data = cache[questionnaire.event_id]
        person = data.people.get(questionnaire.person_id) or await session.get(
            Person, questionnaire.person_id
        )
        if person is None or not _reachable(person):
            continue
        if await _send(session, data, questionnaire, person, due, now):
            reminded += 1
    return reminded


async def _create_for_event(
    session: AsyncSession, event_id: int, now: datetime, report: TickReport
) -> None:
    data = await _event_data(session, event_id)
    event = data.event
    if event.status == EventStatus.CANCELLED:
        return
    wanted: list[Questionnaire] = []
    for round_plan in data.plan.rounds if data.plan else []:
        if not _in_window(round_feedback_at(event, round_plan.round), now):
            continue
        for room in round_plan.rooms:
            wanted += _round_questionnaires(data, round_plan.round, room)
    for days in sorted(set(event.follow_up_days or [])):
        if _in_window(follow_up_at(event, days), now):
            wanted += _follow_ups(data, days)
    if not wanted:
        return
    existing = set(
        await session.scalars(
            select(Questionnaire.key).where(
                Questionnaire.event_id == event_id,
                Questionnaire.key.in_([q.key for q in wanted]),
            )
        )
    )
    wanted = [q for q in wanted if q.key not in existing]
    silent = await _silent_ids(session, {q.person_id for q in wanted}) if wanted else set()
    for questionnaire in wanted:
        if questionnaire.person_id in silent:
            report.skipped_silent += 1
            continue
        questionnaire.sent_at = now
        questionnaire.created_at = now
        session.add(questionnaire)
        await session.flush()
        await _send(session, data, questionnaire, data.people[questionnaire.person_id], 0, now)
        report.created += 1


def _round_questionnaires(data: _EventData, round_number: int, room: Room) -> list[Questionnaire]:
    """A candidate: one about the room. An employer: one per candidate of the room."""
    place = {"round": round_number, "site_id": _site_id(room.site), "room": room.room}
    candidates = data.present(room.candidates)
    found: list[Questionnaire] = []
    for reg, person in candidates:
        if _reachable(person):
            found.append(
                Questionnaire(
                    key=f"cand:{reg.id}:{round_number}",
                    kind=QuestionnaireKind.CANDIDATE_MEETING,
                    **_whose(data.event, reg),
                    **place,
                )
            )
    for reg, person in data.present(room.employers):
        if not _reachable(person):
            continue
        for _cand_reg, candidate in candidates:
            found.append(
                Questionnaire(
                    key=f"emp:{reg.id}:{round_number}:{candidate.id}",
                    kind=QuestionnaireKind.EMPLOYER_CARD,
                    about_id=candidate.id,
                    **_whose(data.event, reg),
                    **place,
                )
            )
    return found


def _follow_ups(data: _EventData, days: int) -> list[Questionnaire]:
    """Candidates who attended (marked present, or confirmed and not marked)."""
    found: list[Questionnaire] = []
    for reg, person in data.by_key.values():
        attended = reg.attended is True or (
            reg.attended is None and reg.status == RegistrationStatus.CONFIRMED
        )
        if reg.role != Role.CANDIDATE or reg.status not in ACTIVE or not attended:
            continue
        if _reachable(person):
            found.append(
                Questionnaire(
                    key=f"follow:{reg.id}:{days}",
                    kind=QuestionnaireKind.FOLLOW_UP,
                    offset_days=days,
                    **_whose(data.event, reg),
                )
            )
    return found


def _whose(event: Event, registration: Registration) -> dict[str, int]:
    return {
        "event_id": event.id,
        "person_id": registration.person_id,
        "registration_id": registration.id,
    }


# -- cancellation paths ---------------------------------------------------------------------


async def cancel_for_event(session: AsyncSession, event_id: int) -> int:
    """The event is cancelled: its open questionnaires close, their messages are not sent."""
    ids = list(
        await session.scalars(
            select(Questionnaire.id).where(
                Questionnaire.event_id == event_id,
                Questionnaire.status == QuestionnaireStatus.OPEN,
            )
        )
    )
    await cancel_pending(session, event_id=event_id, kinds=[SURVEY_KIND])
    return await _cancel(session, ids)


async def cancel_for_registration(session: AsyncSession, registration_id: int) -> int:
    """The person withdrew: their open questionnaires of that event close, and so do
    employers' questions about them."""
    registration = await session.get(Registration, registration_id)
    if registration is None:
        return 0
    ids = list(
        await session.scalars(
            select(Questionnaire.id).where(
                Questionnaire.event_id == registration.event_id,
                Questionnaire.status == QuestionnaireStatus.OPEN,
                (Questionnaire.registration_id == registration_id)
                | (Questionnaire.about_id == registration.person_id),
            )
        )
    )
    return await _cancel(session, ids)


# -- what the handlers of the presses use ---------------------------------------------------


class Refusal(StrEnum):
    UNKNOWN = "unknown"  # no such questionnaire (erased, or forged data)
    NOT_YOURS = "not_yours"  # another person pressed a forwarded button


@dataclass(frozen=True)
class RoomPerson:
    person_id: int
    first_name: str
    role: str
    company: str | None = None


@dataclass(frozen=True)
class QuestionnaireView:
    """A questionnaire as the handler of a press needs it.

    `employers` and `candidates`: the room of the round (latest published plan, people still
    expected), without the person answering. `about`: the candidate an `emp` is about.
    `newer_exists`: the same person has a later questionnaire of the same kind (a later
    round or follow-up), so a press on this one is on an older message.
    """

    id: int
    kind: str
    status: str
    event_id: int
    event_name: str
    person_id: int
    first_name: str
    registration_id: int | None
    round: int | None
    site_id: int | None
    room: int | None
    offset_days: int | None
    employers: tuple[RoomPerson, ...]
    candidates: tuple[RoomPerson, ...]
    about: RoomPerson | None
    newer_exists: bool

    @property
    def is_open(self) -> bool:
        return self.status == QuestionnaireStatus.OPEN


def _room_person(person: Person, role: str) -> RoomPerson:
    company = _company(person) if role == Role.EMPLOYER else None
    return RoomPerson(person.id, person.first_name, role, company)


async def _owned(
    session: AsyncSession, questionnaire_id: int, telegram_id: int
) -> tuple[Questionnaire, Person] | Refusal:
    questionnaire = await session.get(Questionnaire, questionnaire_id)
    if questionnaire is None:
        return Refusal.UNKNOWN
    person = await session.get(Person, questionnaire.person_id)
    if person is None:
        return Refusal.UNKNOWN
    if person.telegram_id != telegram_id:
        return Refusal.NOT_YOURS
    return questionnaire, person


async def open_questionnaire(
    session: AsyncSession, questionnaire_id: int, telegram_id: int
) -> QuestionnaireView | Refusal:
    """The questionnaire a button names, if it is this Telegram user's (any status: the
    handler says "already answered" or "closed" from `status`)."""
    found = await _owned(session, questionnaire_id, telegram_id)
    if isinstance(found, Refusal):
        return found
    questionnaire, person = found
    data = await _event_data(session, questionnaire.event_id)
    employers: tuple[RoomPerson, ...] = ()
    candidates: tuple[RoomPerson, ...] = ()
    if questionnaire.round is not None:
        room = data.room(questionnaire.round, questionnaire.site_id, questionnaire.room)
        employers = tuple(
            _room_person(p, Role.EMPLOYER)
            for _reg, p in data.present(room.employers)
            if p.id != person.id
        )
        candidates = tuple(
            _room_person(p, Role.CANDIDATE)
            for _reg, p in data.present(room.candidates)
            if p.id != person.id
        )
    about_person = data.people.get(questionnaire.about_id or 0)
    newer = await session.scalar(
        select(func.count()).where(
            Questionnaire.person_id == person.id,
            Questionnaire.kind == questionnaire.kind,
            Questionnaire.id > questionnaire.id,
        )
    )
    return QuestionnaireView(
        id=questionnaire.id,
        kind=questionnaire.kind,
        status=questionnaire.status,
        event_id=questionnaire.event_id,
        event_name=data.event.name,
        person_id=person.id,
        first_name=person.first_name,
        registration_id=questionnaire.registration_id,
        round=questionnaire.round,
        site_id=questionnaire.site_id,
        room=questionnaire.room,
        offset_days=questionnaire.offset_days,
        employers=employers,
        candidates=candidates,
        about=_room_person(about_person, Role.CANDIDATE) if about_person else None,
        newer_exists=bool(newer),
    )


async def mark_answered(session: AsyncSession, questionnaire_id: int) -> bool:
    """An open questionnaire is answered (its reminders not sent yet are dropped); False if
    it was not open."""
    result = await session.execute(
        update(Questionnaire)
        .where(
            Questionnaire.id == questionnaire_id,
            Questionnaire.status == QuestionnaireStatus.OPEN,
        )
        .values(status=QuestionnaireStatus.ANSWERED, answered_at=clock.now())
    )
    changed = bool(result.rowcount)  # type: ignore[attr-defined]
    if changed:
        await _drop_messages(session, [questionnaire_id])
    return changed


class DeclineOutcome(StrEnum):
    DECLINED = "declined"
    ALREADY_DECLINED = "already_declined"
    ALREADY_ANSWERED = "already_answered"
    CLOSED = "closed"  # expired, or cancelled (event cancelled, person withdrew)
    NOT_YOURS = "not_yours"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class DeclineResult:
    outcome: DeclineOutcome
    event_name: str | None = None


async def decline(session: AsyncSession, questionnaire_id: int, telegram_id: int) -> DeclineResult:
    """ "Je ne souhaite pas répondre": the questionnaire closes as declined, if it is open
    and this person's; otherwise the reason nothing changed."""
    found = await _owned(session, questionnaire_id, telegram_id)
    if isinstance(found, Refusal):
        outcome = DeclineOutcome.NOT_YOURS if found is Refusal.NOT_YOURS else DeclineOutcome.UNKNOWN
        return DeclineResult(outcome)
    questionnaire, _person = found
    event = await session.get(Event, questionnaire.event_id)
    name = event.name if event else None
    status = questionnaire.status
    if status == QuestionnaireStatus.DECLINED:
        return DeclineResult(DeclineOutcome.ALREADY_DECLINED, name)
    if status == QuestionnaireStatus.ANSWERED:
        return DeclineResult(DeclineOutcome.ALREADY_ANSWERED, name)
    if status != QuestionnaireStatus.OPEN:
        return DeclineResult(DeclineOutcome.CLOSED, name)
    questionnaire.status = QuestionnaireStatus.DECLINED
    questionnaire.answered_at = clock.now()
    await session.flush()
    await _drop_messages(session, [questionnaire.id])
    return DeclineResult(DeclineOutcome.DECLINED, name)
