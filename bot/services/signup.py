"""Sign-up storage: invitations, open events, and saving a finished sign-up in one go.

Nothing is written before the person has consented and confirmed: the conversation keeps
its draft in `user_data`, and `complete_signup` stores person, profile and registration in
one transaction. Saving twice (a double press, a replayed update) never makes two
registrations.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot import clock
from bot.db.base import table_of, utcnow
from bot.db.models.events import (
    EligibilityQuestion,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    Site,
)
from bot.db.models.people import CandidateProfile, EmployerProfile, Person, Role
from bot.db.session import Database
from bot.services.invitations import find_invitation, is_open
from bot.services.people import TelegramIdentity

__all__ = ["find_invitation"]  # re-exported: the sign-up reads invitations through here

PERSONAL_CODE_PREFIX = "p_"
ACTIVE_STATUSES = (RegistrationStatus.REGISTERED, RegistrationStatus.CONFIRMED)


@dataclass(frozen=True)
class SiteChoice:
    id: int
    name: str
    remote: bool


@dataclass(frozen=True)
class Question:
    id: int
    text: str
    admitting_answer: bool


@dataclass(frozen=True)
class EventView:
    id: int
    name: str
    starts_at: datetime
    is_open: bool
    sites: tuple[SiteChoice, ...] = ()
    questions: tuple[Question, ...] = ()

    @property
    def places(self) -> tuple[SiteChoice, ...]:
        """Sites a candidate can come to (the video link is for employers)."""
        return tuple(site for site in self.sites if not site.remote)


@dataclass(frozen=True)
class Meetable:
    """Someone of the other side registered for the same event, for the wishes step."""

    person_id: int
    label: str


@dataclass(frozen=True)
class SignupResult:
    person_id: int
    registration_id: int | None
    created: bool
    status: str | None
    claim_code: str | None = None


@dataclass(frozen=True)
class CandidateAnswers:
    """A candidate's finished sign-up, as the conversation collected it."""

    first_name: str
    last_name: str | None = None
    age_band: str | None = None
    sectors: tuple[str, ...] = ()
    target_job: str | None = None
    strengths: tuple[str, ...] = ()
    qualities: tuple[str, ...] = ()
    programme: str | None = None
    constraints: str | None = None
    eligibility: Mapping[str, bool] = field(default_factory=dict)
    site_id: int | None = None
    wishes: tuple[int, ...] = ()

    role: ClassVar[Role] = Role.CANDIDATE


@dataclass(frozen=True)
class EmployerAnswers:
    """An employer's finished sign-up, as the conversation collected it."""

    first_name: str
    last_name: str | None = None
    company: str | None = None
    job_title: str | None = None
    sectors: tuple[str, ...] = ()
    jobs: str | None = None
    accepted_site_ids: tuple[int, ...] = ()
    remote: bool = False
    max_candidates: int | None = None
    wishes: tuple[int, ...] = ()

    role: ClassVar[Role] = Role.EMPLOYER


SignUpAnswers = CandidateAnswers | EmployerAnswers


_EVENTS, _SITES, _QUESTIONS = table_of(Event), table_of(Site), table_of(EligibilityQuestion)
_EVENT = select(
    _EVENTS.c.id,
    _EVENTS.c.name,
    _EVENTS.c.starts_at,
    _EVENTS.c.status,
    _EVENTS.c.registration_deadline,
)
_ONE_EVENT = _EVENT.where(_EVENTS.c.id == bindparam("event_id"))
_OPEN_EVENTS = _EVENT.where(_EVENTS.c.status == EventStatus.OPEN).order_by(_EVENTS.c.starts_at)
_SITES_OF = (
    select(_SITES.c.event_id, _SITES.c.id, _SITES.c.name, _SITES.c.remote)
    .where(_SITES.c.event_id.in_(bindparam("event_ids", expanding=True)))
    .order_by(_SITES.c.position, _SITES.c.id)
)
_QUESTIONS_OF = (
    select(_QUESTIONS.c.event_id, _QUESTIONS.c.id, _QUESTIONS.c.text, _QUESTIONS.c.admitting_answer)
    .where(_QUESTIONS.c.event_id.in_(bindparam("event_ids", expanding=True)))
    .order_by(_QUESTIONS.c.position, _QUESTIONS.c.id)
)


# id, name, starts_at, status, registration_deadline
_EventRow = Row[Any, Any, Any, Any, Any]


def _is_open(event: _EventRow, now: datetime) -> bool:
    return is_open(event.status, event.starts_at, event.registration_deadline, now)


async def _views(session: AsyncSession, events: Sequence[_EventRow]) -> list[EventView]:
    """Events as sign-up steps show them, with their sites and questions. Read as plain
    rows: every step of every sign-up reads one, and ORM objects cost more than the queries."""
    if not events:
        return []
    ids = {"event_ids": [event.id for event in events]}
    sites: dict[int, list[SiteChoice]] = {event.id: [] for event in events}
    for event_id, *site in await session.execute(_SITES_OF, ids):
        sites[event_id].append(SiteChoice(*site))
    questions: dict[int, list[Question]] = {event.id: [] for event in events}
    for event_id, *question in await session.execute(_QUESTIONS_OF, ids):
        questions[event_id].append(Question(*question))
    now = clock.now()
    return [
        EventView(
            id=event.id,
            name=event.name,
            starts_at=event.starts_at,
            is_open=_is_open(event, now),
            sites=tuple(sites[event.id]),
            questions=tuple(questions[event.id]),
        )
        for event in events
    ]


async def event_view(database: Database, event_id: int) -> EventView | None:
    async with database.session() as session:
        events = (await session.execute(_ONE_EVENT, {"event_id": event_id})).all()
        views = await _views(session, events)
    return views[0] if views else None


async def count_open_events(session: AsyncSession) -> int:
    """How many events people can still sign up for (the menu only needs the number)."""
    now = clock.now()
    return sum(_is_open(event, now) for event in await session.execute(_OPEN_EVENTS))


async def open_events(database: Database) -> list[EventView]:
    """Events people can still sign up for, soonest first."""
    async with database.session() as session:
        now = clock.now()
        events = [e for e in await session.execute(_OPEN_EVENTS) if _is_open(e, now)]
        return await _views(session, events)


async def registration_status(database: Database, telegram_id: int, event_id: int) -> str | None:
    async with database.session() as session:
        return await session.scalar(
            select(Registration.status)
            .join(Person, Person.id == Registration.person_id)
            .where(Person.telegram_id == telegram_id, Registration.event_id == event_id)
        )


async def meetable_people(database: Database, event_id: int, role: str) -> list[Meetable]:
    """Registered people of `role` for the event; candidates only if they share their card."""
    async with database.session() as session:
        query = (
            select(Person, Registration)
            .join(Registration, Registration.person_id == Person.id)
            .where(
                Registration.event_id == event_id,
                Registration.role == role,
                Registration.status.in_(ACTIVE_STATUSES),
            )
            .options(selectinload(Person.employer_profile), selectinload(Person.candidate_profile))
            .order_by(Registration.id)
        )
        people = []
        for person, _registration in (await session.execute(query)).all():
            if role == Role.EMPLOYER:
                company = person.employer_profile.company if person.employer_profile else None
                label = f"{person.first_name} ({company})" if company else person.first_name
            else:
                profile = person.candidate_profile
                if profile is None or not profile.share_card:
                    continue
                label = person.first_name
            people.append(Meetable(person.id, label[:40]))
        return people


async def _person_for(
    session: AsyncSession, identity: TelegramIdentity | None
) -> tuple[Person, str | None]:
    """The person signing up, or a new one; staff sign-ups get a placeholder and a code."""
    if identity is not None:
        person = await session.scalar(
            select(Person).where(Person.telegram_id == identity.telegram_id)
        )
        if person is None:
            person = Person(
                telegram_id=identity.telegram_id,
                chat_id=identity.chat_id,
                username=identity.username,
                language=identity.language,
            )
            session.add(person)
        return person, None
    code = PERSONAL_CODE_PREFIX + secrets.token_urlsafe(9)
    placeholder = -(secrets.randbelow(2**52) + 1)
    person = Person(telegram_id=placeholder, chat_id=placeholder, claim_code=code)
    session.add(person)
    return person, code


def _fill_candidate(profile: CandidateProfile, answers: CandidateAnswers) -> None:
    profile.age_band = answers.age_band
    profile.sectors = list(answers.sectors)
    profile.target_job = answers.target_job
    profile.strengths = list(answers.strengths)
    profile.qualities = list(answers.qualities)
    profile.programme = answers.programme
    profile.constraints = answers.constraints


def _fill_employer(profile: EmployerProfile, answers: EmployerAnswers) -> None:
    profile.company = answers.company
    profile.job_title = answers.job_title
    profile.sectors = list(answers.sectors)
    profile.jobs = answers.jobs
    if answers.max_candidates:
        profile.max_candidates = answers.max_candidates


async def complete_signup(
    database: Database,
    *,
    identity: TelegramIdentity | None,
    event_id: int,
    answers: SignUpAnswers,
    consent_at: datetime | None = None,
    status: RegistrationStatus = RegistrationStatus.REGISTERED,
    photo: bytes | None = None,
    recorded_by: int | None = None,
) -> SignupResult:
    """Store person, profile and registration together; a second call creates nothing new.

    `identity` is None when staff register someone: the person then gets a one-time
    personal link code (`claim_code`) to attach their Telegram account later.
    """
    async with database.session() as session:
        event = await session.get(Event, event_id)
        if event is None:
            raise LookupError(event_id)
        person, claim_code = await _person_for(session, identity)
        person.first_name = answers.first_name[:100]
        person.last_name = answers.last_name[:100] if answers.last_name else None
        if person.role != Role.STAFF:
            person.role = answers.role
        person.consent_at = person.consent_at or consent_at or utcnow()
        person.consent_recorded_by = recorded_by
        await session.flush()
        await _save_profile(session, person, answers, photo)
        registration = await session.scalar(
            select(Registration).where(
                Registration.event_id == event_id, Registration.person_id == person.id
            )
        )
        created = registration is None
        if registration is None:
            registration = Registration(event_id=event_id, person_id=person.id, role=answers.role)
            session.add(registration)
        if created or registration.status in (RegistrationStatus.WITHDRAWN, status):
            registration.status = status
            _fill_registration(registration, answers)
            registration.registered_by = recorded_by
        await session.flush()
        return SignupResult(person.id, registration.id, created, registration.status, claim_code)


def _fill_registration(registration: Registration, answers: SignUpAnswers) -> None:
    if isinstance(answers, CandidateAnswers):
        registration.site_id = answers.site_id
        registration.accepted_site_ids = []
        registration.remote = False
        registration.eligibility_answers = dict(answers.eligibility)
    else:
        registration.site_id = None
        registration.accepted_site_ids = list(answers.accepted_site_ids)
        registration.remote = answers.remote
        registration.eligibility_answers = {}
    registration.wishes = list(answers.wishes)


async def _save_profile(
    session: AsyncSession, person: Person, answers: SignUpAnswers, photo: bytes | None
) -> None:
    if isinstance(answers, EmployerAnswers):
        employer = await session.get(EmployerProfile, person.id)
        if employer is None:
            employer = EmployerProfile(person_id=person.id)
            session.add(employer)
        _fill_employer(employer, answers)
        return
    candidate = await session.get(CandidateProfile, person.id)
    if candidate is None:
        candidate = CandidateProfile(person_id=person.id)
        session.add(candidate)
    _fill_candidate(candidate, answers)
    if photo is not None:
        candidate.photo = photo


class ClaimRefused(Exception):
    """This Telegram account already has its own sign-ups; staff must sort it out."""


async def attach_account(database: Database, code: str, identity: TelegramIdentity) -> str | None:
    """Use a one-time personal link: the staff-made record becomes this Telegram account's.

    Returns the person's first name, or None when the code is unknown or already used.
    A bare record of the same account (made by `/start`, no profile) is replaced.
    """
    async with database.session() as session:
        person = await session.scalar(select(Person).where(Person.claim_code == code))
        if person is None:
            return None
        existing = await session.scalar(
            select(Person)
            .where(Person.telegram_id == identity.telegram_id)
            .options(selectinload(Person.candidate_profile), selectinload(Person.employer_profile))
        )
        if existing is not None:
            has_registration = await session.scalar(
                select(Registration.id).where(Registration.person_id == existing.id).limit(1)
            )
            if existing.candidate_profile or existing.employer_profile or has_registration:
                raise ClaimRefused(identity.telegram_id)
            await session.delete(existing)
            await session.flush()
        person.telegram_id = identity.telegram_id
        person.chat_id = identity.chat_id
        person.username = identity.username
        person.claim_code = None
        return person.first_name
