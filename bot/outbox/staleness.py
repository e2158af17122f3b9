"""Queued rows that no longer make sense at send time: reminders of a dropped registration,
questionnaires (after the event) that are closed, of a cancelled event or a withdrawal.

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
from sqlalchemy.orm import aliased

from bot.db.models.aftercare import Questionnaire, QuestionnaireStatus
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


# -- questionnaires after the event (`bot.services.aftercare.schedule`) ---------------------

SURVEY_KIND = "survey"


def survey_key(questionnaire_id: int, reminder: int) -> str:
    """`survey:<questionnaire id>:<0 for the question, 1 and 2 for the reminders>`."""
    return f"{SURVEY_KIND}:{questionnaire_id}:{reminder}"


def questionnaire_of(key: str) -> int | None:
    parts = key.split("#", 1)[0].split(":")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None


async def stale_surveys(session: AsyncSession, keys_by_row: Mapping[int, str]) -> set[int]:
    """Rows whose questionnaire is gone (erasure) or no longer open, whose event is
    cancelled, or whose registration (or that of the candidate it is about) is withdrawn:
    the question makes no sense any more."""
    wanted = {row_id: questionnaire_of(key) for row_id, key in keys_by_row.items()}
    ids = {qid for qid in wanted.values() if qid is not None}
    about = aliased(Registration)
    rows = await session.execute(
        select(
            Questionnaire.id,
            Questionnaire.status,
            Event.status,
            Registration.status,
            Questionnaire.about_id,
            about.status,
        )
        .join(Event, Event.id == Questionnaire.event_id)
        .outerjoin(Registration, Registration.id == Questionnaire.registration_id)
        .outerjoin(
            about,
            (about.event_id == Questionnaire.event_id)
            & (about.person_id == Questionnaire.about_id),
        )
        .where(Questionnaire.id.in_(ids))
    )
    still_open = {
        qid
        for qid, status, event_status, registration_status, about_id, about_status in rows
        if status == QuestionnaireStatus.OPEN
        and event_status != EventStatus.CANCELLED
        and registration_status in (None, *STILL_EXPECTED)
        and (about_id is None or about_status in STILL_EXPECTED)
    }
    return {row_id for row_id, qid in wanted.items() if qid not in still_open}
