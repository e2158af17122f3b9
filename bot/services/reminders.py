"""Reminders before an event (J-7, J-1, H-2 by default), stored as outbox rows so they survive
restarts, each with the one-tap attendance buttons.

Keys are `reminder:<registration id>:<offset minutes>:<event start, epoch>`: the same reminder
for the same date is never queued twice, and a moved event gets fresh ones. The outbox checks
them right before sending (`bot.outbox.staleness`, which owns the key format), so a withdrawal
or a cancellation that did not come through `cancel_reminders`/`event_changed` still stops
the message.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.callbacks import Attendance
from bot.dates import format_when
from bot.db.models.events import Event, EventStatus, Registration, RegistrationStatus, Site
from bot.db.models.outbox import OutboxMessage, OutboxStatus
from bot.db.models.people import Person
from bot.i18n import Translator
from bot.outbox.compose import Buttons
from bot.outbox.staleness import REMINDER_KIND, registration_of, reminder_key
from bot.outbox.store import cancel_pending, enqueue

ACTIVE_STATUSES = (RegistrationStatus.REGISTERED, RegistrationStatus.CONFIRMED)
MINUTES_PER_DAY = 24 * 60


def _how_soon(_: Translator, offset_minutes: int) -> str:
    if offset_minutes == MINUTES_PER_DAY:
        return _("It is tomorrow.")
    if offset_minutes > MINUTES_PER_DAY:
        days = round(offset_minutes / MINUTES_PER_DAY)
        return _.n("It is in {count} day.", "It is in {count} days.", days)
    if offset_minutes >= 60:
        hours = round(offset_minutes / 60)
        return _.n("It is in {count} hour.", "It is in {count} hours.", hours)
    return _.n("It is in {count} minute.", "It is in {count} minutes.", offset_minutes)


def reminder_text(
    _: Translator,
    event: Event,
    site: Site | None,
    remote: bool,
    offset_minutes: int,
    confirmed: bool = False,
) -> str:
    """The reminder; someone who already confirmed is not asked again, only expected."""
    lines = [
        _("Reminder: {event}", event=event.name),
        _how_soon(_, offset_minutes),
        "",
        _("When: {when}", when=format_when(event.starts_at, event.timezone, _.language)),
    ]
    if site is not None and (remote or site.remote):
        lines.append(_("Where: by video, {link}", link=site.video_url or site.name))
    elif site is not None:
        where = f"{site.name}, {site.address}" if site.address else site.name
        lines.append(_("Where: {place}", place=where))
    if confirmed:
        lines += ["", _("You confirmed you will come. See you there!")]
    else:
        lines += ["", _("Will you come? Please answer with a button.")]
    return "\n".join(lines)


def attendance_buttons(_: Translator, registration_id: int) -> Buttons:
    return [
        [(_.plain("I confirm I will come"), Attendance(registration_id, "yes").pack())],
        [(_.plain("I will not be able to come"), Attendance(registration_id, "no").pack())],
    ]


async def _site_for(session: AsyncSession, event: Event, registration: Registration) -> Site | None:
    if registration.site_id is not None:
        return await session.get(Site, registration.site_id)
    sites = list(await session.scalars(select(Site).where(Site.event_id == event.id)))
    return sites[0] if len(sites) == 1 else None


async def schedule_reminders(session: AsyncSession, event_id: int, registration_id: int) -> int:
    """Queue this registration's reminders still in the future; returns how many were added."""
    event = await session.get(Event, event_id)
    registration = await session.get(Registration, registration_id)
    if (
        event is None
        or registration is None
        or registration.event_id != event_id
        or event.status == EventStatus.CANCELLED
        or registration.status not in ACTIVE_STATUSES
    ):
        return 0
    person = await session.get(Person, registration.person_id)
    if person is None:
        return 0
    _ = Translator.for_language(person.language)
    site = await _site_for(session, event, registration)
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    now = clock.now()
    added = 0
    for offset in sorted(set(event.reminder_offsets_minutes or []), reverse=True):
        send_at = event.starts_at - timedelta(minutes=offset)
        if send_at <= now:
            continue
        added += await enqueue(
            session,
            key=reminder_key(registration.id, offset, event.starts_at),
            chat_id=person.chat_id,
            kind=REMINDER_KIND,
            text=reminder_text(_, event, site, registration.remote, offset, confirmed),
            person_id=person.id,
            event_id=event.id,
            buttons=None if confirmed else attendance_buttons(_, registration.id),
            send_after=send_at,
        )
    return added


async def reword_reminders(session: AsyncSession, registration_id: int) -> int:
    """Someone answered: their reminders not sent yet are written again for the answer
    (a confirmed person is no longer asked "Will you come?")."""
    registration = await session.get(Registration, registration_id)
    if registration is None:
        return 0
    await session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.kind == REMINDER_KIND)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .where(OutboxMessage.idempotency_key.like(f"{REMINDER_KIND}:{int(registration_id)}:%"))
    )
    return await schedule_reminders(session, registration.event_id, registration_id)


async def cancel_reminders(session: AsyncSession, registration_id: int) -> int:
    """Someone withdrew: their reminders not sent yet are cancelled."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.kind == REMINDER_KIND)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .where(OutboxMessage.idempotency_key.like(f"{REMINDER_KIND}:{int(registration_id)}:%"))
        .values(status=OutboxStatus.CANCELLED)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def event_changed(session: AsyncSession, event_id: int) -> int:
    """After an edit: cancelled → reminders cancelled; otherwise re-timed and re-worded.

    Only registrations that already had reminders get new ones (publication decides who).
    Returns the number of reminders now queued (or cancelled, for a cancelled event).
    """
    event = await session.get(Event, event_id)
    if event is None:
        return 0
    if event.status == EventStatus.CANCELLED:
        return await cancel_pending(session, event_id=event_id, kinds=[REMINDER_KIND])
    keys = await session.scalars(
        select(OutboxMessage.idempotency_key).where(
            OutboxMessage.kind == REMINDER_KIND, OutboxMessage.event_id == event_id
        )
    )
    registration_ids = {rid for key in keys if (rid := registration_of(key)) is not None}
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.kind == REMINDER_KIND,
            OutboxMessage.event_id == event_id,
            OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.CANCELLED]),
        )
    )
    queued = 0
    for registration_id in sorted(registration_ids):
        queued += await schedule_reminders(session, event_id, registration_id)
    return queued
