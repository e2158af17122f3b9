"""Attendance answers, withdrawals and the waiting list, and what staff see of them.

A withdrawal frees a seat: the next person on the waiting list (same site first) is offered
it until a deadline; a refusal or a silence moves the offer on. Staff hear of every change at
once, with a button to re-plan with as few changed convocations as possible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.callbacks import AttendanceEvent, OfferAnswer, PlanEvent
from bot.db.models.aftercare import MeetingAnswer, MeetingReport, Questionnaire
from bot.db.models.events import Event, Registration, RegistrationStatus
from bot.db.models.people import Person, Role
from bot.db.models.planning import OfferStatus, SeatOffer
from bot.db.models.planning import Plan as PlanRow
from bot.db.session import Database
from bot.i18n import N_, Translator
from bot.outbox import cancel_pending, enqueue
from bot.services.aftercare.schedule import cancel_for_registration
from bot.services.convocations import attendance_row, french_moment, preparation_text
from bot.services.reminders import cancel_reminders, reword_reminders

ACTIVE = (RegistrationStatus.REGISTERED, RegistrationStatus.CONFIRMED)
OFFER_HOURS = 24
OFFER_MINIMUM = timedelta(hours=1)
OFFER_CLOSES_BEFORE_START = timedelta(hours=3)
YES, NO = "yes", "no"
# "I cannot come" only asks; the seat is given away on SURE, kept on KEEP.
SURE, KEEP = "nosure", "keep"
MORE = "more"  # what to bring and prepare
ROLE_NAMES: dict[str, str] = {Role.CANDIDATE: N_("candidate"), Role.EMPLOYER: N_("employer")}


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    WITHDRAWN = "withdrawn"
    ALREADY_CONFIRMED = "already_confirmed"
    ALREADY_WITHDRAWN = "already_withdrawn"
    NOT_YOURS = "not_yours"
    UNKNOWN = "unknown"
    NOT_ACTIVE = "not_active"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ALREADY_ANSWERED = "already_answered"
    EXPIRED = "expired"
    ASK_WITHDRAWAL = "ask_withdrawal"
    KEPT = "kept"


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    event_name: str = ""


# -- helpers --------------------------------------------------------------------------------


async def _owned(
    session: AsyncSession, registration_id: int, telegram_id: int
) -> tuple[Registration, Person, Event] | Outcome:
    registration = await session.get(Registration, registration_id)
    if registration is None:
        return Outcome.UNKNOWN
    person = await session.get(Person, registration.person_id)
    if person is None or person.telegram_id != telegram_id:
        return Outcome.NOT_YOURS
    event = await session.get(Event, registration.event_id)
    assert event is not None
    return registration, person, event


async def preparation(database: Database, registration_id: int, telegram_id: int) -> str | None:
    """What the person should bring and prepare (their own registration only), translated."""
    async with database.session() as session:
        found = await _owned(session, registration_id, telegram_id)
        if isinstance(found, Outcome):
            return None
        registration, person, event = found
        _ = Translator.for_language(person.language)
        return preparation_text(_, event.what_to_bring, registration.role)


async def staff_chats(session: AsyncSession, staff_ids: list[int]) -> list[int]:
    """Configured staff ids (a private chat id is the user id) and people with the staff role."""
    chats = set(staff_ids)
    chats.update(await session.scalars(select(Person.chat_id).where(Person.role == Role.STAFF)))
    return sorted(chats)


def full_name(person: Person) -> str:
    return " ".join(part for part in (person.first_name, person.last_name) if part)


async def _has_published_plan(session: AsyncSession, event_id: int) -> bool:
    found = await session.scalar(
        select(PlanRow.id)
        .where(PlanRow.event_id == event_id, PlanRow.published_at.is_not(None))
        .limit(1)
    )
    return found is not None


async def _tell_staff(
    session: AsyncSession,
    staff_ids: list[int],
    event: Event,
    key: str,
    text_of: Callable[[Translator], str],
) -> None:
    published = await _has_published_plan(session, event.id)
    for chat_id in await staff_chats(session, staff_ids):
        _ = Translator.for_language("fr")
        buttons = [[(_.plain("Attendance"), AttendanceEvent("ev", event.id).pack())]]
        if published:
            replan = PlanEvent("replan", event.id).pack()
            buttons.insert(0, [(_.plain("Re-plan with few changes"), replan)])
        await enqueue(
            session,
            key=f"{key}:{chat_id}",
            chat_id=chat_id,
            kind="staff_notice",
            text=text_of(_),
            event_id=event.id,
            buttons=buttons,
        )


# -- attendance answers ---------------------------------------------------------------------


async def check_seat(
    database: Database, registration_id: int, telegram_id: int, outcome: Outcome
) -> Answer:
    """Read-only: `outcome` if the registration is the presser's and still active.

    Used to ask "are you sure?" before a withdrawal and for "No, I will come": nothing changes.
    """
    async with database.session() as session:
        found = await _owned(session, registration_id, telegram_id)
        if isinstance(found, Outcome):
            return Answer(found)
        registration, _person, event = found
        if registration.status == RegistrationStatus.WITHDRAWN:
            return Answer(Outcome.ALREADY_WITHDRAWN, event.name)
        if registration.status not in ACTIVE:
            return Answer(Outcome.NOT_ACTIVE, event.name)
        return Answer(outcome, event.name)


async def answer_attendance(
    database: Database, registration_id: int, telegram_id: int, coming: bool, staff_ids: list[int]
) -> Answer:
    """'I will come' confirms; 'I cannot come' withdraws and offers the seat to the next one."""
    async with database.session() as session:
        found = await _owned(session, registration_id, telegram_id)
        if isinstance(found, Outcome):
            return Answer(found)
        registration, person, event = found
        if registration.status == RegistrationStatus.WITHDRAWN:
            return Answer(Outcome.ALREADY_WITHDRAWN, event.name)
        if registration.status not in ACTIVE:
            return Answer(Outcome.NOT_ACTIVE, event.name)
        if coming:
            if registration.attendance_answer == YES:
                return Answer(Outcome.ALREADY_CONFIRMED, event.name)
            registration.attendance_answer = YES
            registration.attendance_answered_at = clock.now()
            registration.status = RegistrationStatus.CONFIRMED
            await session.flush()
            await reword_reminders(session, registration.id)
            return Answer(Outcome.CONFIRMED, event.name)
        registration.attendance_answer = NO
        registration.attendance_answered_at = clock.now()
        registration.status = RegistrationStatus.WITHDRAWN
        await session.flush()
        await cancel_reminders(session, registration.id)
        await cancel_for_registration(session, registration.id)
        await cancel_pending(session, event_id=event.id, person_id=person.id)
        offered = await offer_next(session, event, registration)
        name, role = full_name(person), registration.role

        def notice(_: Translator) -> str:
            text = _(
                "<b>Withdrawal</b>: {name} ({role}) will not come to {event}.",
                name=name,
                role=_(ROLE_NAMES.get(role, role)),
                event=event.name,
            )
            if offered is not None:
                text += "\n" + _("The seat is offered to {name} (waiting list).", name=offered)
            return text

        await _tell_staff(session, staff_ids, event, f"withdrawal:{registration.id}", notice)
        return Answer(Outcome.WITHDRAWN, event.name)


# -- the waiting list -----------------------------------------------------------------------


def offer_deadline(event: Event, moment: datetime) -> datetime:
    latest = event.starts_at - OFFER_CLOSES_BEFORE_START
    return max(moment + OFFER_MINIMUM, min(moment + timedelta(hours=OFFER_HOURS), latest))


def _rule_order(event: Event) -> list[Any]:
    """With the team's order (admission rule "staff"), its numbers first, unranked last."""
    if event.admission != "staff":
        return []
    return [case((Registration.priority.is_(None), 1), else_=0), Registration.priority]


async def offer_next(
    session: AsyncSession, event: Event, freed: Registration, freed_by: int | None = None
) -> str | None:
    """Offer the freed seat to the next waiting person of the same role, same site first."""
    already = select(SeatOffer.registration_id).where(SeatOffer.event_id == event.id)
    same_site = case((Registration.site_id == freed.site_id, 0), else_=1)
    registration = await session.scalar(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.role == freed.role,
            Registration.status == RegistrationStatus.WAITING,
            Registration.id.not_in(already),
        )
        .order_by(same_site, *_rule_order(event), Registration.created_at, Registration.id)
        .limit(1)
    )
    if registration is None:
        return None
    person = await session.get(Person, registration.person_id)
    assert person is not None
    deadline = offer_deadline(event, clock.now())
    offer = SeatOffer(
        event_id=event.id,
        registration_id=registration.id,
        freed_by_registration_id=freed_by if freed_by is not None else freed.id,
        status=OfferStatus.PENDING,
        expires_at=deadline,
    )
    session.add(offer)
    registration.offer_expires_at = deadline
    await session.flush()
    _ = Translator.for_language(person.language)
    text = _(
        "<b>A seat is free for {event}</b> ({moment}).\nDo you want it? Please answer before "
        "{deadline}. After that, the seat goes to the next person.",
        event=event.name,
        moment=french_moment(_, event.starts_at, event.timezone),
        deadline=french_moment(_, deadline, event.timezone),
    )
    await enqueue(
        session,
        key=f"seat-offer:{offer.id}",
        chat_id=person.chat_id,
        kind="seat_offer",
        text=text,
        person_id=person.id,
        event_id=event.id,
        buttons=[
            [
                (_.plain("I accept the seat"), OfferAnswer(offer.id, "yes").pack()),
                (_.plain("I decline"), OfferAnswer(offer.id, "no").pack()),
            ]
        ],
    )
    return full_name(person)


async def answer_offer(
    database: Database, offer_id: int, telegram_id: int, accept: bool, staff_ids: list[int]
) -> Answer:
    async with database.session() as session:
        offer = await session.get(SeatOffer, offer_id)
        if offer is None:
            return Answer(Outcome.UNKNOWN)
        found = await _owned(session, offer.registration_id, telegram_id)
        if isinstance(found, Outcome):
            return Answer(found)
        registration, person, event = found
        if offer.status == OfferStatus.EXPIRED:
            return Answer(Outcome.EXPIRED, event.name)
        if offer.status != OfferStatus.PENDING:
            return Answer(Outcome.ALREADY_ANSWERED, event.name)
        moment = clock.now()
        offer.answered_at = moment
        registration.offer_expires_at = None
        if offer.expires_at <= moment:
            offer.status = OfferStatus.EXPIRED
            await offer_next(session, event, registration, offer.freed_by_registration_id)
            return Answer(Outcome.EXPIRED, event.name)
        if not accept:
            offer.status = OfferStatus.DECLINED
            await offer_next(session, event, registration, offer.freed_by_registration_id)
            return Answer(Outcome.DECLINED, event.name)
        offer.status = OfferStatus.ACCEPTED
        registration.status = RegistrationStatus.REGISTERED
        name = full_name(person)

        def notice(_: Translator) -> str:
            return _(
                "<b>Seat taken</b>: {name} accepts the free seat for {event}. Re-plan to send "
                "the new convocations.",
                name=name,
                event=event.name,
            )

        await _tell_staff(session, staff_ids, event, f"seat-taken:{offer.id}", notice)
        return Answer(Outcome.ACCEPTED, event.name)


async def expire_offers(database: Database) -> int:
    """Offers past their deadline move on to the next person (run every minute)."""
    async with database.session() as session:
        offers = list(
            await session.scalars(
                select(SeatOffer).where(
                    SeatOffer.status == OfferStatus.PENDING, SeatOffer.expires_at <= clock.now()
                )
            )
        )
        for offer in offers:
            offer.status = OfferStatus.EXPIRED
            registration = await session.get(Registration, offer.registration_id)
            event = await session.get(Event, offer.event_id)
            if registration is None or event is None:
                continue
            registration.offer_expires_at = None
            await offer_next(session, event, registration, offer.freed_by_registration_id)
        return len(offers)


# -- what staff see -------------------------------------------------------------------------


@dataclass(frozen=True)
class PresenceRow:
    registration_id: int
    name: str
    role: str
    status: str
    answer: str | None
    unreachable: bool
    attended: bool | None


@dataclass(frozen=True)
class ReportedAbsence:
    """Someone said absent after a meeting ("did it happen?"), and who said it."""

    name: str
    reported_by: str
    self_reported: bool


@dataclass(frozen=True)
class Overview:
    event_id: int
    event_name: str
    rows: list[PresenceRow]
    reported: list[ReportedAbsence] = field(default_factory=list)

    def group(self, which: str) -> list[PresenceRow]:
        def kind(row: PresenceRow) -> str:
            if row.status == RegistrationStatus.WITHDRAWN:
                return "withdrawn"
            if row.status == RegistrationStatus.WAITING:
                return "waiting"
            if row.unreachable:
                return "unreachable"
            if row.answer == YES:
                return "confirmed"
            return "silent"

        return [row for row in self.rows if kind(row) == which]


async def overview(database: Database, event_id: int) -> Overview | None:
    async with database.session() as session:
        event = await session.get(Event, event_id)
        if event is None:
            return None
        rows = await session.execute(
            select(Registration, Person)
            .join(Person, Person.id == Registration.person_id)
            .where(
                Registration.event_id == event_id,
                Registration.role.in_([Role.CANDIDATE, Role.EMPLOYER]),
                Registration.status != RegistrationStatus.INELIGIBLE,
            )
            .order_by(Registration.role, Person.first_name, Registration.id)
        )
        return Overview(
            event.id,
            event.name,
            [
                PresenceRow(
                    reg.id,
                    full_name(person),
                    reg.role,
                    reg.status,
                    reg.attendance_answer,
                    person.unreachable_at is not None,
                    reg.attended,
                )
                for reg, person in rows
            ],
            await reported_absences(session, event_id),
        )


async def reported_absences(session: AsyncSession, event_id: int) -> list[ReportedAbsence]:
    """Everyone said absent after a meeting of the event, once per person and reporter."""
    rows = await session.execute(
        select(MeetingReport, Questionnaire)
        .join(Questionnaire, Questionnaire.id == MeetingReport.questionnaire_id)
        .where(
            MeetingReport.event_id == event_id,
            MeetingReport.answer.in_([MeetingAnswer.OTHER_ABSENT, MeetingAnswer.I_WAS_ABSENT]),
        )
        .order_by(MeetingReport.id)
    )
    seen: set[tuple[int, int]] = set()
    found: list[ReportedAbsence] = []
    for report, questionnaire in rows:
        reporter = await session.get(Person, questionnaire.person_id)
        if reporter is None:
            continue
        for person_id in report.absent_ids or []:
            absent = await session.get(Person, person_id)
            if absent is None or (person_id, reporter.id) in seen:
                continue
            seen.add((person_id, reporter.id))
            found.append(
                ReportedAbsence(full_name(absent), full_name(reporter), absent.id == reporter.id)
            )
    return found


async def remind_silent(database: Database, event_id: int) -> tuple[int, int]:
    """One reminder per silent person and day; returns (queued now, already reminded today)."""
    async with database.session() as session:
        event = await session.get(Event, event_id)
        if event is None:
            return 0, 0
        rows = await session.execute(
            select(Registration, Person)
            .join(Person, Person.id == Registration.person_id)
            .where(
                Registration.event_id == event_id,
                Registration.status == RegistrationStatus.REGISTERED,
                Registration.attendance_answer.is_(None),
                Person.unreachable_at.is_(None),
            )
        )
        queued = skipped = 0
        day = clock.now().strftime("%Y%m%d")
        for registration, person in rows:
            _ = Translator.for_language(person.language)
            text = _(
                "Reminder: please tell us if you will come to <b>{event}</b> ({moment}).",
                event=event.name,
                moment=french_moment(_, event.starts_at, event.timezone),
            )
            buttons = [attendance_row(_, registration.id)]
            added = await enqueue(
                session,
                key=f"attendance-reminder:{registration.id}:{day}",
                chat_id=person.chat_id,
                kind="attendance_reminder",
                text=text,
                person_id=person.id,
                event_id=event.id,
                buttons=buttons,
            )
            queued, skipped = (queued + 1, skipped) if added else (queued, skipped + 1)
        return queued, skipped


async def mark_attended(database: Database, registration_id: int, present: bool) -> int | None:
    """Record presence on the day; returns the event id (None if the registration is gone)."""
    async with database.session() as session:
        registration = await session.get(Registration, registration_id)
        if registration is None:
            return None
        registration.attended = present
        return registration.event_id
