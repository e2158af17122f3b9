"""A plan made outside the bot: export an event as the engine's JSON, import a plan back.

Staff may solve an exported file offline (the `passerelle plan` command, or by hand); the
plan they send back is checked against today's participants, with the same rules as the
engine, before it is stored as a draft like any other. The file holds staff-only fields.
"""

from __future__ import annotations

import json

import matching
from bot.db.models.planning import PlanSource
from bot.db.session import Database
from bot.services.plan_input import (
    PlanningError,
    engine_instance,
    engine_names,
    instance_dict,
    load_participants,
    readable,
)
from bot.services.plan_store import (
    PlanView,
    latest_published_row,
    plan_view,
    staff_person_id,
    store_plan,
    stored_plan,
)
from matching import InstanceError, Plan, check_plan

EVENT_KEY = "passerelle_event_id"


async def export_event(database: Database, event_id: int) -> tuple[str, bytes]:
    """The engine's JSON for the event (staff only: it holds the matching fields)."""
    async with database.session() as session:
        participants = await load_participants(session, event_id)
        data = instance_dict(participants)
        published = await latest_published_row(session, event_id)
        previous = stored_plan(published) if published is not None else None
    data[EVENT_KEY] = event_id
    if previous is not None:
        data["previous_plan"] = previous.to_dict()
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    return f"evenement-{event_id}.json", body


def _parse_plan(raw: bytes) -> Plan:
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanningError("not_json", [str(exc)]) from exc
    if not isinstance(document, dict):
        raise PlanningError("not_plan")
    plan_data = document.get("plan", document)
    if not isinstance(plan_data, dict) or "rounds" not in plan_data:
        raise PlanningError("not_plan")
    try:
        return Plan.from_dict(plan_data)
    except InstanceError as exc:
        raise PlanningError("not_plan", [str(exc)]) from exc


async def import_plan(database: Database, event_id: int, raw: bytes, telegram_id: int) -> PlanView:
    """A plan made offline, checked against today's participants before it is stored."""
    plan = _parse_plan(raw)
    async with database.session() as session:
        data = instance_dict(await load_participants(session, event_id))
    instance = engine_instance(data)
    problems = check_plan(instance, plan)
    if problems:
        names = engine_names(instance)
        raise PlanningError("broken_rule", [readable(problem, names) for problem in problems])
    plan = matching.score_plan(instance, plan)
    async with database.session() as session:
        row = await store_plan(
            session,
            event_id,
            data,
            plan,
            seed=0,
            source=PlanSource.IMPORTED,
            by=await staff_person_id(session, telegram_id),
        )
        return await plan_view(session, row)
