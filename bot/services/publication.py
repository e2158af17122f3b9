"""Publishing a plan: the convocations it causes, queued through the outbox.

Publishing marks the row once (a conditional update) and queues, in the same transaction,
each changed person's convocation, calendar file, portrait cards and reminders, so a double
press or a crash never sends anything twice. Compared with the previously published plan,
a person whose seats did not change gets nothing new.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.db.models.people import Person, Role
from bot.db.models.planning import Plan as PlanRow
from bot.db.session import Database
from bot.i18n import Translator
from bot.outbox import enqueue
from bot.portrait import PortraitCard, render_card
from bot.services import admission
from bot.services import convocations as conv
from bot.services.plan_input import (
    ACTIVE,
    Participants,
    PlanningError,
    event_info,
    load_participants,
    person_infos,
)
from bot.services.plan_store import latest_published_row, stored_plan
from bot.services.reminders import schedule_reminders
from matching import Plan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Publication:
    plan_id: int
    event_id: int
    first: bool
    convocations: int
    waiting: int
    unchanged: int


async def publish(database: Database, plan_id: int, telegram_id: int) -> Publication:
    """Mark the plan published once and queue each changed person's convocation with it."""
    cards = await _portrait_cards(database, plan_id)
    async with database.session() as session:
        row = await session.get(PlanRow, plan_id)
        if row is None:
            raise PlanningError("unknown_plan")
        newer = await session.scalar(
            select(func.count()).where(
                PlanRow.event_id == row.event_id,
                PlanRow.version > row.version,
                PlanRow.published_at.is_not(None),
            )
        )
        if newer:
            raise PlanningError("stale_plan")
        marked = await session.execute(
            update(PlanRow)
            .where(PlanRow.id == plan_id, PlanRow.published_at.is_(None))
            .values(published_at=clock.now())
        )
        if marked.rowcount != 1:  # type: ignore[attr-defined]
            raise PlanningError("already_published")
        previous = await latest_published_row(session, row.event_id, before_version=row.version)
        participants = await load_participants(session, row.event_id)
        return await _queue_convocations(session, row, previous, participants, cards)


async def _portrait_cards(database: Database, plan_id: int) -> dict[str, bytes]:
    """Candidates' cards (only those who agreed to share), drawn before the write transaction."""
    async with database.session() as session:
        row = await session.get(PlanRow, plan_id)
        if row is None:
            return {}
        participants = await load_participants(session, row.event_id)
        seated = conv.seated_in(stored_plan(row))
    cards: dict[str, bytes] = {}
    for key, (reg, person) in participants.by_key().items():
        profile = person.candidate_profile
        if reg.role != Role.CANDIDATE or key not in seated or profile is None:
            continue
        if not profile.share_card:
            continue
        card = PortraitCard(
            kind="candidate",
            first_name=person.first_name,
            target_job=profile.target_job,
            strengths=tuple(profile.strengths),
            qualities=tuple(profile.qualities),
            sectors=tuple(conv.sector_labels(tuple(profile.sectors), person.language)),
            photo=profile.photo,
            language=person.language,
        )
        try:
            cards[key] = await asyncio.to_thread(render_card, card)
        except Exception:  # a broken photo must not stop the convocations
            log.exception("Portrait card of %s could not be drawn", key)
    return cards


async def _queue_convocations(
    session: AsyncSession,
    row: PlanRow,
    previous: PlanRow | None,
    participants: Participants,
    cards: dict[str, bytes],
) -> Publication:
    event = event_info(participants.event)
    infos = person_infos(participants)
    creator_id = participants.event.created_by
    creator = await session.get(Person, creator_id) if creator_id else None
    contact = conv.coordinator_contact(creator.first_name, creator.username) if creator else None
    by_key = participants.by_key()
    new_plan = stored_plan(row)
    old_plan = stored_plan(previous) if previous is not None else Plan(rounds=[])
    counts = {"convocations": 0, "waiting": 0, "unchanged": 0}
    rule = admission.as_rule(participants.event.admission)
    inactive = {key for key, (reg, _person) in by_key.items() if reg.status not in ACTIVE}
    places = admission.waiting_places(new_plan, inactive)
    for key in sorted(conv.people_in(new_plan) | conv.people_in(old_plan)):
        if key not in by_key:
            continue
        reg, person = by_key[key]
        if reg.status not in ACTIVE:
            continue
        before, after = conv.seats_of(old_plan, key), conv.seats_of(new_plan, key)
        if previous is not None and conv.signature(before) == conv.signature(after):
            was_waiting = key in conv.people_in(old_plan)
            if after or was_waiting:
                counts["unchanged"] += 1
                continue
        _ = Translator.for_language(person.language)
        base = f"convocation:{row.id}:{person.id}"
        send = functools.partial(
            enqueue, session, chat_id=person.chat_id, person_id=person.id, event_id=event.id
        )
        if not after:
            await send(
                key=base,
                kind="waiting_list",
                text=conv.waiting_text(
                    _,
                    event,
                    had_seat=bool(before),
                    place=places.get(key),
                    rule=admission.RULE_EXPLAINED[rule] if reg.role == Role.CANDIDATE else None,
                ),
            )
            counts["waiting"] += 1
            continue
        # A first seat (new, or from the waiting list) is a plain convocation.
        changes = conv.describe_changes(_, event, before, after, infos) if before else None
        text = conv.convocation_text(_, event, infos[key], after, infos, changes)
        buttons = [conv.attendance_row(_, reg.id), conv.more_row(_, reg.id)]
        await send(key=base, kind="convocation", text=text, buttons=buttons)
        ics = conv.calendar_file(
            _,
            event,
            infos[key],
            after,
            sequence=row.version,
            stamp=clock.now(),
            people=infos,
            contact=contact,
        )
        await send(
            key=f"{base}:ics",
            kind="convocation_ics",
            text=_("Add this meeting to your calendar."),
            document=(f"convocation-{event.id}.ics", ics),
        )
        if reg.role == Role.EMPLOYER:
            for candidate in sorted({c for seat in after for c in seat.candidates}):
                if candidate in cards and candidate in infos:
                    await send(
                        key=f"{base}:card:{candidate}",
                        kind="portrait_card",
                        text=_(
                            "Portrait card {of_name}", of_name=_.of(infos[candidate].first_name)
                        ),
                        photo=cards[candidate],
                    )
        await schedule_reminders(session, event.id, reg.id)
        counts["convocations"] += 1
    return Publication(row.id, row.event_id, previous is None, **counts)
