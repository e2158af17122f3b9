"""Writing to the team through the bot, and the team's answer.

A person who is stuck presses "Parler à l'équipe" and writes one message: it goes to the staff
of their next event (its creator), or to every configured staff member when there is none,
with a "Répondre" button. The staff member's answer reaches the person through the bot. Both
go through the outbox (nothing lost, nothing sent twice); neither is logged.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.callbacks import TeamReply
from bot.db.models.events import Event, EventStatus, Registration, RegistrationStatus
from bot.db.models.people import Person, Role
from bot.db.session import Database
from bot.i18n import Translator
from bot.outbox.store import enqueue

KIND = "contact"
ACTIVE = (RegistrationStatus.REGISTERED, RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING)


@dataclass(frozen=True)
class Forwarded:
    recipients: int  # staff members who will receive it


@dataclass(frozen=True)
class Answered:
    first_name: str


class UnknownPerson(Exception):
    """The person to answer no longer exists (erased) or never did (forged button)."""


async def person_name(database: Database, person_id: int) -> str | None:
    async with database.session() as session:
        person = await session.get(Person, person_id)
        return person.first_name if person else None


async def forward_to_team(
    database: Database, telegram_id: int, text: str, staff_ids: list[int]
) -> Forwarded:
    """The person's message to the staff of their next event, or to all staff."""
    async with database.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        if person is None:
            return Forwarded(0)
        staff = await _staff_for(session, person, staff_ids)
        event_name = await _next_event_name(session, person.id)
        stamp = secrets.token_hex(4)
        for member in staff:
            _ = Translator.for_language(member.language)
            heading = (
                _("Message from {name} ({event}):", name=_full(person), event=event_name)
                if event_name
                else _("Message from {name}:", name=_full(person))
            )
            await enqueue(
                session,
                key=f"{KIND}:in:{person.id}:{member.id}:{stamp}",
                chat_id=member.chat_id,
                kind=KIND,
                text=heading + "\n\n" + _("{text}", text=text),
                person_id=member.id,
                buttons=[[(_.plain("Reply"), TeamReply(person.id).pack())]],
            )
        return Forwarded(len(staff))


async def answer_person(
    database: Database, staff_telegram_id: int, person_id: int, text: str
) -> Answered:
    """A staff member's answer, sent to the person with the staff member's first name."""
    async with database.session() as session:
        person = await session.get(Person, person_id)
        member = await session.scalar(select(Person).where(Person.telegram_id == staff_telegram_id))
        if person is None or person.chat_id <= 0:
            raise UnknownPerson(person_id)
        _ = Translator.for_language(person.language)
        who = member.first_name if member and member.first_name else _("the team")
        await enqueue(
            session,
            key=f"{KIND}:out:{person.id}:{secrets.token_hex(6)}",
            chat_id=person.chat_id,
            kind=KIND,
            text=_("Answer from {name}, of the organising team:", name=who)
            + "\n\n"
            + _("{text}", text=text),
            person_id=person.id,
        )
        return Answered(person.first_name)


def _full(person: Person) -> str:
    return " ".join(part for part in (person.first_name, person.last_name) if part) or "?"


async def _staff_for(session: AsyncSession, person: Person, staff_ids: list[int]) -> list[Person]:
    creator = await session.scalar(
        select(Person)
        .join(Event, Event.created_by == Person.id)
        .join(Registration, Registration.event_id == Event.id)
        .where(Registration.person_id == person.id)
        .where(Registration.status.in_(ACTIVE))
        .where(Event.status != EventStatus.CANCELLED)
        .where(Event.starts_at >= clock.now())
        .where(Person.role == Role.STAFF)
        .order_by(Event.starts_at)
        .limit(1)
    )
    if creator is not None and creator.chat_id > 0:
        return [creator]
    staff = await session.scalars(
        select(Person).where((Person.role == Role.STAFF) | Person.telegram_id.in_(staff_ids))
    )
    return [member for member in staff if member.chat_id > 0 and member.id != person.id]


async def _next_event_name(session: AsyncSession, person_id: int) -> str | None:
    return await session.scalar(
        select(Event.name)
        .join(Registration, Registration.event_id == Event.id)
        .where(Registration.person_id == person_id)
        .where(Registration.status.in_(ACTIVE))
        .where(Event.starts_at >= clock.now())
        .order_by(Event.starts_at)
        .limit(1)
    )
