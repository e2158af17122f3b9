"""Who is who: recording people as they first write, and the role they come with."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.people import Person, Role
from bot.db.session import Database


class RoleNotAllowed(Exception):
    """Staff is granted by configuration only; nobody can pick it from a button."""


@dataclass(frozen=True)
class TelegramIdentity:
    telegram_id: int
    chat_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language: str = "fr"


@dataclass(frozen=True)
class PersonView:
    id: int
    telegram_id: int
    first_name: str
    role: str | None
    consent_given: bool


def _view(person: Person) -> PersonView:
    return PersonView(
        id=person.id,
        telegram_id=person.telegram_id,
        first_name=person.first_name,
        role=person.role,
        consent_given=person.consent_at is not None,
    )


async def _find(session: AsyncSession, telegram_id: int) -> Person | None:
    return await session.scalar(select(Person).where(Person.telegram_id == telegram_id))


async def touch_person(
    database: Database, identity: TelegramIdentity, staff_ids: list[int]
) -> PersonView:
    """Find or create the person; configured staff get the staff role from the start."""
    async with database.session() as session:
        person = await _find(session, identity.telegram_id)
        if person is None:
            person = Person(
                telegram_id=identity.telegram_id,
                chat_id=identity.chat_id,
                first_name=identity.first_name[:100],
                last_name=(identity.last_name or None) and identity.last_name[:100],
                username=identity.username,
                language=identity.language,
            )
            session.add(person)
        person.chat_id = identity.chat_id
        if identity.telegram_id in staff_ids and person.role != Role.STAFF:
            person.role = Role.STAFF
        person.unreachable_at = None
        await session.flush()
        return _view(person)


async def find_person(database: Database, telegram_id: int) -> PersonView | None:
    async with database.session() as session:
        person = await _find(session, telegram_id)
        return _view(person) if person else None


async def role_of(database: Database, telegram_id: int) -> str | None:
    person = await find_person(database, telegram_id)
    return person.role if person else None


async def choose_role(
    database: Database, telegram_id: int, role: Role, staff_ids: list[int]
) -> tuple[PersonView, bool]:
    """Store the role; returns the person and whether anything changed (double presses)."""
    async with database.session() as session:
        person = await _find(session, telegram_id)
        if person is None:
            raise LookupError(telegram_id)
        # Staff is granted by configuration or by `/equipe`, never taken from a button.
        if role == Role.STAFF and telegram_id not in staff_ids and person.role != Role.STAFF:
            raise RoleNotAllowed(telegram_id)
        changed = person.role != role
        person.role = role
        await session.flush()
        return _view(person), changed


async def is_staff(database: Database, telegram_id: int, staff_ids: list[int]) -> bool:
    """Server-side role check used by every staff command and button."""
    if telegram_id in staff_ids:
        return True
    return await role_of(database, telegram_id) == Role.STAFF
