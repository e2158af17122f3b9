"""Where a person stands, so that any message the bot did not expect gets a way on.

The fallback answer (`bot.handlers.fallback`) offers what this person can do now: see their
next event, sign up for an open one, change their card, write to the team. It needs a few
facts, read here in one query per table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.db.models.events import Event, EventStatus, Registration, RegistrationStatus, Site
from bot.db.models.people import CandidateProfile, EmployerProfile, Person, Role
from bot.db.session import Database
from bot.services.signup import count_open_events

ACTIVE = (RegistrationStatus.REGISTERED, RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING)


@dataclass(frozen=True)
class NextEvent:
    name: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    place: str | None
    address: str | None
    remote: bool
    status: str  # registered / confirmed / waiting


@dataclass(frozen=True)
class Situation:
    first_name: str
    role: str | None
    is_staff: bool
    has_card: bool
    next_event: NextEvent | None
    open_events: int


async def situation(database: Database, telegram_id: int, staff_ids: list[int]) -> Situation:
    """What the person can do now; a person never seen before is simply new."""
    async with database.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        upcoming = await _next_event(session, person.id) if person else None
        has_card = person is not None and await _has_card(session, person)
        open_events = await count_open_events(session)
    return Situation(
        first_name=person.first_name if person else "",
        role=person.role if person else None,
        is_staff=telegram_id in staff_ids or (person is not None and person.role == Role.STAFF),
        has_card=has_card,
        next_event=upcoming,
        open_events=open_events,
    )


async def _has_card(session: AsyncSession, person: Person) -> bool:
    table = CandidateProfile if person.role == Role.CANDIDATE else EmployerProfile
    if person.role not in (Role.CANDIDATE, Role.EMPLOYER):
        return False
    found = await session.scalar(select(table.person_id).where(table.person_id == person.id))
    return found is not None


async def _next_event(session: AsyncSession, person_id: int) -> NextEvent | None:
    soon = clock.now() - timedelta(hours=12)
    row = (
        await session.execute(
            select(Event, Registration)
            .join(Registration, Registration.event_id == Event.id)
            .where(Registration.person_id == person_id)
            .where(Registration.status.in_(ACTIVE))
            .where(Event.status != EventStatus.CANCELLED)
            .where(Event.starts_at >= soon)
            .order_by(Event.starts_at)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    event, registration = row
    site = await session.get(Site, registration.site_id) if registration.site_id else None
    return NextEvent(
        name=event.name,
        starts_at=event.starts_at,
        ends_at=event.starts_at + timedelta(minutes=event.duration_minutes),
        timezone=event.timezone,
        place=site.name if site else None,
        address=site.address if site else None,
        remote=registration.remote or bool(site and site.remote),
        status=registration.status,
    )
