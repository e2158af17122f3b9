"""A series of events (`Event.previous_id`) and the pairs who met at its earlier editions.

Kept apart from `editions` on purpose: the planner's input (`plan_input`) reads the pairs,
and this module depends on the database models only, so no import cycle can form.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models.events import Event
from bot.db.models.planning import Plan as PlanRow

# How far back a series is followed (a guard against a cycle in `previous_id`).
MAX_EDITIONS = 100


async def earlier_editions(session: AsyncSession, event_id: int) -> list[int]:
    """The ids of the editions before `event_id`, most recent first (`previous_id` back)."""
    out: list[int] = []
    current = await session.scalar(select(Event.previous_id).where(Event.id == event_id))
    while current is not None and current not in out and current != event_id:
        out.append(current)
        if len(out) >= MAX_EDITIONS:
            break
        current = await session.scalar(select(Event.previous_id).where(Event.id == current))
    return out


def _pairs_of(plan: dict[str, Any]) -> set[tuple[str, str]]:
    """Candidate–employer pairs of a stored plan, and group mates of rooms without employers.

    Employers sharing a room are not counted: meeting a peer again is no loss for anyone,
    and counting it would make the planner trade candidates' new meetings for it.
    """
    pairs: set[tuple[str, str]] = set()
    for round_plan in plan.get("rounds", []):
        for room in round_plan.get("rooms", []):
            employers = [str(e) for e in room.get("employers", [])]
            candidates = [str(c) for c in room.get("candidates", [])]
            found = (
                [(c, e) for c in candidates for e in employers]
                if employers
                else list(combinations(candidates, 2))
            )
            pairs.update((a, b) if a < b else (b, a) for a, b in found)
    return pairs


async def met_before_pairs(session: AsyncSession, event_id: int) -> frozenset[tuple[str, str]]:
    """Engine keys of the pairs who met in the published plans of every earlier edition.

    People keep their engine key (`c<person id>`, `e<person id>`) from one edition to the
    next, so the pairs can be given to the engine as they are; the caller keeps those
    whose two people take part in the event planned. The last published plan of each
    edition counts (the convocations people actually received).
    """
    pairs: set[tuple[str, str]] = set()
    for edition in await earlier_editions(session, event_id):
        plan = await session.scalar(
            select(PlanRow.plan)
            .where(PlanRow.event_id == edition, PlanRow.published_at.is_not(None))
            .order_by(PlanRow.published_at.desc(), PlanRow.id.desc())
            .limit(1)
        )
        if isinstance(plan, dict):
            pairs |= _pairs_of(plan)
    return frozenset(pairs)
