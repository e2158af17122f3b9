"""The next edition of an event, the employers invited back, and the pairs who met before.

A series (a twice-yearly "Ose ton projet", weekly sessions) is a chain of events linked by
`Event.previous_id`. The next edition copies what staff set up once (sites, room format,
questions, what to bring, reminders and feedback settings) with a new date and fresh
invitation codes. Employers who came last time are asked through the outbox whether they
come again ("Je reviens" registers them with the same sites, one tap); those who answered
"Pas de suite" for every candidate last time are not pressed. The planner is given every
pair who met in the published plans of the earlier editions, so nobody meets the same
person twice (`matching` avoids it when a plan allows it and reports the rest).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import NewType

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot import clock
from bot.callbacks import EditionBack
from bot.dates import format_when
from bot.db.models.aftercare import EmployerFeedback
from bot.db.models.events import (
    EligibilityQuestion,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    Site,
)
from bot.db.models.outbox import OutboxMessage
from bot.db.models.people import Person, Role
from bot.db.session import Database
from bot.i18n import N_, Translator
from bot.outbox.store import enqueue
from bot.services.aftercare.series import earlier_editions, met_before_pairs
from bot.services.events import ChangeRefused, Problem, start_problems
from bot.services.invitations import unique_codes
from bot.services.reminders import schedule_reminders

log = logging.getLogger(__name__)

__all__ = [
    "BackAnswer",
    "EditionPreview",
    "EventId",
    "Invited",
    "answer_invitation",
    "create_next_edition",
    "earlier_editions",
    "invite_returning_employers",
    "met_before_pairs",
    "preview_next_edition",
]

EventId = NewType("EventId", int)
INVITE_KIND = "edition_invite"
NO_FOLLOW_UP = "none"  # `EmployerFeedback.next_step` of "Pas de suite"

INVITATION = N_(
    "Hello {name}! Thank you for coming to “{event}”. A new edition takes place on {when}. "
    "Will you come again, with the same sites?"
)


@dataclass(frozen=True)
class EditionPreview:
    """What staff read before confirming: the event copied and the new date."""

    event_id: int
    name: str
    starts_at: datetime
    timezone: str
    sites: int
    questions: int
    returning: int  # employers who came last time and will be invited
    left_out: int  # of those, "Pas de suite" for every candidate: not invited


@dataclass(frozen=True)
class Invited:
    invited: int  # invitations queued now (an employer already invited is not counted)
    left_out: int  # employers not invited: "Pas de suite" for every candidate met


class BackAnswer:
    """What became of an employer's "Je reviens" / "Pas cette fois"."""

    REGISTERED = "registered"
    ALREADY = "already"
    DECLINED = "declined"
    CLOSED = "closed"  # the new edition is cancelled, past or gone
    FULL = "full"  # the new edition already has its maximum of employers
    NOT_INVITED = "not_invited"  # a forged press: this person was not invited


async def _event(session: AsyncSession, event_id: int) -> Event | None:
    return await session.scalar(
        select(Event)
        .where(Event.id == event_id)
        .options(selectinload(Event.sites), selectinload(Event.questions))
    )


# -- creating the next edition --------------------------------------------------------------


async def _returning(session: AsyncSession, event_id: int) -> tuple[list[Registration], int]:
    """Employers who came to `event_id` (attended, or confirmed), and how many are left out.

    Left out: every card they wrote says "Pas de suite" (`next_step` "none").
    """
    registrations = list(
        await session.scalars(
            select(Registration)
            .where(Registration.event_id == event_id, Registration.role == Role.EMPLOYER)
            .order_by(Registration.id)
        )
    )
    came = [
        r
        for r in registrations
        if r.attended is True or (r.attended is None and r.status == RegistrationStatus.CONFIRMED)
    ]
    steps: dict[int, set[str | None]] = {}
    for employer_id, step in await session.execute(
        select(EmployerFeedback.employer_id, EmployerFeedback.next_step).where(
            EmployerFeedback.event_id == event_id
        )
    ):
        steps.setdefault(employer_id, set()).add(step)
    kept = [r for r in came if steps.get(r.person_id) != {NO_FOLLOW_UP}]
    return kept, len(came) - len(kept)


async def preview_next_edition(
    database: Database, event_id: int, starts_at: datetime
) -> EditionPreview:
    """What `create_next_edition` would make; raises `ChangeRefused` for a bad date."""
    async with database.session() as session:
        event = await _event(session, event_id)
        if event is None:
            raise LookupError(event_id)
        problems = start_problems(starts_at, clock.now())
        if problems:
            raise ChangeRefused(problems[0])
        kept, left_out = await _returning(session, event_id)
        return EditionPreview(
            event_id=event.id,
            name=event.name,
            starts_at=starts_at,
            timezone=event.timezone,
            sites=len(event.sites),
            questions=len(event.questions),
            returning=len(kept),
            left_out=left_out,
        )


async def create_next_edition(
    database: Database, event_id: int, starts_at: datetime, by_staff: int
) -> EventId:
    """A new event copying `event_id`'s set-up, on `starts_at`, with fresh invitation codes.

    `by_staff` is the Telegram id of the staff member. The sign-up deadline keeps its
    distance to the start (dropped if it would already be past). Raises `LookupError` for
    an unknown event and `ChangeRefused` for a date in the past or too far ahead.
    """
    now = clock.now()
    problems = start_problems(starts_at, now)
    if problems:
        raise ChangeRefused(problems[0])
    async with database.session() as session:
        old = await _event(session, event_id)
        if old is None:
            raise LookupError(event_id)
        if old.status == EventStatus.CANCELLED:
            raise ChangeRefused(Problem.CANCELLED)
        creator = await session.scalar(select(Person.id).where(Person.telegram_id == by_staff))
        candidate_code, employer_code = await unique_codes(session)
        deadline = None
        if old.registration_deadline is not None:
            shifted = starts_at - (old.starts_at - old.registration_deadline)
            deadline = shifted if now < shifted < starts_at else None
        event = Event(
            name=old.name,
            starts_at=starts_at,
            duration_minutes=old.duration_minutes,
            timezone=old.timezone,
            employers_per_room=old.employers_per_room,
            candidates_per_room=old.candidates_per_room,
            rounds=old.rounds,
            round_minutes=old.round_minutes,
            max_candidates=old.max_candidates,
            max_employers=old.max_employers,
            registration_deadline=deadline,
            status=EventStatus.OPEN,
            candidate_code=candidate_code,
            employer_code=employer_code,
            reminder_offsets_minutes=list(old.reminder_offsets_minutes or []),
            what_to_bring=old.what_to_bring,
            format_key=old.format_key,
            created_by=creator,
            feedback_delay_minutes=old.feedback_delay_minutes,
            feedback_review=old.feedback_review,
            follow_up_days=list(old.follow_up_days or []),
            previous_id=old.id,
            sites=[
                Site(
                    position=site.position,
                    name=site.name,
                    address=site.address,
                    rooms=site.rooms,
                    remote=site.remote,
                    video_url=site.video_url,
                )
                for site in old.sites
            ],
            questions=[
                EligibilityQuestion(
                    position=q.position, text=q.text, admitting_answer=q.admitting_answer
                )
                for q in old.questions
            ],
        )
        session.add(event)
        await session.flush()
        log.info("Event %s: next edition of %s, by %s", event.id, old.id, by_staff)
        return EventId(event.id)


# -- inviting employers back ----------------------------------------------------------------


def invite_key(event_id: int, person_id: int) -> str:
    return f"{INVITE_KIND}:{int(event_id)}:{int(person_id)}"


async def invite_returning_employers(database: Database, new_event_id: int) -> Invited:
    """Queue one invitation (one outbox row, unique key) per employer who came last time."""
    async with database.session() as session:
        event = await session.get(Event, new_event_id)
        if event is None or event.previous_id is None:
            raise LookupError(new_event_id)
        previous = await session.get(Event, event.previous_id)
        kept, left_out = await _returning(session, event.previous_id)
        invited = 0
        for registration in kept:
            person = await session.get(Person, registration.person_id)
            if person is None:
                continue
            _ = Translator.for_language(person.language)
            text = _(
                INVITATION,
                name=person.first_name,
                event=previous.name if previous else event.name,
                when=format_when(event.starts_at, event.timezone, _.language),
            )
            invited += await enqueue(
                session,
                key=invite_key(event.id, person.id),
                chat_id=person.chat_id,
                kind=INVITE_KIND,
                text=text,
                person_id=person.id,
                event_id=event.id,
                buttons=[
                    [(_.plain("I am coming back"), EditionBack("yes", event.id).pack())],
                    [(_.plain("Not this time"), EditionBack("no", event.id).pack())],
                ],
            )
        return Invited(invited, left_out)


async def answer_invitation(
    database: Database, telegram_id: int, event_id: int, coming: bool
) -> str:
    """An employer's press on the invitation: registers them again with the same choices.

    Only someone invited to this edition can answer (the outbox row is the proof); the
    registration copies last time's sites (matched by their position) and remote choice.
    """
    async with database.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        event = await _event(session, event_id)
        if person is None or event is None or event.previous_id is None:
            return BackAnswer.NOT_INVITED
        old = await session.scalar(
            select(Registration).where(
                Registration.event_id == event.previous_id,
                Registration.person_id == person.id,
                Registration.role == Role.EMPLOYER,
            )
        )
        invited = await session.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.idempotency_key == invite_key(event.id, person.id)
            )
        )
        if old is None or invited is None:
            return BackAnswer.NOT_INVITED
        if event.status == EventStatus.CANCELLED or event.starts_at <= clock.now():
            return BackAnswer.CLOSED
        current = await session.scalar(
            select(Registration).where(
                Registration.event_id == event.id, Registration.person_id == person.id
            )
        )
        active = (RegistrationStatus.REGISTERED, RegistrationStatus.CONFIRMED)
        if not coming:
            if current is not None and current.status in active:
                current.status = RegistrationStatus.WITHDRAWN
            return BackAnswer.DECLINED
        if current is not None and current.status in active:
            return BackAnswer.ALREADY
        if event.max_employers is not None:
            employers = await session.scalar(
                select(func.count()).where(
                    Registration.event_id == event.id,
                    Registration.role == Role.EMPLOYER,
                    Registration.status.in_(active),
                )
            )
            if (employers or 0) >= event.max_employers:
                return BackAnswer.FULL
        old_sites = await session.scalars(select(Site).where(Site.event_id == old.event_id))
        position = {site.id: site.position for site in old_sites}
        new_site = {site.position: site.id for site in event.sites}

        def mapped(site_id: int | None) -> int | None:
            return new_site.get(position.get(site_id, -1)) if site_id is not None else None

        accepted = [s for s in (mapped(i) for i in old.accepted_site_ids or []) if s]
        if current is None:
            current = Registration(event_id=event.id, person_id=person.id, role=Role.EMPLOYER)
            session.add(current)
        current.status = RegistrationStatus.REGISTERED
        current.site_id = mapped(old.site_id)
        current.accepted_site_ids = accepted
        current.remote = old.remote
        current.eligibility_answers = {}
        current.wishes = []
        current.attendance_answer = None
        current.attended = None
        await session.flush()
        await schedule_reminders(session, event.id, current.id)
        return BackAnswer.REGISTERED
