"""Conversation steps and draft answers, stored as JSON rows read and written in the update's
transaction (see `bot.engine`).

Rows of `persisted_state`: namespace `conversation:<name>` with key `[chat_id, user_id]` holds
a conversation's step as `{"state": …, "update": <update id>}` (older releases stored the
bare state; both are read); namespace `user_data` with key `<user_id>` holds the person's
drafts (JSON-friendly values only). Nothing is kept in memory between updates, so a restart
or a second process sees exactly what is committed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.base import dialect_of, insert_for, table_of, utcnow
from bot.db.models import PersistedState
from bot.db.models.inbox import InboxStatus, InboxUpdate
from bot.db.session import current_unit

USER_DATA = "user_data"
CONVERSATION_PREFIX = "conversation:"


def conversation_key(chat_id: int, user_id: int) -> str:
    return json.dumps([chat_id, user_id])


@dataclass(frozen=True)
class Step:
    """Where a person stands in one conversation."""

    state: object
    update_id: int | None
    updated_at: datetime
    nudged: bool = False  # the person was gently reminded of it once


def _step(data: object, updated_at: datetime) -> Step:
    if isinstance(data, dict) and "state" in data:
        update_id = data.get("update")
        return Step(
            data["state"],
            update_id if isinstance(update_id, int) else None,
            updated_at,
            bool(data.get("nudged")),
        )
    return Step(data, None, updated_at)


_STATE = table_of(PersistedState)


_READ_PERSON = select(_STATE.c.namespace, _STATE.c.data, _STATE.c.updated_at).where(
    tuple_(_STATE.c.namespace, _STATE.c.key).in_(bindparam("rows", expanding=True))
)


async def load_person(
    session: AsyncSession, chat_id: int | None, user_id: int, conversations: Iterable[str]
) -> tuple[dict[str, Step], dict[str, Any]]:
    """Their step in each of `conversations` (by name), and their drafts: one query, by
    primary key, as every update needs both."""
    rows = [(USER_DATA, str(user_id))]
    if chat_id is not None:
        key = conversation_key(chat_id, user_id)
        rows += [(CONVERSATION_PREFIX + name, key) for name in conversations]
    steps: dict[str, Step] = {}
    drafts: dict[str, Any] = {}
    for namespace, data, updated_at in await session.execute(_READ_PERSON, {"rows": rows}):
        if namespace == USER_DATA:
            drafts = dict(data) if isinstance(data, dict) else {}
        else:
            steps[namespace.removeprefix(CONVERSATION_PREFIX)] = _step(data, updated_at)
    return steps, drafts


async def save_person(
    session: AsyncSession,
    chat_id: int | None,
    user_id: int,
    steps: Mapping[str, object | None],
    update_id: int | None,
    drafts: dict[str, Any] | None,
) -> None:
    """What one update changed for one person: its steps (by conversation name; None ends
    one) and, unless None, its drafts (empty: erased). Every update writes both, so they
    go together (`_write`)."""
    rows: list[tuple[str, str, object]] = []
    if chat_id is not None:
        key = conversation_key(chat_id, user_id)
        for name, state in steps.items():
            data = None if state is None else {"state": state, "update": update_id}
            rows.append((CONVERSATION_PREFIX + name, key, data))
    if drafts is not None:
        rows.append((USER_DATA, str(user_id), drafts or None))
    await _write(session, rows)


async def save_step(
    session: AsyncSession,
    name: str,
    chat_id: int,
    user_id: int,
    state: object | None,
    update_id: int | None,
    *,
    nudged: bool = False,
) -> None:
    """Set (or with None, end) a person's step in conversation `name`."""
    data: dict[str, object] = {"state": state, "update": update_id}
    if nudged:
        data["nudged"] = True
    key = conversation_key(chat_id, user_id)
    await _write(session, [(CONVERSATION_PREFIX + name, key, None if state is None else data)])


async def idle_steps(
    session: AsyncSession, name: str, before: datetime
) -> list[tuple[int, int, Step]]:
    """(chat id, user id, step) of conversations `name` untouched since `before`."""
    rows = await session.scalars(
        select(PersistedState)
        .where(PersistedState.namespace == CONVERSATION_PREFIX + name)
        .where(PersistedState.updated_at < before)
    )
    found: list[tuple[int, int, Step]] = []
    for row in rows:
        key = json.loads(row.key)
        if isinstance(key, list) and len(key) == 2:
            found.append((int(key[0]), int(key[1]), _step(row.data, row.updated_at)))
    return found


@cache
def _upsert(dialect: str) -> Any:
    statement = insert_for(dialect)(_STATE)
    return statement.on_conflict_do_update(
        index_elements=["namespace", "key"],
        set_={"data": statement.excluded.data, "updated_at": statement.excluded.updated_at},
    )


_ERASE = delete(_STATE).where(
    tuple_(_STATE.c.namespace, _STATE.c.key).in_(bindparam("rows", expanding=True))
)


async def _write(session: AsyncSession, rows: Sequence[tuple[str, str, object]]) -> None:
    """Write (or with None, erase) rows (namespace, key, data): upserts, so two processes
    writing the same row at once cannot collide on its key; one statement for the writes
    and one for the erasures, whatever their number. Rows are read as plain values
    (`load_person`), never as objects a session would keep a stale copy of."""
    now = utcnow()
    kept = [
        {"namespace": namespace, "key": key, "data": data, "updated_at": now}
        for namespace, key, data in rows
        if data is not None
    ]
    erased = [(namespace, key) for namespace, key, data in rows if data is None]
    if kept:
        await session.execute(_upsert(dialect_of(session)), kept)
    if erased:
        await session.execute(_ERASE, {"rows": erased})


async def forget_person(session: AsyncSession, user_id: int) -> None:
    """Erase a person's draft answers, open conversations and past updates (right to erasure).

    The update being handled is kept (so a second delivery is still recognised) but the
    engine empties it when it is marked done.
    """
    unit = current_unit()
    if unit is not None:
        unit.forgotten.add(user_id)
    await session.execute(
        delete(InboxUpdate)
        .where(InboxUpdate.user_id == user_id)
        .where(InboxUpdate.status != InboxStatus.NEW)
    )
    await session.execute(
        delete(PersistedState).where(
            or_(
                (PersistedState.namespace == USER_DATA) & (PersistedState.key == str(user_id)),
                PersistedState.namespace.like(CONVERSATION_PREFIX + "%")
                & (
                    (PersistedState.key == f"[{user_id}]")
                    | PersistedState.key.like(f"%, {user_id}]")
                ),
            )
        )
    )
