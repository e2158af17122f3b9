"""Retention: personal data is erased `retention_months` after a person's last event.

A person's last activity is the latest of their sign-up, their consent and the start of
their last event. A month before the deadline they get one message (an outbox row keyed by
person and deadline: once per deadline; a new event moves the deadline and a later notice
comes with it). Erasure comes at the deadline, and never less than a month after that
notice, through `privacy.erase_person`, which keeps the anonymous monthly counts. The
organising team is left out: staff data is not erased this way.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel.dates import format_date
from sqlalchemy import func, select

from bot import clock
from bot.db.models.events import Event, Registration
from bot.db.models.outbox import OutboxMessage
from bot.db.models.people import Person, Role
from bot.db.session import Database
from bot.i18n import Translator
from bot.outbox.store import enqueue
from bot.services.privacy import erase_person

NOTICE_AHEAD = timedelta(days=30)
KIND = "retention"


@dataclass(frozen=True)
class RetentionRun:
    """What one run did: notices queued, people erased."""

    noticed: int = 0
    erased: int = 0


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (the month's last day when it is shorter)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def notice_key(person_id: int, deadline: datetime) -> str:
    return f"{KIND}:{person_id}:{deadline.date().isoformat()}"


def notice_text(_: Translator, name: str, months: int, deadline: datetime) -> str:
    return "\n".join(
        [
            _("Hello {name},", name=name),
            _(
                "Your last event with Passerelle was almost {months} months ago. "
                "As promised, we will erase your data on {date}.",
                months=months,
                date=format_date(deadline, "d MMMM y", locale=_.language),
            ),
            _("You have nothing to do. To get a copy first, type /mesdonnees."),
            _("If you sign up for a new event, your data is kept."),
        ]
    )


async def apply_retention(
    database: Database, months: int, staff_ids: list[int], *, now: datetime | None = None
) -> RetentionRun:
    """Queue the notices that are due, then erase the people whose time has come."""
    now = now or clock.now()
    last_event = func.max(Event.starts_at).label("last_event")
    noticed, due = 0, []
    async with database.session() as session:
        rows = (
            await session.execute(
                select(Person, last_event)
                .outerjoin(Registration, Registration.person_id == Person.id)
                .outerjoin(Event, Event.id == Registration.event_id)
                .where(
                    (Person.role.is_(None)) | (Person.role != Role.STAFF),
                    Person.telegram_id.not_in(staff_ids),
                )
                .group_by(Person.id)
            )
        ).all()
        for person, last in rows:
            moments = [m for m in (person.created_at, person.consent_at, last) if m is not None]
            deadline = add_months(max(moments), months)
            if now < deadline - NOTICE_AHEAD:
                continue
            key = notice_key(person.id, deadline)
            told_at = await session.scalar(
                select(OutboxMessage.send_after).where(OutboxMessage.idempotency_key == key)
            )
            if told_at is None:
                _ = Translator.for_language(person.language)
                await enqueue(
                    session,
                    key=key,
                    chat_id=person.chat_id,
                    person_id=person.id,
                    kind=KIND,
                    text=notice_text(_, person.first_name, months, deadline),
                    send_after=now,
                )
                noticed += 1
            elif now >= max(deadline, told_at + NOTICE_AHEAD):
                due.append(person.telegram_id)
    for telegram_id in due:
        await erase_person(database, telegram_id)
    return RetentionRun(noticed=noticed, erased=len(due))
