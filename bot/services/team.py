"""The organising team: who is staff, adding and removing people, one-time staff links.

Staff is `Person.role == "staff"` in the database. The ids of `PASSERELLE_STAFF_IDS` are the
root of the team: always staff, never removable here, so the team cannot lock itself out.
A removed member goes back to no role (they choose again with /start).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.db.base import utcnow
from bot.db.models.people import Person, Role
from bot.db.models.persistence import PersistedState
from bot.db.session import Database
from bot.i18n import Translator
from bot.outbox.store import enqueue

RECENT = timedelta(days=14)
RECENT_LIMIT = 8
LINK_LIFETIME = timedelta(days=7)
LINK_NAMESPACE = "staff_link"
LINK_PREFIX = "staff_"
KIND = "team"


@dataclass(frozen=True)
class Member:
    """One person of the team; `configured` ones come from PASSERELLE_STAFF_IDS."""

    telegram_id: int
    person_id: int | None
    first_name: str
    configured: bool


@dataclass(frozen=True)
class Newcomer:
    """Someone who wrote to the bot recently and is not staff: a possible team member."""

    person_id: int
    first_name: str
    role: str | None


class Change(StrEnum):
    ADDED = "added"
    ALREADY = "already"
    REMOVED = "removed"
    NOT_STAFF = "not_staff"
    CONFIGURED = "configured"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class TeamChange:
    outcome: Change
    first_name: str = ""


async def team(database: Database, staff_ids: list[int]) -> list[Member]:
    """The configured members first (named when they have written), then those added."""
    async with database.session() as session:
        people = list(
            await session.scalars(
                select(Person).where(
                    (Person.role == Role.STAFF) | Person.telegram_id.in_(staff_ids)
                )
            )
        )
    known = {person.telegram_id: person for person in people}
    configured = [
        Member(
            telegram_id,
            known[telegram_id].id if telegram_id in known else None,
            known[telegram_id].first_name if telegram_id in known else "",
            True,
        )
        for telegram_id in staff_ids
    ]
    added = sorted(
        (
            Member(person.telegram_id, person.id, person.first_name, False)
            for person in people
            if person.telegram_id not in staff_ids
        ),
        key=lambda member: (member.first_name.casefold(), member.telegram_id),
    )
    return configured + added


async def recent_people(
    database: Database, staff_ids: list[int], *, since: timedelta = RECENT
) -> list[Newcomer]:
    """People seen lately (first contact, or a change: role, consent, profile), newest first.

    Staff are left out, and people registered by the team who never opened the bot.
    The inbox keeps no trace of who wrote (privacy), so `Person.updated_at` is the sign.
    """
    cutoff = utcnow() - since  # `updated_at` is stamped with the real time
    async with database.session() as session:
        rows = (
            await session.execute(
                select(Person.id, Person.first_name, Person.role)
                .where(
                    Person.updated_at >= cutoff,
                    Person.telegram_id > 0,
                    Person.telegram_id.not_in(staff_ids),
                    (Person.role.is_(None)) | (Person.role != Role.STAFF),
                )
                .order_by(Person.updated_at.desc(), Person.id.desc())
                .limit(RECENT_LIMIT)
            )
        ).all()
    return [Newcomer(person_id, first_name, role) for person_id, first_name, role in rows]


async def _make_staff(session: AsyncSession, person: Person) -> TeamChange:
    if person.role == Role.STAFF:
        return TeamChange(Change.ALREADY, person.first_name)
    person.role = Role.STAFF
    _ = Translator.for_language(person.language)
    await enqueue(
        session,
        key=f"team:welcome:{person.id}:{int(clock.now().timestamp())}",
        chat_id=person.chat_id,
        person_id=person.id,
        kind=KIND,
        text=_("You are now part of the organising team. Type /aide to see the team's commands."),
    )
    await session.flush()
    return TeamChange(Change.ADDED, person.first_name)


async def add_member(database: Database, person_id: int, staff_ids: list[int]) -> TeamChange:
    """Make someone who already wrote to the bot staff; they are told through the outbox."""
    async with database.session() as session:
        person = await session.get(Person, person_id)
        if person is None or person.telegram_id <= 0:
            return TeamChange(Change.UNKNOWN)
        if person.telegram_id in staff_ids:
            return TeamChange(Change.ALREADY, person.first_name)
        return await _make_staff(session, person)


async def add_by_telegram_id(
    database: Database, telegram_id: int, staff_ids: list[int]
) -> TeamChange:
    """The same from a Telegram number (the person must have written to the bot once)."""
    async with database.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        if person is None or telegram_id <= 0:
            return TeamChange(Change.UNKNOWN)
        if telegram_id in staff_ids:
            return TeamChange(Change.ALREADY, person.first_name)
        return await _make_staff(session, person)


async def telegram_id_of(database: Database, person_id: int) -> int | None:
    async with database.session() as session:
        person = await session.get(Person, person_id)
        return person.telegram_id if person is not None and person.telegram_id > 0 else None


async def member_name(database: Database, person_id: int) -> str | None:
    async with database.session() as session:
        person = await session.get(Person, person_id)
        return person.first_name if person is not None else None


async def remove_member(database: Database, person_id: int, staff_ids: list[int]) -> TeamChange:
    """Back to no role; configured members stay (they are the root of the team)."""
    async with database.session() as session:
        person = await session.get(Person, person_id)
        if person is None:
            return TeamChange(Change.UNKNOWN)
        if person.telegram_id in staff_ids:
            return TeamChange(Change.CONFIGURED, person.first_name)
        if person.role != Role.STAFF:
            return TeamChange(Change.NOT_STAFF, person.first_name)
        person.role = None
        await session.flush()
        return TeamChange(Change.REMOVED, person.first_name)


async def new_link_code(database: Database, created_by: int) -> str:
    """A one-time code for `/start staff_<code>`, valid `LINK_LIFETIME`."""
    code = secrets.token_urlsafe(12)
    async with database.session() as session:
        session.add(
            PersistedState(
                namespace=LINK_NAMESPACE,
                key=code,
                data={"by": created_by, "at": clock.now().isoformat()},
            )
        )
        await session.flush()
    return code


async def use_link(
    database: Database, code: str, telegram_id: int, staff_ids: list[int]
) -> TeamChange:
    """Whoever opens the link first becomes staff; the code is then gone (used or expired)."""
    async with database.session() as session:
        row = await session.get(PersistedState, (LINK_NAMESPACE, code))
        if row is None:
            return TeamChange(Change.UNKNOWN)
        created = row.data.get("at") if isinstance(row.data, dict) else None
        if not isinstance(created, str) or datetime.fromisoformat(created) + LINK_LIFETIME < (
            clock.now()
        ):
            await session.delete(row)
            return TeamChange(Change.UNKNOWN)
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        if person is None:
            return TeamChange(Change.UNKNOWN)
        if telegram_id in staff_ids or person.role == Role.STAFF:
            return TeamChange(Change.ALREADY, person.first_name)  # the link stays for another
        await session.delete(row)
        person.role = Role.STAFF
        await session.flush()
        return TeamChange(Change.ADDED, person.first_name)
