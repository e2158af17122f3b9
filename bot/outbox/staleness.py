"""Queued rows that no longer make sense at send time: reminders of a dropped registration.

Reminders are queued days ahead under the key `reminder:<registration id>:<offset minutes>:
<event start, epoch>`. Right before sending, the dispatcher's claim refuses those whose
registration is withdrawn (or gone) or whose event is cancelled, whichever path made the
change. The key format and that check live here, below the services: the reminders service
builds its keys with `reminder_key`, and the outbox never calls back into a service.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.events import Event, EventStatus, Registration, RegistrationStatus

REMINDER_KIND = "reminder"
STILL_EXPECTED = (RegistrationStatus.REGISTERED, RegistrationStatus.CONFIRMED)


def reminder_key(registration_id: int, offset_minutes: int, starts_at: datetime) -> str:
    return f"{REMINDER_KIND}:{registration_id}:{offset_minutes}:{int(starts_at.timestamp())}"


def registration_of(key: str) -> int | None:
    parts = key.split(":")
    return int(parts[1]) if len(parts) >= 3 and parts[1].isdigit() else None


async def stale_reminders(session: AsyncSession, keys_by_row: Mapping[int, str]) -> set[int]:
    """Rows (of `keys_by_row`) whose registration is withdrawn or whose event is cancelled."""
    wanted = {row_id: registration_of(key) for row_id, key in keys_by_row.items()}
    ids = {rid for rid in wanted.values() if rid is not None}
    rows = await session.execute(
        select(Registration.id, Registration.status, Event.status)
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.id.in_(ids))
    )
    still_due = {
        rid
        for rid, status, event_status in rows
        if status in STILL_EXPECTED and event_status != EventStatus.CANCELLED
    }
    return {row_id for row_id, rid in wanted.items() if rid not in still_due}
