"""Plans as stored rows: solve, re-plan, adjust by hand, and read them back for staff.

Every change makes a new version (a draft until published), so staff can always see what
was sent and a stale button names a version that is no longer the latest. The engine's JSON
is turned into `matching.Plan` here, once, when a row is read (`stored_plan`); the services
above only ever handle `Plan` objects.
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import matching
from bot.db.models.events import Site
from bot.db.models.people import Person
from bot.db.models.planning import Plan as PlanRow
from bot.db.models.planning import PlanSource
from bot.db.session import Database
from bot.i18n import N_, Translator
from bot.services import convocations as conv
from bot.services.plan_input import (
    PlanningError,
    engine_instance,
    engine_names,
    event_info,
    instance_dict,
    load_participants,
    readable,
    site_key,
)
from matching import Instance, Plan, check_plan
from matching.model import Room, Waiting

SOLVE_SECONDS = 10.0
REMOVED_BY_STAFF = N_("Removed by hand by the organising team.")


@dataclass
class PlanView:
    """A stored plan with what staff need to read it: names, sites, the engine objects."""

    id: int
    event_id: int
    event_name: str
    version: int
    seed: int
    source: str
    published_at: datetime | None
    is_latest: bool
    instance: Instance
    plan: Plan
    names: dict[str, str]
    site_names: dict[str, str]
    event: conv.EventInfo
    changed: list[str] = field(default_factory=list)

    def name(self, key: str) -> str:
        return self.names.get(key, key)

    def readable(self, problem: str) -> str:
        """An engine sentence with ids replaced by first names and site names."""
        return readable(problem, {**self.names, **self.site_names})


# -- rows -----------------------------------------------------------------------------------


def stored_plan(row: PlanRow) -> Plan:
    """The row's engine JSON as a `matching.Plan`: the one place plans are parsed."""
    return Plan.from_dict(row.plan)


async def _next_version(session: AsyncSession, event_id: int) -> int:
    latest = await session.scalar(
        select(func.max(PlanRow.version)).where(PlanRow.event_id == event_id)
    )
    return (latest or 0) + 1


async def store_plan(
    session: AsyncSession,
    event_id: int,
    instance: dict[str, Any],
    plan: Plan,
    *,
    seed: int,
    source: PlanSource,
    by: int | None,
) -> PlanRow:
    """A new version of the event's plan, as a draft."""
    row = PlanRow(
        event_id=event_id,
        version=await _next_version(session, event_id),
        instance=instance,
        plan=plan.to_dict(),
        score=float(plan.score),
        seed=seed,
        source=source,
        created_by=by,
    )
    session.add(row)
    await session.flush()
    return row


async def staff_person_id(session: AsyncSession, telegram_id: int) -> int | None:
    return await session.scalar(select(Person.id).where(Person.telegram_id == telegram_id))


async def plan_view(session: AsyncSession, row: PlanRow) -> PlanView:
    participants = await load_participants(session, row.event_id)
    latest = await session.scalar(
        select(func.max(PlanRow.version)).where(PlanRow.event_id == row.event_id)
    )
    instance = engine_instance(row.instance)
    plan = stored_plan(row)
    names = engine_names(instance)
    return PlanView(
        id=row.id,
        event_id=row.event_id,
        event_name=participants.event.name,
        version=row.version,
        seed=row.seed,
        source=row.source,
        published_at=row.published_at,
        is_latest=row.version == latest,
        instance=instance,
        plan=plan,
        names=names,
        site_names={site_key(s.id): s.name for s in participants.event.sites},
        event=event_info(participants.event),
        changed=list(plan.changed_people or []),
    )


async def load_plan(database: Database, plan_id: int) -> PlanView | None:
    async with database.session() as session:
        row = await session.get(PlanRow, plan_id)
        return await plan_view(session, row) if row else None


async def latest_published(database: Database, event_id: int) -> PlanView | None:
    async with database.session() as session:
        row = await latest_published_row(session, event_id)
        return await plan_view(session, row) if row else None


async def latest_published_row(
    session: AsyncSession, event_id: int, before_version: int | None = None
) -> PlanRow | None:
    query = select(PlanRow).where(PlanRow.event_id == event_id, PlanRow.published_at.is_not(None))
    if before_version is not None:
        query = query.where(PlanRow.version < before_version)
    return await session.scalar(query.order_by(PlanRow.version.desc()).limit(1))


def plan_picture(view: PlanView) -> bytes:
    """The engine's PNG of the rooms, round by round, titled with the event, day and time."""
    return matching.render_plan_png(
        view.instance,
        view.plan,
        event_name=view.event.name,
        starts_at=view.event.starts_at,
        timezone=view.event.timezone,
        round_minutes=view.event.round_minutes,
        site_names=view.site_names,
    )


async def site_rooms(database: Database, event_id: int) -> list[tuple[str, str, int]]:
    """(site key, site name, number of rooms) for the adjust buttons."""
    async with database.session() as session:
        sites = await session.scalars(
            select(Site).where(Site.event_id == event_id).order_by(Site.position, Site.id)
        )
        return [(site_key(s.id), s.name, s.rooms) for s in sites]


# -- the engine -----------------------------------------------------------------------------


async def _solve(instance: Instance, seed: int) -> Plan:
    # `matching.solve` is read in the thread: the first use loads the solver there, not in
    # the event loop.
    return await asyncio.to_thread(lambda: matching.solve(instance, seed, SOLVE_SECONDS))


async def make_plan(database: Database, event_id: int, telegram_id: int, seed: int = 0) -> PlanView:
    """A fresh plan of the current participants (a draft: nothing is sent)."""
    async with database.session() as session:
        data = instance_dict(await load_participants(session, event_id))
    instance = engine_instance(data)
    if not instance.active_candidates:
        raise PlanningError("no_candidates")
    plan = await _solve(instance, seed)
    async with database.session() as session:
        row = await store_plan(
            session,
            event_id,
            data,
            plan,
            seed=seed,
            source=PlanSource.SOLVER,
            by=await staff_person_id(session, telegram_id),
        )
        return await plan_view(session, row)


async def recalculate(database: Database, plan_id: int, telegram_id: int) -> PlanView:
    """Another plan with the next seed, for staff who want to see an alternative."""
    current = await _require_latest(database, plan_id)
    return await make_plan(database, current.event_id, telegram_id, seed=current.seed + 1)


async def _require_latest(database: Database, plan_id: int) -> PlanView:
    view = await load_plan(database, plan_id)
    if view is None:
        raise PlanningError("unknown_plan")
    if not view.is_latest:
        raise PlanningError("stale_plan")
    return view


async def replan_event(database: Database, event_id: int, telegram_id: int) -> PlanView:
    """Repair the last published plan with as few changed convocations as possible."""
    async with database.session() as session:
        previous = await latest_published_row(session, event_id)
        if previous is None:
            raise PlanningError("nothing_published")
        data = instance_dict(await load_participants(session, event_id))
        previous_plan = stored_plan(previous)
        seed = previous.seed
    instance = engine_instance(data)
    plan = await asyncio.to_thread(lambda: matching.replan(instance, previous_plan, seed))
    async with database.session() as session:
        row = await store_plan(
            session,
            event_id,
            data,
            plan,
            seed=seed,
            source=PlanSource.REPLAN,
            by=await staff_person_id(session, telegram_id),
        )
        return await plan_view(session, row)


# -- adjusting by hand ----------------------------------------------------------------------


async def _store_adjusted(
    database: Database, view: PlanView, plan: Plan, telegram_id: int
) -> PlanView:
    problems = check_plan(view.instance, plan)
    if problems:
        raise PlanningError("broken_rule", [view.readable(p) for p in problems])
    plan = matching.score_plan(view.instance, plan)
    async with database.session() as session:
        row = await store_plan(
            session,
            view.event_id,
            view.instance.to_dict(),
            plan,
            seed=view.seed,
            source=PlanSource.ADJUSTED,
            by=await staff_person_id(session, telegram_id),
        )
        return await plan_view(session, row)


def _unseat(plan: Plan, round_number: int, key: str) -> None:
    for round_plan in plan.rounds:
        if round_plan.round != round_number:
            continue
        for room in round_plan.rooms:
            for members in (room.employers, room.candidates):
                if key in members:
                    members.remove(key)


def _refresh_waiting(plan: Plan, instance: Instance, reasons: dict[str, str]) -> None:
    """Everyone without a seat in any round waits; everyone seated leaves the list."""
    _ = Translator.for_language("fr")
    seated = {
        key
        for rp in plan.rounds
        for room in rp.rooms
        for key in (*room.employers, *room.candidates)
    }
    everyone = [*(c.id for c in instance.candidates), *(e.id for e in instance.employers)]
    plan.waiting = [
        Waiting(key, reasons.get(key, _.plain(REMOVED_BY_STAFF)))
        for key in everyone
        if key not in seated
    ]


async def move_person(
    database: Database,
    plan_id: int,
    round_number: int,
    key: str,
    site: str,
    room_number: int,
    telegram_id: int,
) -> PlanView:
    """Move one person to a room (existing or free) in one round, if the rules allow it."""
    view = await _require_latest(database, plan_id)
    plan = copy.deepcopy(view.plan)
    reasons = {w.id: w.reason for w in plan.waiting}
    _unseat(plan, round_number, key)
    round_plan = next((rp for rp in plan.rounds if rp.round == round_number), None)
    if round_plan is None:
        raise PlanningError("unknown_round")
    room = next((r for r in round_plan.rooms if (r.site, r.room) == (site, room_number)), None)
    if room is None:
        room = Room(site, room_number, [], [])
        round_plan.rooms.append(room)
    is_employer = key in {e.id for e in view.instance.employers}
    (room.employers if is_employer else room.candidates).append(key)
    round_plan.rooms = [r for r in round_plan.rooms if r.employers or r.candidates]
    _refresh_waiting(plan, view.instance, reasons)
    return await _store_adjusted(database, view, plan, telegram_id)


async def swap_people(
    database: Database, plan_id: int, round_number: int, first: str, second: str, telegram_id: int
) -> PlanView:
    """Exchange two people's seats in one round (or seat someone from the waiting list)."""
    view = await _require_latest(database, plan_id)
    plan = copy.deepcopy(view.plan)
    reasons = {w.id: w.reason for w in plan.waiting}
    for round_plan in plan.rounds:
        if round_plan.round != round_number:
            continue
        for room in round_plan.rooms:
            for members in (room.employers, room.candidates):
                members[:] = [
                    second if m == first else first if m == second else m for m in members
                ]
    _refresh_waiting(plan, view.instance, reasons)
    return await _store_adjusted(database, view, plan, telegram_id)
