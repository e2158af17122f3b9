"""Employers' cards reach candidates: at once, or after a staff member read them.

A card (`EmployerFeedback`) is written by an employer about one candidate met. When the
event asks for a review (`Event.feedback_review`), it waits (`WAITING`) until staff press
"Envoyer" (`SENT`) or "Ne pas envoyer" (`HELD`); staff may first retype its strength or tip.
Otherwise it goes to the candidate as soon as it is complete.

Delivery is one outbox row per card (`employer-card:<id>`): never twice, whatever presses or
restarts happen. It only says the strength, then the tip, with the employer's first name and
company and the name of the candidate's own coach, never the levels. It is never queued for
a cancelled event, a withdrawn registration or an erased person, and nothing of a card goes
to anyone but its candidate (staff see it while reviewing).

This module also gives the privacy service what is stored after an event about a person
(`aftercare_records`) and what erasure must clean beyond the cascades (`forget_aftercare`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from sqlalchemy import String, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.callbacks import ReviewOpen
from bot.db.models.aftercare import (
    CandidateFeedback,
    EmployerFeedback,
    MeetingReport,
    Outcome,
    Questionnaire,
    ReviewStatus,
)
from bot.db.models.events import Event, EventStatus, Registration, RegistrationStatus
from bot.db.models.outbox import OutboxMessage
from bot.db.models.people import EmployerProfile, Person
from bot.db.session import Database
from bot.i18n import N_, Translator
from bot.outbox import enqueue
from bot.outbox.staleness import SURVEY_KIND
from bot.services.attendance import full_name, staff_chats

CARD_KIND = "employer_card"
NOTICE_KIND = "review_notice"
THEMES = ("cv", "oral", "non_verbal", "soft_skills", "technical")
EditableField = Literal["strength", "tip"]
TEXT_LIMIT = 400

CARD_INTRO = N_("You met {employer} at “{event}”. Here is their message for you:")
CARD_STRENGTH = N_("💪 Your strength: {text}")
CARD_TIP = N_("💡 Their tip: {text}")
CARD_COACH = N_("Talk it over with {coach}, who supports you.")
CARD_NO_COACH = N_("Talk it over with your adviser.")
NOTICE = N_(
    "Employers' opinions about candidates are waiting for your review: “{event}”. "
    "Nothing reaches the candidates before you decide."
)
NOTICE_BUTTON = N_("Review the opinions")


def card_key(feedback_id: int) -> str:
    """The outbox key of a card's delivery: one per card, ever."""
    return f"employer-card:{feedback_id}"


# ---------------------------------------------------------------- plain values


@dataclass(frozen=True)
class CardView:
    """One card as staff review it."""

    feedback_id: int
    event_id: int
    event_name: str
    employer: str  # "Marie (Boulangerie du Lac)"
    candidate: str  # full name: staff know who it is about
    levels: dict[str, int | None]
    strength: str
    tip: str
    next_step: str | None
    review: str
    waiting: int  # cards of the event still waiting, this one included


@dataclass(frozen=True)
class WaitingEvent:
    event_id: int
    name: str
    starts_at: datetime
    count: int


class Decision(StrEnum):
    SENT = "sent"
    HELD = "held"
    EDITED = "edited"
    ALREADY_SENT = "already_sent"
    ALREADY_HELD = "already_held"
    UNDELIVERABLE = "undeliverable"  # withdrawn, cancelled or erased: kept back instead
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Reviewed:
    """What a staff decision did, and the event's next waiting card (None: all done)."""

    decision: Decision
    event_id: int | None = None
    card: CardView | None = None
    next_card: CardView | None = None


# ---------------------------------------------------------------- delivery


def employer_label(first_name: str, company: str | None) -> str:
    return f"{first_name} ({company})" if company else first_name


def card_text(
    _: Translator, *, employer: str, event: str, strength: str, tip: str, coach: str | None
) -> str:
    """The candidate's message: kind, short, strength before tip, then who to talk to."""
    lines = [_(CARD_INTRO, employer=employer, event=event)]
    if strength:
        lines.append(_(CARD_STRENGTH, text=strength))
    if tip:
        lines.append(_(CARD_TIP, text=tip))
    lines.append(_(CARD_COACH, coach=coach) if coach else _(CARD_NO_COACH))
    return "\n".join(lines)


async def _first_name(session: AsyncSession, person_id: int | None) -> str | None:
    if person_id is None:
        return None
    person = await session.get(Person, person_id)
    return person.first_name or None if person is not None else None


async def coach_of(
    session: AsyncSession, registration: Registration, candidate: Person, event: Event
) -> str | None:
    """The staff member who registered the candidate, else who recorded their consent, else
    the event's creator; None when none of them is still known."""
    for person_id in (registration.registered_by, candidate.consent_recorded_by, event.created_by):
        name = await _first_name(session, person_id)
        if name:
            return name
    return None


async def _deliverable(
    session: AsyncSession, feedback: EmployerFeedback
) -> tuple[Event, Person, Registration] | None:
    event = await session.get(Event, feedback.event_id)
    candidate = await session.get(Person, feedback.candidate_id)
    if event is None or candidate is None or event.status == EventStatus.CANCELLED:
        return None
    registration = await session.scalar(
        select(Registration).where(
            Registration.event_id == event.id, Registration.person_id == candidate.id
        )
    )
    if registration is None or registration.status == RegistrationStatus.WITHDRAWN:
        return None
    if not (feedback.strength.strip() or feedback.tip.strip()):
        return None
    return event, candidate, registration


async def _deliver(session: AsyncSession, feedback: EmployerFeedback) -> bool:
    """Queue the card for its candidate and mark it sent; False (nothing queued) if it must
    not go: cancelled event, withdrawn registration, erased person, nothing to say."""
    found = await _deliverable(session, feedback)
    if found is None:
        return False
    event, candidate, registration = found
    employer = await session.get(Person, feedback.employer_id)
    if employer is None:
        return False
    company = await session.scalar(
        select(EmployerProfile.company).where(EmployerProfile.person_id == employer.id)
    )
    _ = Translator.for_language(candidate.language)
    text = card_text(
        _,
        employer=employer_label(employer.first_name, company),
        event=event.name,
        strength=feedback.strength.strip(),
        tip=feedback.tip.strip(),
        coach=await coach_of(session, registration, candidate, event),
    )
    await enqueue(
        session,
        key=card_key(feedback.id),
        chat_id=candidate.chat_id,
        kind=CARD_KIND,
        text=text,
        person_id=candidate.id,
        event_id=event.id,
    )
    feedback.review = ReviewStatus.SENT
    feedback.delivered_at = clock.now()
    return True


async def _batch_anchor(session: AsyncSession, event_id: int, feedback_id: int) -> int:
    """The first card waiting since staff last reviewed one for this event: one notice per
    such batch, however many cards join it."""
    last_reviewed = await session.scalar(
        select(func.max(EmployerFeedback.id)).where(
            EmployerFeedback.event_id == event_id, EmployerFeedback.reviewed_by.is_not(None)
        )
    )
    first = await session.scalar(
        select(func.min(EmployerFeedback.id)).where(
            EmployerFeedback.event_id == event_id,
            EmployerFeedback.review == ReviewStatus.WAITING,
            EmployerFeedback.id > (last_reviewed or 0),
        )
    )
    return int(first) if first is not None else feedback_id


async def _notify_staff(
    session: AsyncSession, event: Event, feedback_id: int, staff_ids: Sequence[int]
) -> None:
    """Tell the event's creator (or every staff member when nobody created it) once a batch."""
    creator = await session.get(Person, event.created_by) if event.created_by else None
    chats = [creator.chat_id] if creator is not None else await staff_chats(session, [*staff_ids])
    anchor = await _batch_anchor(session, event.id, feedback_id)
    _ = Translator.for_language("fr")
    for chat_id in chats:
        await enqueue(
            session,
            key=f"review-notice:{event.id}:{anchor}:{chat_id}",
            chat_id=chat_id,
            kind=NOTICE_KIND,
            text=_(NOTICE, event=event.name),
            event_id=event.id,
            buttons=[[(_.plain(NOTICE_BUTTON), ReviewOpen(event.id).pack())]],
        )


async def card_completed(
    session: AsyncSession, feedback_id: int, staff_ids: Sequence[int] = ()
) -> None:
    """An employer finished a card: queue it for the candidate now (event without review)
    or leave it for staff to review. Called in the employer's unit of work."""
    feedback = await session.get(EmployerFeedback, feedback_id)
    if feedback is None or feedback.review != ReviewStatus.WAITING:
        return
    event = await session.get(Event, feedback.event_id)
    if event is None:
        return
    if not event.feedback_review:
        if not await _deliver(session, feedback):
            feedback.review = ReviewStatus.HELD
        return
    await session.flush()
    await _notify_staff(session, event, feedback.id, staff_ids)


# ---------------------------------------------------------------- staff review


async def waiting_events(database: Database) -> list[WaitingEvent]:
    """Events with cards waiting for review, soonest event first."""
    async with database.session() as session:
        rows = await session.execute(
            select(Event.id, Event.name, Event.starts_at, func.count(EmployerFeedback.id))
            .join(EmployerFeedback, EmployerFeedback.event_id == Event.id)
            .where(EmployerFeedback.review == ReviewStatus.WAITING)
            .group_by(Event.id, Event.name, Event.starts_at)
            .order_by(Event.starts_at, Event.id)
        )
        return [WaitingEvent(int(i), name, starts, int(n)) for i, name, starts, n in rows]


async def _view(session: AsyncSession, feedback: EmployerFeedback) -> CardView:
    event = await session.get(Event, feedback.event_id)
    employer = await session.get(Person, feedback.employer_id)
    candidate = await session.get(Person, feedback.candidate_id)
    company = await session.scalar(
        select(EmployerProfile.company).where(EmployerProfile.person_id == feedback.employer_id)
    )
    waiting = await session.scalar(
        select(func.count(EmployerFeedback.id)).where(
            EmployerFeedback.event_id == feedback.event_id,
            EmployerFeedback.review == ReviewStatus.WAITING,
        )
    )
    return CardView(
        feedback_id=feedback.id,
        event_id=feedback.event_id,
        event_name=event.name if event else "",
        employer=employer_label(employer.first_name if employer else "?", company),
        candidate=full_name(candidate) if candidate else "?",
        levels={theme: getattr(feedback, theme) for theme in THEMES},
        strength=feedback.strength,
        tip=feedback.tip,
        next_step=feedback.next_step,
        review=feedback.review,
        waiting=int(waiting or 0),
    )


async def _next(session: AsyncSession, event_id: int) -> CardView | None:
    feedback = await session.scalar(
        select(EmployerFeedback)
        .where(
            EmployerFeedback.event_id == event_id,
            EmployerFeedback.review == ReviewStatus.WAITING,
        )
        .order_by(EmployerFeedback.id)
        .limit(1)
    )
    return await _view(session, feedback) if feedback is not None else None


async def next_card(database: Database, event_id: int) -> CardView | None:
    """The event's oldest card waiting for review, or None when there is none left."""
    async with database.session() as session:
        return await _next(session, event_id)


async def card(database: Database, feedback_id: int) -> CardView | None:
    async with database.session() as session:
        feedback = await session.get(EmployerFeedback, feedback_id)
        return await _view(session, feedback) if feedback is not None else None


async def _staff_person_id(session: AsyncSession, telegram_id: int) -> int:
    """Who reviewed: their person id, or 0 for a configured staff id never seen in a chat
    (the column only needs "reviewed", and 0 is nobody's id)."""
    person_id = await session.scalar(select(Person.id).where(Person.telegram_id == telegram_id))
    return int(person_id) if person_id is not None else 0


def _already(feedback: EmployerFeedback) -> Decision:
    return Decision.ALREADY_SENT if feedback.review == ReviewStatus.SENT else Decision.ALREADY_HELD


async def decide(database: Database, feedback_id: int, send: bool, telegram_id: int) -> Reviewed:
    """ "Envoyer" or "Ne pas envoyer" on a waiting card; a second press changes nothing."""
    async with database.session() as session:
        feedback = await session.get(EmployerFeedback, feedback_id)
        if feedback is None:
            return Reviewed(Decision.UNKNOWN)
        if feedback.review != ReviewStatus.WAITING:
            return Reviewed(_already(feedback), feedback.event_id)
        feedback.reviewed_by = await _staff_person_id(session, telegram_id)
        if send and await _deliver(session, feedback):
            decision = Decision.SENT
        else:
            feedback.review = ReviewStatus.HELD
            decision = Decision.UNDELIVERABLE if send else Decision.HELD
        await session.flush()
        following = await _next(session, feedback.event_id)
        return Reviewed(decision, feedback.event_id, next_card=following)


async def edit_card(
    database: Database, feedback_id: int, field_name: EditableField, text: str, telegram_id: int
) -> Reviewed:
    """Staff retype the strength or the tip of a waiting card; the candidate will get it."""
    async with database.session() as session:
        feedback = await session.get(EmployerFeedback, feedback_id)
        if feedback is None:
            return Reviewed(Decision.UNKNOWN)
        if feedback.review != ReviewStatus.WAITING:
            return Reviewed(_already(feedback), feedback.event_id)
        setattr(feedback, field_name, text.strip()[:TEXT_LIMIT])
        await session.flush()
        return Reviewed(Decision.EDITED, feedback.event_id, card=await _view(session, feedback))


async def review_setting(database: Database, event_id: int) -> tuple[str, bool] | None:
    """The event's name and whether its cards are reviewed first (None: no such event)."""
    async with database.session() as session:
        event = await session.get(Event, event_id)
        return (event.name, event.feedback_review) if event is not None else None


async def set_review(database: Database, event_id: int, review: bool) -> tuple[str, bool] | None:
    """Review cards first, or send them as soon as they are written (cards already waiting
    still wait for staff)."""
    async with database.session() as session:
        event = await session.get(Event, event_id)
        if event is None:
            return None
        event.feedback_review = review
        return event.name, review


# ---------------------------------------------------------------- privacy


@dataclass(frozen=True)
class QuestionnaireRecord:
    kind: str
    event_name: str
    sent_at: datetime
    status: str
    answered_at: datetime | None
    meeting: str | None = None
    rating: int | None = None
    helped: list[str] = field(default_factory=list)
    comment: str | None = None
    about: str | None = None  # an employer's questionnaire: the candidate's first name


@dataclass(frozen=True)
class OutcomeRecord:
    event_name: str
    offset_days: int
    situation: str
    start_date: date | None
    contract: str | None
    duration: str | None
    from_event: str | None
    matches_wishes: str | None
    by_staff: bool


@dataclass(frozen=True)
class CardRecord:
    """A card: as the candidate received it, or as the employer wrote it."""

    event_name: str
    employer: str
    candidate: str
    levels: dict[str, int | None]
    strength: str
    tip: str
    next_step: str | None
    review: str
    delivered_at: datetime | None


@dataclass(frozen=True)
class AftercareRecords:
    """What is stored about a person after events (the `/mesdonnees` copy)."""

    questionnaires: list[QuestionnaireRecord] = field(default_factory=list)
    outcomes: list[OutcomeRecord] = field(default_factory=list)
    cards_received: list[CardRecord] = field(default_factory=list)
    cards_written: list[CardRecord] = field(default_factory=list)


async def _event_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(Event.id, Event.name).where(Event.id.in_(ids)))
    return {int(event_id): name for event_id, name in rows}


async def _card_records(
    session: AsyncSession, cards: list[EmployerFeedback], names: dict[int, str]
) -> list[CardRecord]:
    records = []
    for item in cards:
        employer = await session.get(Person, item.employer_id)
        candidate = await session.get(Person, item.candidate_id)
        company = await session.scalar(
            select(EmployerProfile.company).where(EmployerProfile.person_id == item.employer_id)
        )
        records.append(
            CardRecord(
                event_name=names.get(item.event_id, ""),
                employer=employer_label(employer.first_name if employer else "?", company),
                candidate=candidate.first_name if candidate else "?",
                levels={theme: getattr(item, theme) for theme in THEMES},
                strength=item.strength,
                tip=item.tip,
                next_step=item.next_step,
                review=item.review,
                delivered_at=item.delivered_at,
            )
        )
    return records


async def aftercare_records(session: AsyncSession, person_id: int) -> AftercareRecords:
    """The person's questionnaires and answers, outcomes, and cards (received once sent, or
    written), for their copy of their data."""
    questionnaires = list(
        await session.scalars(
            select(Questionnaire)
            .where(Questionnaire.person_id == person_id)
            .order_by(Questionnaire.sent_at, Questionnaire.id)
        )
    )
    ids = [q.id for q in questionnaires]
    reports = {
        r.questionnaire_id: r
        for r in await session.scalars(
            select(MeetingReport).where(MeetingReport.questionnaire_id.in_(ids))
        )
    }
    opinions = {
        f.questionnaire_id: f
        for f in await session.scalars(
            select(CandidateFeedback).where(CandidateFeedback.questionnaire_id.in_(ids))
        )
    }
    outcomes = list(
        await session.scalars(
            select(Outcome).where(Outcome.person_id == person_id).order_by(Outcome.created_at)
        )
    )
    received = list(
        await session.scalars(
            select(EmployerFeedback)
            .where(
                EmployerFeedback.candidate_id == person_id,
                EmployerFeedback.review == ReviewStatus.SENT,
            )
            .order_by(EmployerFeedback.id)
        )
    )
    written = list(
        await session.scalars(
            select(EmployerFeedback)
            .where(EmployerFeedback.employer_id == person_id)
            .order_by(EmployerFeedback.id)
        )
    )
    about_ids = {q.about_id for q in questionnaires if q.about_id is not None}
    first_names: dict[int, str] = {}
    if about_ids:
        rows = await session.execute(
            select(Person.id, Person.first_name).where(Person.id.in_(about_ids))
        )
        first_names = {int(person_id): name for person_id, name in rows}
    names = await _event_names(
        session,
        {q.event_id for q in questionnaires}
        | {o.event_id for o in outcomes}
        | {c.event_id for c in received + written},
    )
    return AftercareRecords(
        questionnaires=[
            QuestionnaireRecord(
                kind=q.kind,
                event_name=names.get(q.event_id, ""),
                sent_at=q.sent_at,
                status=q.status,
                answered_at=q.answered_at,
                meeting=reports[q.id].answer if q.id in reports else None,
                rating=opinions[q.id].rating if q.id in opinions else None,
                helped=list(opinions[q.id].helped or []) if q.id in opinions else [],
                comment=opinions[q.id].comment if q.id in opinions else None,
                about=first_names.get(q.about_id) if q.about_id is not None else None,
            )
            for q in questionnaires
        ],
        outcomes=[
            OutcomeRecord(
                event_name=names.get(o.event_id, ""),
                offset_days=o.offset_days,
                situation=o.situation,
                start_date=o.start_date,
                contract=o.contract,
                duration=o.duration,
                from_event=o.from_event,
                matches_wishes=o.matches_wishes,
                by_staff=o.by_staff,
            )
            for o in outcomes
        ],
        cards_received=await _card_records(session, received, names),
        cards_written=await _card_records(session, written, names),
    )


async def forget_aftercare(session: AsyncSession, person_id: int) -> None:
    """Before a person is erased: what the foreign-key cascades do not reach.

    The cascades remove their questionnaires, answers, outcomes and every card by or about
    them. Left to clean here: the deliveries of cards they wrote (queued or sent to
    candidates, they hold their name and company), the first questions sent to employers
    about them (they hold their first name), their id in others' reports of absence, and
    their id as the staff member who reviewed a card or recorded an outcome.
    """
    written = list(
        await session.scalars(
            select(EmployerFeedback.id).where(EmployerFeedback.employer_id == person_id)
        )
    )
    for feedback_id in written:  # a long message is several rows: `<key>`, `<key>#2`…
        key = card_key(feedback_id)
        await session.execute(
            delete(OutboxMessage).where(
                or_(
                    OutboxMessage.idempotency_key == key,
                    OutboxMessage.idempotency_key.like(key + "#%"),
                )
            )
        )
    about = list(
        await session.scalars(select(Questionnaire.id).where(Questionnaire.about_id == person_id))
    )
    for questionnaire_id in about:  # `survey:<id>:<n>` (`bot.outbox.staleness`)
        await session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.idempotency_key.like(f"{SURVEY_KIND}:{questionnaire_id}:%")
            )
        )
    reports = list(
        await session.scalars(
            select(MeetingReport).where(
                cast(MeetingReport.absent_ids, String).like(f"%{person_id}%")
            )
        )
    )
    for report in reports:
        if person_id in (report.absent_ids or []):
            report.absent_ids = [item for item in report.absent_ids if item != person_id]
    await session.execute(
        update(EmployerFeedback)
        .where(EmployerFeedback.reviewed_by == person_id)
        .values(reviewed_by=0)
    )
    await session.execute(
        update(Outcome).where(Outcome.recorded_by == person_id).values(recorded_by=None)
    )
