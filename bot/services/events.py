"""Events as staff create, list, edit and cancel them.

Everything here takes and returns typed values: the creation conversation hands over a
complete `EventDraft` (its own partial draft stays in the handlers), `create_event` stores
the event, its sites, questions and invitation codes in one transaction, and an edit is one
`EventChange`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot import clock
from bot.db.models.events import (
    EligibilityQuestion,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    Site,
)
from bot.db.models.people import Person, Role
from bot.db.session import Database
from bot.services.aftercare.schedule import cancel_for_event
from bot.services.invitations import unique_codes
from bot.services.reminders import event_changed

log = logging.getLogger(__name__)

ACTIVE_STATUSES = (RegistrationStatus.REGISTERED, RegistrationStatus.CONFIRMED)
MAX_YEARS_AHEAD = 3


class Problem(StrEnum):
    """Why a draft or a change cannot be saved; the handler words it in French."""

    MISSING = "missing"
    START_PAST = "start_past"
    START_TOO_FAR = "start_too_far"
    DEADLINE_AFTER_START = "deadline_after_start"
    DEADLINE_PAST = "deadline_past"
    ROUNDS_TOO_LONG = "rounds_too_long"
    NO_SITE = "no_site"
    BELOW_REGISTERED = "below_registered"
    CANCELLED = "cancelled"


class ChangeRefused(Exception):
    def __init__(self, problem: Problem, **values: object) -> None:
        super().__init__(problem)
        self.problem = problem
        self.values = values


@dataclass(frozen=True)
class SiteView:
    name: str
    address: str | None
    rooms: int
    remote: bool
    video_url: str | None


@dataclass(frozen=True)
class QuestionView:
    text: str
    admitting_answer: bool


@dataclass(frozen=True)
class EventDraft:
    """A complete event as the creation conversation hands it over (times are aware)."""

    name: str
    starts_at: datetime
    duration_minutes: int
    timezone: str
    sites: tuple[SiteView, ...]
    format_key: str | None
    employers_per_room: int
    candidates_per_room: int
    rounds: int
    round_minutes: int
    max_candidates: int
    max_employers: int
    registration_deadline: datetime
    questions: tuple[QuestionView, ...] = ()


@dataclass(frozen=True)
class EventView:
    id: int
    name: str
    starts_at: datetime
    duration_minutes: int
    timezone: str
    format_key: str | None
    employers_per_room: int
    candidates_per_room: int
    rounds: int
    round_minutes: int
    max_candidates: int | None
    max_employers: int | None
    registration_deadline: datetime | None
    status: str
    candidate_code: str
    employer_code: str
    sites: tuple[SiteView, ...] = ()
    questions: tuple[QuestionView, ...] = ()
    candidates: int = 0
    employers: int = 0

    @property
    def cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED


def start_problems(starts_at: datetime, now: datetime) -> list[Problem]:
    if starts_at <= now:
        return [Problem.START_PAST]
    if starts_at > now + timedelta(days=365 * MAX_YEARS_AHEAD):
        return [Problem.START_TOO_FAR]
    return []


def deadline_problems(deadline: datetime, starts_at: datetime, now: datetime) -> list[Problem]:
    if deadline >= starts_at:
        return [Problem.DEADLINE_AFTER_START]
    if deadline <= now:
        return [Problem.DEADLINE_PAST]
    return []


def draft_problems(draft: EventDraft, now: datetime) -> list[Problem]:
    """Everything that would make this event impossible; re-checked right before saving."""
    problems = start_problems(draft.starts_at, now)
    problems += deadline_problems(draft.registration_deadline, draft.starts_at, now)
    if not draft.sites:
        problems.append(Problem.NO_SITE)
    if draft.rounds * draft.round_minutes > draft.duration_minutes:
        problems.append(Problem.ROUNDS_TOO_LONG)
    return problems


async def _counts(session: AsyncSession, event_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Registration.role, func.count())
        .where(Registration.event_id == event_id, Registration.status.in_(ACTIVE_STATUSES))
        .group_by(Registration.role)
    )
    return {role: count for role, count in rows}


def _view(event: Event, counts: dict[str, int]) -> EventView:
    return EventView(
        id=event.id,
        name=event.name,
        starts_at=event.starts_at,
        duration_minutes=event.duration_minutes,
        timezone=event.timezone,
        format_key=event.format_key,
        employers_per_room=event.employers_per_room,
        candidates_per_room=event.candidates_per_room,
        rounds=event.rounds,
        round_minutes=event.round_minutes,
        max_candidates=event.max_candidates,
        max_employers=event.max_employers,
        registration_deadline=event.registration_deadline,
        status=event.status,
        candidate_code=event.candidate_code,
        employer_code=event.employer_code,
        sites=tuple(
            SiteView(site.name, site.address, site.rooms, site.remote, site.video_url)
            for site in event.sites
        ),
        questions=tuple(
            QuestionView(question.text, question.admitting_answer) for question in event.questions
        ),
        candidates=counts.get(Role.CANDIDATE, 0),
        employers=counts.get(Role.EMPLOYER, 0),
    )


async def _load(session: AsyncSession, event_id: int) -> Event | None:
    return await session.scalar(
        select(Event)
        .where(Event.id == event_id)
        .options(selectinload(Event.sites), selectinload(Event.questions))
    )


async def create_event(database: Database, draft: EventDraft, telegram_id: int) -> EventView:
    """Store the event with its sites, questions and two fresh invitation codes."""
    problems = draft_problems(draft, clock.now())
    if problems:
        raise ChangeRefused(problems[0])
    async with database.session() as session:
        creator = await session.scalar(select(Person.id).where(Person.telegram_id == telegram_id))
        candidate_code, employer_code = await unique_codes(session)
        event = Event(
            name=draft.name,
            starts_at=draft.starts_at,
            duration_minutes=draft.duration_minutes,
            timezone=draft.timezone,
            format_key=draft.format_key,
            employers_per_room=draft.employers_per_room,
            candidates_per_room=draft.candidates_per_room,
            rounds=draft.rounds,
            round_minutes=draft.round_minutes,
            max_candidates=draft.max_candidates,
            max_employers=draft.max_employers,
            registration_deadline=draft.registration_deadline,
            status=EventStatus.OPEN,
            candidate_code=candidate_code,
            employer_code=employer_code,
            created_by=creator,
            sites=[
                Site(
                    position=index,
                    name=site.name,
                    address=site.address,
                    rooms=site.rooms,
                    remote=site.remote,
                    video_url=site.video_url,
                )
                for index, site in enumerate(draft.sites)
            ],
            questions=[
                EligibilityQuestion(
                    position=index, text=question.text, admitting_answer=question.admitting_answer
                )
                for index, question in enumerate(draft.questions)
            ],
        )
        session.add(event)
        await session.flush()
        log.info("Event %s created by %s", event.id, telegram_id)
        return _view(event, {})


async def get_event(database: Database, event_id: int) -> EventView | None:
    async with database.session() as session:
        event = await _load(session, event_id)
        if event is None:
            return None
        return _view(event, await _counts(session, event_id))


async def list_events(database: Database, *, limit: int = 30) -> list[EventView]:
    """Upcoming events first (soonest first), then the most recent past ones."""
    async with database.session() as session:
        now = clock.now()
        with_details = (selectinload(Event.sites), selectinload(Event.questions))
        upcoming = await session.scalars(
            select(Event)
            .options(*with_details)
            .where(Event.starts_at >= now - timedelta(days=1))
            .order_by(Event.starts_at)
            .limit(limit)
        )
        events = list(upcoming)
        if len(events) < limit:
            past = await session.scalars(
                select(Event)
                .options(*with_details)
                .where(Event.starts_at < now - timedelta(days=1))
                .order_by(Event.starts_at.desc())
                .limit(limit - len(events))
            )
            events += list(past)
        return [_view(event, {}) for event in events]


@dataclass(frozen=True)
class NewName:
    name: str


@dataclass(frozen=True)
class NewStart:
    starts_at: datetime


@dataclass(frozen=True)
class NewDeadline:
    deadline: datetime


@dataclass(frozen=True)
class NewDuration:
    minutes: int


@dataclass(frozen=True)
class NewCapacity:
    """At most `count` people of `role` (candidates or employers)."""

    role: Role
    count: int


EventChange = NewName | NewStart | NewDeadline | NewDuration | NewCapacity


def _column(change: EventChange) -> tuple[str, object]:
    """The column a change writes and its new value."""
    match change:
        case NewName(name):
            return "name", name
        case NewStart(starts_at):
            return "starts_at", starts_at
        case NewDeadline(deadline):
            return "registration_deadline", deadline
        case NewDuration(minutes):
            return "duration_minutes", minutes
        case NewCapacity(role, count):
            return ("max_candidates" if role == Role.CANDIDATE else "max_employers"), count


# Changes that reminders show or depend on: the reminders module re-plans after these.
REMINDER_CHANGES = (NewName, NewStart, NewDuration)


async def update_event(
    database: Database, event_id: int, change: EventChange
) -> tuple[EventView, bool]:
    """Apply one change; returns the event and whether anything changed.

    Raises `ChangeRefused` when the new value breaks a rule (dates, capacities, cancelled)
    and `LookupError` when the event no longer exists.
    """
    async with database.session() as session:
        event = await _load(session, event_id)
        if event is None:
            raise LookupError(event_id)
        if event.status == EventStatus.CANCELLED:
            raise ChangeRefused(Problem.CANCELLED)
        counts = await _counts(session, event_id)
        _check_change(event, change, clock.now(), counts)
        column, value = _column(change)
        changed = getattr(event, column) != value
        if changed:
            setattr(event, column, value)
            await session.flush()
            if isinstance(change, REMINDER_CHANGES):
                await event_changed(session, event_id)
        return _view(event, counts), changed


def _check_change(event: Event, change: EventChange, now: datetime, counts: dict[str, int]) -> None:
    problems: list[Problem] = []
    match change:
        case NewStart(starts_at):
            problems = start_problems(starts_at, now)
            deadline = event.registration_deadline
            if not problems and deadline is not None and deadline >= starts_at:
                problems = [Problem.DEADLINE_AFTER_START]
        case NewDeadline(deadline):
            problems = deadline_problems(deadline, event.starts_at, now)
        case NewDuration(minutes):
            if event.rounds * event.round_minutes > minutes:
                problems = [Problem.ROUNDS_TOO_LONG]
        case NewCapacity(role, count):
            registered = counts.get(role, 0)
            if count < registered:
                raise ChangeRefused(Problem.BELOW_REGISTERED, count=registered)
    if problems:
        raise ChangeRefused(problems[0])


async def cancel_event(database: Database, event_id: int) -> tuple[EventView, bool]:
    """Mark the event cancelled; a second call changes nothing and says so."""
    async with database.session() as session:
        event = await _load(session, event_id)
        if event is None:
            raise LookupError(event_id)
        changed = event.status != EventStatus.CANCELLED
        if changed:
            event.status = EventStatus.CANCELLED
            await session.flush()
            await event_changed(session, event_id)
            await cancel_for_event(session, event_id)
            log.info("Event %s cancelled", event_id)
        return _view(event, await _counts(session, event_id)), changed
