"""Data rights: a copy of everything stored about a person, and erasing it all.

Erasure keeps only an anonymous count per month and role (`deletion_counts`), so the
organisation can still report how many people left without knowing who.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import selectinload

from bot import clock
from bot.db.models.events import Event, Registration
from bot.db.models.outbox import OutboxMessage
from bot.db.models.people import DeletionCount, Person
from bot.db.persistence import forget_person
from bot.db.session import Database
from bot.services.aftercare.review import AftercareRecords, aftercare_records, forget_aftercare


@dataclass(frozen=True)
class RegistrationExport:
    event_name: str
    event_starts_at: datetime
    role: str
    status: str
    site_name: str | None
    remote: bool
    eligibility_answers: dict[str, bool]
    wishes: list[str]
    created_at: datetime
    timezone: str = "Europe/Paris"  # the event's: times are shown as people lived them


@dataclass(frozen=True)
class PersonExport:
    """Everything we hold about one person, as plain values."""

    person: dict[str, Any]
    candidate: dict[str, Any] | None
    employer: dict[str, Any] | None
    photo: bytes | None
    registrations: list[RegistrationExport] = field(default_factory=list)
    messages_count: int = 0
    aftercare: AftercareRecords = field(default_factory=AftercareRecords)


def _names(people: dict[int, str], ids: list[int]) -> list[str]:
    return [people.get(person_id, "?") for person_id in ids]


async def export_person(database: Database, telegram_id: int) -> PersonExport | None:
    async with database.session() as session:
        person = await session.scalar(
            select(Person)
            .where(Person.telegram_id == telegram_id)
            .options(selectinload(Person.candidate_profile), selectinload(Person.employer_profile))
        )
        if person is None:
            return None
        registrations = list(
            await session.scalars(
                select(Registration)
                .where(Registration.person_id == person.id)
                .options(selectinload(Registration.event).selectinload(Event.sites))
                .order_by(Registration.created_at)
            )
        )
        wished = {person_id for reg in registrations for person_id in reg.wishes}
        names = (
            dict(
                (
                    await session.execute(
                        select(Person.id, Person.first_name).where(Person.id.in_(wished))
                    )
                )
                .tuples()
                .all()
            )
            if wished
            else {}
        )
        messages = list(
            await session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.person_id == person.id)
            )
        )
        candidate = person.candidate_profile
        employer = person.employer_profile
        aftercare = await aftercare_records(session, person.id)
        return PersonExport(
            person={
                "first_name": person.first_name,
                "last_name": person.last_name,
                "username": person.username,
                "telegram_id": person.telegram_id,
                "role": person.role,
                "language": person.language,
                "consent_at": person.consent_at,
                "consent_recorded_by_staff": person.consent_recorded_by is not None,
                "created_at": person.created_at,
            },
            candidate=None
            if candidate is None
            else {
                "age_band": candidate.age_band,
                "sectors": list(candidate.sectors),
                "target_job": candidate.target_job,
                "strengths": list(candidate.strengths),
                "qualities": list(candidate.qualities),
                "programme": candidate.programme,
                "constraints": candidate.constraints,
                "share_card": candidate.share_card,
            },
            employer=None
            if employer is None
            else {
                "company": employer.company,
                "job_title": employer.job_title,
                "sectors": list(employer.sectors),
                "jobs": employer.jobs,
                "max_candidates": employer.max_candidates,
            },
            photo=candidate.photo if candidate else None,
            registrations=[
                RegistrationExport(
                    event_name=reg.event.name,
                    event_starts_at=reg.event.starts_at,
                    role=reg.role,
                    status=reg.status,
                    site_name=next(
                        (site.name for site in reg.event.sites if site.id == reg.site_id), None
                    ),
                    remote=reg.remote,
                    eligibility_answers=dict(reg.eligibility_answers),
                    wishes=_names(names, reg.wishes),
                    created_at=reg.created_at,
                    timezone=reg.event.timezone,
                )
                for reg in registrations
            ],
            messages_count=len(messages),
            aftercare=aftercare,
        )


async def erase_person(database: Database, telegram_id: int) -> str | None:
    """Erase the person and everything tied to them; returns their role (None if unknown).

    Profiles and registrations go by cascade; outbox rows by person and by chat; other
    people's wishes and staff references drop the erased id.
    """
    async with database.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        if person is None:
            return None
        person_id, role = person.id, person.role or "unknown"
        await forget_person(session, telegram_id)
        await forget_aftercare(session, person_id)
        await session.execute(
            delete(OutboxMessage).where(
                or_(OutboxMessage.person_id == person_id, OutboxMessage.chat_id == person.chat_id)
            )
        )
        event_ids = select(Registration.event_id).where(Registration.person_id == person_id)
        others = list(
            await session.scalars(
                select(Registration).where(
                    Registration.event_id.in_(event_ids), Registration.person_id != person_id
                )
            )
        )
        await session.execute(delete(Registration).where(Registration.person_id == person_id))
        for registration in others:  # wishes only name people of the same event
            if person_id in (registration.wishes or []):
                registration.wishes = [item for item in registration.wishes if item != person_id]
        await session.execute(
            update(Registration)
            .where(Registration.registered_by == person_id)
            .values(registered_by=None)
        )
        await session.execute(
            update(Person)
            .where(Person.consent_recorded_by == person_id)
            .values(consent_recorded_by=None)
        )
        await session.execute(
            update(Event).where(Event.created_by == person_id).values(created_by=None)
        )
        await session.delete(person)
        month = clock.now().strftime("%Y-%m")  # the bot's clock, which tests move
        counter = await session.get(DeletionCount, (month, role))
        if counter is None:
            session.add(DeletionCount(month=month, role=role, count=1))
        else:
            counter.count += 1
        return role
