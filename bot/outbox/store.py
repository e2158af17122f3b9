"""The outbox table's operations: enqueue, cancel, and the dispatcher's claim and record steps.

Callers enqueue inside the transaction of the change that causes the message, so the message
exists exactly when the change does. Keys are unique: a second enqueue with the same key is a
no-op (`INSERT … ON CONFLICT DO NOTHING`, on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.db.base import dialect_of, insert_for, table_of
from bot.db.models.outbox import OutboxMessage, OutboxStatus
from bot.db.models.people import Person
from bot.outbox.compose import Buttons, compose
from bot.outbox.staleness import REMINDER_KIND, SURVEY_KIND, stale_reminders, stale_surveys

PART_SEPARATOR = "#"


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    chat_id: int,
    kind: str,
    text: str,
    person_id: int | None = None,
    event_id: int | None = None,
    buttons: Buttons | None = None,
    document: tuple[str, bytes] | None = None,
    photo: bytes | None = None,
    parse_mode: str | None = "HTML",
    send_after: datetime | None = None,
    batch: str | None = None,
) -> bool:
    """Queue a message (several rows if the text is long); False if `key` is already queued.

    A person registered by staff who has not opened their personal link yet has no Telegram
    chat (a negative placeholder id): their rows are kept, marked unreachable, so staff see
    who could not be told rather than the dispatcher failing on them.
    """
    payloads = compose(text, buttons=buttons, document=document, photo=photo, parse_mode=parse_mode)
    due = send_after or clock.now()
    status = OutboxStatus.PENDING if chat_id > 0 else OutboxStatus.UNREACHABLE
    for index, payload in enumerate(payloads):
        row: dict[str, Any] = {
            "idempotency_key": key if index == 0 else f"{key}{PART_SEPARATOR}{index + 1}",
            "chat_id": chat_id,
            "person_id": person_id,
            "event_id": event_id,
            "kind": kind,
            "payload": payload,
            "send_after": due,
            "status": status,
            "attempts": 0,
            "batch": batch,
        }
        inserted = await insert_once(session, row)
        if index == 0 and inserted is None:
            return False
    return True


_OUTBOX = table_of(OutboxMessage)


@cache
def _insert_once(dialect: str) -> Any:
    return (
        insert_for(dialect)(_OUTBOX)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(_OUTBOX.c.id)
    )


async def insert_once(session: AsyncSession, row: dict[str, Any]) -> int | None:
    """The new row's id, or None when its key is already queued (one statement)."""
    row_id = await session.scalar(_insert_once(dialect_of(session)), row)
    return int(row_id) if row_id is not None else None


async def cancel_pending(
    session: AsyncSession,
    *,
    event_id: int | None = None,
    person_id: int | None = None,
    kinds: Collection[str] | None = None,
) -> int:
    """Cancel messages not sent yet for an event and/or a person; returns how many."""
    if event_id is None and person_id is None and not kinds:
        raise ValueError("cancel_pending needs at least one filter")
    statement = update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
    if event_id is not None:
        statement = statement.where(OutboxMessage.event_id == event_id)
    if person_id is not None:
        statement = statement.where(OutboxMessage.person_id == person_id)
    if kinds:
        statement = statement.where(OutboxMessage.kind.in_(list(kinds)))
    result = await session.execute(statement.values(status=OutboxStatus.CANCELLED))
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Claimed:
    """A row taken by the dispatcher, as plain values (no session outlives the claim)."""

    id: int
    key: str
    chat_id: int
    person_id: int | None
    event_id: int | None
    kind: str
    payload: dict[str, Any]
    attempts: int


def _claimed(row: OutboxMessage, payload: dict[str, Any], attempts: int) -> Claimed:
    return Claimed(
        id=row.id,
        key=row.idempotency_key,
        chat_id=row.chat_id,
        person_id=row.person_id,
        event_id=row.event_id,
        kind=row.kind,
        payload=payload,
        attempts=attempts,
    )


async def in_flight(session: AsyncSession) -> list[Claimed]:
    """Rows left `sending` by a crash (after the journal's replay): see the dispatcher."""
    rows = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING)
        .order_by(OutboxMessage.id)
    )
    return [_claimed(row, dict(row.payload), row.attempts) for row in rows]


async def recover(session: AsyncSession, row_ids: Collection[int] | None = None) -> int:
    """Rows left `sending` (all, or these) go back to `pending`, to be sent again."""
    statement = update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENDING)
    if row_ids is not None:
        if not row_ids:
            return 0
        statement = statement.where(OutboxMessage.id.in_(list(row_ids)))
    result = await session.execute(statement.values(status=OutboxStatus.PENDING))
    return int(result.rowcount)  # type: ignore[attr-defined]


_FLOORS = (
    select(_OUTBOX.c.chat_id, func.max(_OUTBOX.c.telegram_message_id))
    .where(_OUTBOX.c.chat_id.in_(bindparam("chats", expanding=True)))
    .where(_OUTBOX.c.telegram_message_id.is_not(None))
    .group_by(_OUTBOX.c.chat_id)
)


async def chat_floors(session: AsyncSession, chat_ids: Collection[int]) -> dict[int, int]:
    """The highest Telegram message id the outbox recorded in each of these chats."""
    if not chat_ids:
        return {}
    rows = await session.execute(_FLOORS, {"chats": list(chat_ids)})
    return {int(chat_id): int(top) for chat_id, top in rows if top is not None}


async def probe_floors(
    session: AsyncSession, chat_ids: Collection[int], known_top: Callable[[int], int] | None
) -> dict[int, int]:
    """Where a crash-time probe starts in each chat: the highest message id known there,
    from the outbox and from `known_top` (see `mark_sending`)."""
    floors = await chat_floors(session, chat_ids)
    return {
        chat: max(floors.get(chat, 0), known_top(chat) if known_top else 0) for chat in chat_ids
    }


async def claim_due(
    session: AsyncSession,
    *,
    limit: int,
    busy_chats: Collection[int],
    known_top: Callable[[int], int] | None = None,
) -> list[Claimed]:
    """Due rows, at most one per chat and none for a busy chat, marked `sending`.

    Each claimed row's payload gets `probe_floor`: the highest message id known in its chat
    (from the outbox and from `known_top`), which the crash-time probe starts above.
    """
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .where(OutboxMessage.send_after <= clock.now())
        .order_by(OutboxMessage.send_after, OutboxMessage.id)
        .limit(limit)
    )
    if busy_chats:
        query = query.where(OutboxMessage.chat_id.not_in(list(busy_chats)))
    if dialect_of(session) == "postgresql":
        # Several bot processes may share the database: another one's claim is skipped, not
        # waited for, and a chat another process is sending to keeps its messages in order.
        sending = select(OutboxMessage.chat_id).where(OutboxMessage.status == OutboxStatus.SENDING)
        query = query.where(OutboxMessage.chat_id.not_in(sending)).with_for_update(skip_locked=True)
    rows = list(await session.scalars(query))
    chosen: list[OutboxMessage] = []
    seen: set[int] = set()
    for row in rows:
        if row.chat_id not in seen:
            seen.add(row.chat_id)
            chosen.append(row)
    refused = await _refused_at_send_time(session, chosen)
    if refused:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(refused))
            .values(status=OutboxStatus.CANCELLED, last_error="refused at send time")
        )
    return await mark_sending(session, [row for row in chosen if row.id not in refused], known_top)


async def mark_sending(
    session: AsyncSession,
    rows: Sequence[OutboxMessage],
    known_top: Callable[[int], int] | None = None,
) -> list[Claimed]:
    """These rows marked `sending`, each payload with its `probe_floor`: the highest message
    id known in its chat (from the outbox and from `known_top`), where a crash-time probe
    starts.

    Only rows still `pending` are taken (the status is checked again by the update itself):
    a row another process claimed meanwhile is left to it.
    """
    if not rows:
        return []
    taken = set(
        await session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([row.id for row in rows]))
            .where(OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.SENDING)
            .returning(OutboxMessage.id),
            execution_options={"synchronize_session": False},
        )
    )
    rows = [row for row in rows if row.id in taken]
    if not rows:
        return []
    floors = await probe_floors(session, {row.chat_id for row in rows}, known_top)
    result: list[Claimed] = []
    for row in rows:
        payload = {**row.payload, "probe_floor": floors[row.chat_id]}
        result.append(_claimed(row, payload, row.attempts + 1))
    await session.execute(
        update(OutboxMessage),
        [
            {
                "id": item.id,
                "status": OutboxStatus.SENDING,
                "attempts": item.attempts,
                "payload": item.payload,
            }
            for item in result
        ],
    )
    return result


async def _refused_at_send_time(session: AsyncSession, rows: Sequence[OutboxMessage]) -> set[int]:
    """Messages that no longer make sense (a reminder for a cancelled event or a withdrawal,
    a question after the event that is closed)."""
    reminders = {row.id: row.idempotency_key for row in rows if row.kind == REMINDER_KIND}
    surveys = {row.id: row.idempotency_key for row in rows if row.kind == SURVEY_KIND}
    refused = await stale_reminders(session, reminders) if reminders else set()
    return refused | (await stale_surveys(session, surveys) if surveys else set())


async def next_due(session: AsyncSession, busy_chats: Collection[int]) -> datetime | None:
    query = select(func.min(OutboxMessage.send_after)).where(
        OutboxMessage.status == OutboxStatus.PENDING
    )
    if busy_chats:
        query = query.where(OutboxMessage.chat_id.not_in(list(busy_chats)))
    return await session.scalar(query)


# ---------------------------------------------------------------- recording outcomes


async def mark_sent(session: AsyncSession, sent: Sequence[tuple[int, int]]) -> None:
    """(row id, Telegram message id) pairs, in one executemany: this is the hot path."""
    if not sent:
        return
    when = clock.now()
    await session.execute(
        update(OutboxMessage),
        [
            {
                "id": row_id,
                "status": OutboxStatus.SENT,
                "telegram_message_id": message_id,
                "sent_at": when,
                "last_error": None,
            }
            for row_id, message_id in sent
        ],
    )


async def mark_sent_if_unrecorded(session: AsyncSession, sent: Sequence[tuple[int, int]]) -> None:
    """Replay of the journal at start: rows Telegram accepted just before a crash."""
    for row_id, message_id in sent:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .where(OutboxMessage.status != OutboxStatus.SENT)
            .values(status=OutboxStatus.SENT, telegram_message_id=message_id, sent_at=clock.now())
        )


async def mark_retry(
    session: AsyncSession, row: Claimed, when: datetime, error: str, *, counted: bool = True
) -> None:
    """Back to `pending` at `when`; later parts of the same message wait as long, in order."""
    values: dict[str, Any] = {
        "status": OutboxStatus.PENDING,
        "send_after": when,
        "last_error": error[:500],
    }
    if not counted:
        values["attempts"] = OutboxMessage.attempts - 1
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values))
    base = row.key.split(PART_SEPARATOR, 1)[0]
    sibling_prefix = base.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .where(OutboxMessage.id > row.id)
        .where(OutboxMessage.idempotency_key.like(f"{sibling_prefix}{PART_SEPARATOR}%", "\\"))
        .where(OutboxMessage.send_after < when)
        .values(send_after=when)
    )


async def mark_final(session: AsyncSession, row_id: int, status: OutboxStatus, error: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status=status, last_error=error[:500])
    )


async def mark_unreachable(session: AsyncSession, row: Claimed, error: str) -> None:
    """The person blocked the bot (or never opened it): no retry, and staff can see it."""
    await mark_final(session, row.id, OutboxStatus.UNREACHABLE, error)
    condition = Person.chat_id == row.chat_id
    if row.person_id is not None:
        condition = or_(condition, Person.id == row.person_id)
    await session.execute(
        update(Person)
        .where(condition)
        .where(Person.unreachable_at.is_(None))
        .values(unreachable_at=clock.now())
    )


async def release(session: AsyncSession, row_ids: Collection[int]) -> None:
    """Claimed rows that were never handed to Telegram (shutdown): pending again, uncounted."""
    if row_ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(row_ids)))
            .where(OutboxMessage.status == OutboxStatus.SENDING)
            .values(status=OutboxStatus.PENDING, attempts=OutboxMessage.attempts - 1)
        )
