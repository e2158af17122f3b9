"""Staff messages to a group: audience, draft, one-time send, progress and final report.

The draft is stored before the preview, and "Envoyer" carries its id: the rows are keyed
`broadcast:<broadcast id>:<person id>` and the draft can leave `draft` only once, so a
double press (or a press after a restart) never sends twice. Staff's progress message goes
through the outbox too, queued before the rows (`broadcast_progress:<broadcast id>`): sent
once even if the bot dies as it goes, and edited once the outbox knows its id.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.db.models.broadcasts import Broadcast, BroadcastStatus
from bot.db.models.events import Event, EventStatus, Registration, RegistrationStatus, Site
from bot.db.models.outbox import OutboxMessage, OutboxStatus
from bot.db.models.people import Person, Role
from bot.db.session import Database
from bot.i18n import Translator
from bot.outbox import enqueue

MAX_TEXT = 4000
KIND = "broadcast"
PROGRESS_KIND = "broadcast_progress"
SIGNED_UP = (
    RegistrationStatus.REGISTERED,
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITING,
)
EXPECTED = (RegistrationStatus.REGISTERED, RegistrationStatus.CONFIRMED)
RECENT_EVENTS = timedelta(days=30)
MAX_EVENTS = 8
UNREACHABLE_BEFORE = "unreachable before sending"
REPORT_AGAIN = timedelta(hours=1)


class Audience(StrEnum):
    ALL = "all"
    CANDIDATES = "cand"
    EMPLOYERS = "emp"
    EVENT = "event"
    SITE = "site"
    UNCONFIRMED = "unconf"


NEEDS_EVENT = (Audience.EVENT, Audience.SITE, Audience.UNCONFIRMED)


class SendOutcome(StrEnum):
    QUEUED = "queued"
    ALREADY = "already"
    CANCELLED = "cancelled"
    MISSING = "missing"


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


@dataclass(frozen=True)
class DraftView:
    id: int
    text: str
    recipients: int
    unreachable: int


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    queued: int = 0


@dataclass(frozen=True)
class Progress:
    broadcast_id: int
    staff_chat_id: int
    message_id: int | None
    sent: int
    failed: int
    unreachable: int
    remaining: int
    message_coming: bool = False  # staff's progress message waits in the outbox: no id yet
    unreachable_names: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.remaining == 0


def batch_of(broadcast_id: int) -> str:
    return f"{KIND}:{broadcast_id}"


def progress_key(broadcast_id: int) -> str:
    return f"{PROGRESS_KIND}:{broadcast_id}"


def message_for(_: Translator, text: str) -> str:
    """What recipients read: who it is from, then the staff text, escaped."""
    return _("Message from the organising team:") + "\n\n" + html.escape(text)


def full_name(person: Person) -> str:
    return " ".join(part for part in (person.first_name, person.last_name) if part) or "?"


async def event_choices(database: Database) -> list[Choice]:
    """Events not cancelled, from a month ago on, soonest first."""
    async with database.session() as session:
        events = await session.scalars(
            select(Event)
            .where(Event.status != EventStatus.CANCELLED)
            .where(Event.starts_at >= clock.now() - RECENT_EVENTS)
            .order_by(Event.starts_at)
            .limit(MAX_EVENTS)
        )
        return [Choice(event.id, event.name) for event in events]


async def site_choices(database: Database, event_id: int) -> list[Choice]:
    async with database.session() as session:
        sites = await session.scalars(
            select(Site).where(Site.event_id == event_id).order_by(Site.position, Site.id)
        )
        return [Choice(site.id, site.name) for site in sites]


async def _recipients(
    session: AsyncSession, audience: Audience, event_id: int | None, site_id: int | None
) -> list[Person]:
    query = select(Person).distinct().order_by(Person.id)
    if audience == Audience.ALL:
        query = query.where(Person.role.in_([Role.CANDIDATE, Role.EMPLOYER]))
    elif audience == Audience.CANDIDATES:
        query = query.where(Person.role == Role.CANDIDATE)
    elif audience == Audience.EMPLOYERS:
        query = query.where(Person.role == Role.EMPLOYER)
    else:
        query = query.join(Registration, Registration.person_id == Person.id).where(
            Registration.event_id == event_id
        )
        if audience == Audience.UNCONFIRMED:
            query = query.where(
                Registration.status.in_(EXPECTED), Registration.attendance_answer.is_(None)
            )
        else:
            query = query.where(Registration.status.in_(SIGNED_UP))
        if audience == Audience.SITE:
            query = query.where(Registration.site_id == site_id)
    return list(await session.scalars(query))


async def create_draft(
    database: Database,
    *,
    staff_telegram_id: int,
    staff_chat_id: int,
    audience: Audience,
    event_id: int | None,
    site_id: int | None,
    text: str,
) -> DraftView:
    async with database.session() as session:
        author = await session.scalar(select(Person).where(Person.telegram_id == staff_telegram_id))
        people = await _recipients(session, audience, event_id, site_id)
        draft = Broadcast(
            created_by=author.id if author else None,
            staff_chat_id=staff_chat_id,
            audience=audience,
            event_id=event_id,
            site_id=site_id,
            text=text,
            status=BroadcastStatus.DRAFT,
            recipients=len(people),
        )
        session.add(draft)
        await session.flush()
        unreachable = sum(1 for person in people if person.unreachable_at is not None)
        return DraftView(draft.id, text, len(people), unreachable)


async def send_broadcast(
    database: Database,
    broadcast_id: int,
    progress_text: Callable[[Progress], str] | None = None,
) -> SendResult:
    """Queue one row per recipient, once; people already unreachable are recorded, not tried.
    With `progress_text`, staff's progress message is queued first, with what it says."""
    async with database.session() as session:
        draft = await session.get(Broadcast, broadcast_id)
        if draft is None:
            return SendResult(SendOutcome.MISSING)
        if draft.status == BroadcastStatus.CANCELLED:
            return SendResult(SendOutcome.CANCELLED)
        if draft.status != BroadcastStatus.DRAFT:
            return SendResult(SendOutcome.ALREADY)
        people = await _recipients(session, Audience(draft.audience), draft.event_id, draft.site_id)
        if progress_text is not None:
            unreachable = len([person for person in people if person.unreachable_at is not None])
            first = Progress(
                draft.id, draft.staff_chat_id, None, 0, 0, unreachable, len(people) - unreachable
            )
            await enqueue(
                session,
                key=progress_key(draft.id),
                chat_id=draft.staff_chat_id,
                kind=PROGRESS_KIND,
                text=progress_text(first),
            )
        queued = 0
        for person in people:
            _ = Translator.for_language(person.language)
            key = f"{batch_of(draft.id)}:{person.id}"
            added = await enqueue(
                session,
                key=key,
                chat_id=person.chat_id,
                kind=KIND,
                text=message_for(_, draft.text),
                person_id=person.id,
                event_id=draft.event_id,
                batch=batch_of(draft.id),
            )
            queued += added
            if added and person.unreachable_at is not None:
                await _mark_unreachable_now(session, key)
        draft.status = BroadcastStatus.SENDING
        draft.recipients = len(people)
        draft.sent_at = clock.now()
        return SendResult(SendOutcome.QUEUED, queued)


async def _mark_unreachable_now(session: AsyncSession, key: str) -> None:
    row = await session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if row is not None:
        row.status = OutboxStatus.UNREACHABLE
        row.last_error = UNREACHABLE_BEFORE


async def cancel_draft(database: Database, broadcast_id: int) -> bool:
    """True if the draft was cancelled now; False if it was already sent or cancelled."""
    async with database.session() as session:
        draft = await session.get(Broadcast, broadcast_id)
        if draft is None or draft.status != BroadcastStatus.DRAFT:
            return False
        draft.status = BroadcastStatus.CANCELLED
        return True


async def progress(database: Database, broadcast_id: int) -> Progress | None:
    async with database.session() as session:
        draft = await session.get(Broadcast, broadcast_id)
        if draft is None:
            return None
        counts = dict(
            (
                await session.execute(
                    select(OutboxMessage.status, func.count())
                    .where(OutboxMessage.batch == batch_of(broadcast_id))
                    .group_by(OutboxMessage.status)
                )
            ).all()
        )
        unreachable_people = await session.scalars(
            select(Person)
            .join(OutboxMessage, OutboxMessage.person_id == Person.id)
            .where(OutboxMessage.batch == batch_of(broadcast_id))
            .where(OutboxMessage.status == OutboxStatus.UNREACHABLE)
            .order_by(Person.first_name, Person.id)
        )
        message_id, coming = draft.progress_message_id, False
        if message_id is None:  # its id and whether it may still come, read together
            row = (
                await session.execute(
                    select(OutboxMessage.telegram_message_id, OutboxMessage.status).where(
                        OutboxMessage.idempotency_key == progress_key(draft.id)
                    )
                )
            ).first()
            if row is not None:
                message_id = row[0]
                coming = row[1] in (OutboxStatus.PENDING, OutboxStatus.SENDING)
        return Progress(
            broadcast_id=draft.id,
            staff_chat_id=draft.staff_chat_id,
            message_id=message_id,
            sent=counts.get(OutboxStatus.SENT, 0),
            failed=counts.get(OutboxStatus.FAILED, 0) + counts.get(OutboxStatus.CANCELLED, 0),
            unreachable=counts.get(OutboxStatus.UNREACHABLE, 0),
            remaining=counts.get(OutboxStatus.PENDING, 0) + counts.get(OutboxStatus.SENDING, 0),
            message_coming=coming,
            unreachable_names=[full_name(person) for person in unreachable_people],
        )


async def finish(database: Database, broadcast_id: int) -> None:
    async with database.session() as session:
        draft = await session.get(Broadcast, broadcast_id)
        if draft is not None and draft.status == BroadcastStatus.SENDING:
            draft.status = BroadcastStatus.DONE
            draft.finished_at = clock.now()


async def to_follow(database: Database) -> list[int]:
    """Broadcasts still going out, and those finished in the last `REPORT_AGAIN` (a crash
    may have come between recording the end and showing the report)."""
    async with database.session() as session:
        ids = await session.scalars(
            select(Broadcast.id).where(
                (Broadcast.status == BroadcastStatus.SENDING)
                | (
                    (Broadcast.status == BroadcastStatus.DONE)
                    & (Broadcast.finished_at >= clock.now() - REPORT_AGAIN)
                )
            )
        )
        return list(ids)


async def unreachable_people(database: Database) -> list[str]:
    """Everyone the bot cannot write to (blocked it, or never opened it), for staff."""
    async with database.session() as session:
        people = await session.scalars(
            select(Person)
            .where(Person.unreachable_at.is_not(None))
            .order_by(Person.first_name, Person.id)
        )
        return [full_name(person) for person in people]
