"""From the database to the matching engine and back: plan, adjust, re-plan, publish.

Participants are keyed `c<person id>` / `e<person id>` and sites `s<site id>` in the engine's
JSON, so an exported file can be solved offline and imported back. Plans are stored as rows
(drafts until published); publishing queues the convocations through the outbox in the same
transaction, so a double press or a crash never sends anything twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot import clock
from bot.db.models.events import Event, EventStatus, Registration, RegistrationStatus, Site
from bot.db.models.people import Person, Role
from bot.db.models.planning import Plan as PlanRow
from bot.db.models.planning import PlanSource
from bot.db.session import Database
from bot.i18n import N_, Translator
from bot.outbox import cancel_pending, enqueue
from bot.services import convocations as conv
from matching import Instance, InstanceError, Plan, check_plan, replan, solve
from matching.model import Waiting

log = logging.getLogger(__name__)

ACTIVE = (RegistrationStatus.REGISTERED, RegistrationStatus.CONFIRMED)
SOLVE_SECONDS = 10.0
EVENT_KEY = "passerelle_event_id"


class PlanningError(Exception):
    """A plan cannot be made or changed; `problems` are French sentences for staff."""

    def __init__(self, code: str, problems: Sequence[str] = ()) -> None:
        super().__init__(code)
        self.code = code
        self.problems = list(problems)


# -- small shared helpers -------------------------------------------------------------------


def now() -> datetime:
    return clock.now()


async def send_later(session: AsyncSession, **message: Any) -> bool:
    """Queue a message in the caller's transaction; the one dispatcher sends it later."""
    return await enqueue(session, **message)


async def cancel_queued(session: AsyncSession, *, event_id: int, person_id: int) -> None:
    """A person who withdraws gets nothing more that was queued for this event."""
    await cancel_pending(session, event_id=event_id, person_id=person_id)


def candidate_key(person_id: int) -> str:
    return f"c{person_id}"


def employer_key(person_id: int) -> str:
    return f"e{person_id}"


def site_key(site_id: int) -> str:
    return f"s{site_id}"


def key_of(role: str, person_id: int) -> str:
    return employer_key(person_id) if role == Role.EMPLOYER else candidate_key(person_id)


def person_id_of(key: str) -> int | None:
    if len(key) > 1 and key[0] in "ce" and key[1:].isdigit():
        return int(key[1:])
    return None


# -- views ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventChoice:
    id: int
    name: str
    starts_at: datetime
    timezone: str


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
    plan_json: dict[str, Any]
    names: dict[str, str]
    site_names: dict[str, str]
    event: conv.EventInfo
    changed: list[str] = field(default_factory=list)

    def name(self, key: str) -> str:
        return self.names.get(key, key)

    def readable(self, problem: str) -> str:
        """An engine sentence with ids replaced by first names and site names."""

        def swap(match: re.Match[str]) -> str:
            key = match.group(1)
            return f"« {self.site_names.get(key) or self.names.get(key) or key} »"

        return re.sub(r"« ([^»]+?) »", swap, problem)


async def open_events(database: Database) -> list[EventChoice]:
    """Events staff can still plan: not cancelled, soonest first."""
    async with database.session() as session:
        rows = await session.scalars(
            select(Event)
            .where(Event.status != EventStatus.CANCELLED)
            .order_by(Event.starts_at)
            .limit(20)
        )
        return [EventChoice(e.id, e.name, e.starts_at, e.timezone) for e in rows]


# -- database -> engine ---------------------------------------------------------------------


@dataclass
class Participants:
    event: Event
    registrations: list[Registration]
    people: dict[int, Person]

    def by_key(self) -> dict[str, tuple[Registration, Person]]:
        return {
            key_of(reg.role, reg.person_id): (reg, self.people[reg.person_id])
            for reg in self.registrations
            if reg.person_id in self.people
        }


async def load_participants(session: AsyncSession, event_id: int) -> Participants:
    event = await session.scalar(
        select(Event).where(Event.id == event_id).options(selectinload(Event.sites))
    )
    if event is None:
        raise PlanningError("unknown_event")
    registrations = list(
        await session.scalars(
            select(Registration)
            .where(
                Registration.event_id == event_id,
                Registration.role.in_([Role.CANDIDATE, Role.EMPLOYER]),
            )
            .order_by(Registration.id)
        )
    )
    ids = [reg.person_id for reg in registrations]
    people = {
        person.id: person
        for person in await session.scalars(
            select(Person)
            .where(Person.id.in_(ids))
            .options(selectinload(Person.candidate_profile), selectinload(Person.employer_profile))
        )
    }
    return Participants(event, registrations, people)


def instance_dict(participants: Participants) -> dict[str, Any]:
    """The engine's JSON for an event; withdrawn people stay in, marked, for re-plans."""
    event = participants.event
    sites = [site for site in event.sites]
    site_keys = {site.id: site_key(site.id) for site in sites}
    default_site = next((s for s in sites if not s.remote), sites[0] if sites else None)
    kept = [
        reg
        for reg in participants.registrations
        if reg.status in (*ACTIVE, RegistrationStatus.WITHDRAWN)
        and reg.person_id in participants.people
    ]
    present = {key_of(reg.role, reg.person_id) for reg in kept}
    employers: list[dict[str, Any]] = []
    candidates: list[dict[str, Any]] = []
    withdrawn: list[str] = []
    for reg in kept:
        person = participants.people[reg.person_id]
        key = key_of(reg.role, reg.person_id)
        other_role = Role.CANDIDATE if reg.role == Role.EMPLOYER else Role.EMPLOYER
        wishes = [
            key_of(other_role, pid)
            for pid in reg.wishes or []
            if key_of(other_role, pid) in present
        ]
        if reg.status == RegistrationStatus.WITHDRAWN:
            withdrawn.append(key)
        if reg.role == Role.EMPLOYER:
            profile = person.employer_profile
            accepted = [site_keys[i] for i in reg.accepted_site_ids or [] if i in site_keys]
            if reg.remote:
                accepted = ["*"]
            elif not accepted and reg.site_id in site_keys:
                accepted = [site_keys[reg.site_id]]
            elif not accepted:
                accepted = list(site_keys.values())
            company = profile.company if profile else None
            employers.append(
                {
                    "id": key,
                    "name": f"{person.first_name} ({company})" if company else person.first_name,
                    "sites": accepted,
                    "sectors": list(profile.sectors) if profile else [],
                    "jobs": (profile.jobs or profile.job_title or "") if profile else "",
                    "max_candidates": profile.max_candidates if profile else None,
                    "wishes": wishes,
                }
            )
        else:
            profile = person.candidate_profile
            site = site_keys.get(reg.site_id) if reg.site_id is not None else None
            if site is None and default_site is not None:
                site = site_keys[default_site.id]
            candidate: dict[str, Any] = {
                "id": key,
                "name": person.first_name,
                "site": site,
                "wishes": wishes,
            }
            if profile is not None:
                candidate.update(
                    sectors=list(profile.sectors),
                    target_job=profile.target_job or "",
                    skills=list(profile.strengths),
                    qualities=list(profile.qualities),
                    age_band=profile.age_band,
                    programme=profile.programme,
                )
            candidates.append({k: v for k, v in candidate.items() if v is not None})
    return {
        "event": {
            "employers_per_room": event.employers_per_room,
            "candidates_per_room": event.candidates_per_room,
            "rounds": event.rounds,
            "sites": [{"id": site_keys[s.id], "rooms": s.rooms} for s in sites],
        },
        "employers": employers,
        "candidates": candidates,
        "withdrawn": withdrawn,
    }


def event_info(event: Event) -> conv.EventInfo:
    return conv.EventInfo(
        id=event.id,
        name=event.name,
        starts_at=event.starts_at,
        timezone=event.timezone,
        round_minutes=event.round_minutes,
        rounds=event.rounds,
        what_to_bring=event.what_to_bring,
        sites={
            site_key(s.id): conv.SiteInfo(site_key(s.id), s.name, s.address, s.remote, s.video_url)
            for s in event.sites
        },
    )


def person_infos(participants: Participants) -> dict[str, conv.PersonInfo]:
    infos: dict[str, conv.PersonInfo] = {}
    for key, (reg, person) in participants.by_key().items():
        employer = person.employer_profile if reg.role == Role.EMPLOYER else None
        candidate = person.candidate_profile if reg.role == Role.CANDIDATE else None
        full = " ".join(part for part in (person.first_name, person.last_name) if part)
        infos[key] = conv.PersonInfo(
            key=key,
            person_id=person.id,
            role=reg.role,
            first_name=person.first_name,
            # A candidate's last name is for staff only.
            full_name=full if reg.role == Role.EMPLOYER else person.first_name,
            company=employer.company if employer else None,
            job_title=employer.job_title if employer else None,
            sector_codes=tuple(employer.sectors if employer else ()),
            target_job=candidate.target_job if candidate else None,
        )
    return infos


# -- plans ----------------------------------------------------------------------------------


def _instance(data: dict[str, Any]) -> Instance:
    try:
        return Instance.from_dict(data)
    except InstanceError as exc:
        raise PlanningError("bad_instance", [str(exc)]) from exc


async def _solve(instance: Instance, seed: int) -> Plan:
    return await asyncio.to_thread(solve, instance, seed, SOLVE_SECONDS)


async def _next_version(session: AsyncSession, event_id: int) -> int:
    latest = await session.scalar(
        select(func.max(PlanRow.version)).where(PlanRow.event_id == event_id)
    )
    return (latest or 0) + 1


async def _store(
    session: AsyncSession,
    event_id: int,
    instance: dict[str, Any],
    plan: Plan,
    *,
    seed: int,
    source: PlanSource,
    by: int | None,
) -> PlanRow:
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


async def _staff_person_id(session: AsyncSession, telegram_id: int) -> int | None:
    return await session.scalar(select(Person.id).where(Person.telegram_id == telegram_id))


async def _view(session: AsyncSession, row: PlanRow) -> PlanView:
    participants = await load_participants(session, row.event_id)
    latest = await session.scalar(
        select(func.max(PlanRow.version)).where(PlanRow.event_id == row.event_id)
    )
    instance = _instance(row.instance)
    plan = Plan.from_dict(row.plan)
    names = {p.id: p.name or p.id for p in (*instance.candidates, *instance.employers)}
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
        plan_json=row.plan,
        names=names,
        site_names={site_key(s.id): s.name for s in participants.event.sites},
        event=event_info(participants.event),
        changed=list(plan.changed_people or []),
    )


async def load_plan(database: Database, plan_id: int) -> PlanView | None:
    async with database.session() as session:
        row = await session.get(PlanRow, plan_id)
        return await _view(session, row) if row else None


async def latest_published(database: Database, event_id: int) -> PlanView | None:
    async with database.session() as session:
        row = await _latest_published_row(session, event_id)
        return await _view(session, row) if row else None


async def _latest_published_row(
    session: AsyncSession, event_id: int, before_version: int | None = None
) -> PlanRow | None:
    query = select(PlanRow).where(PlanRow.event_id == event_id, PlanRow.published_at.is_not(None))
    if before_version is not None:
        query = query.where(PlanRow.version < before_version)
    return await session.scalar(query.order_by(PlanRow.version.desc()).limit(1))


async def make_plan(database: Database, event_id: int, telegram_id: int, seed: int = 0) -> PlanView:
    """A fresh plan of the current participants (a draft: nothing is sent)."""
    async with database.session() as session:
        data = instance_dict(await load_participants(session, event_id))
    instance = _instance(data)
    if not instance.active_candidates:
        raise PlanningError("no_candidates")
    plan = await _solve(instance, seed)
    async with database.session() as session:
        row = await _store(
            session,
            event_id,
            data,
            plan,
            seed=seed,
            source=PlanSource.SOLVER,
            by=await _staff_person_id(session, telegram_id),
        )
        return await _view(session, row)


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
        previous = await _latest_published_row(session, event_id)
        if previous is None:
            raise PlanningError("nothing_published")
        data = instance_dict(await load_participants(session, event_id))
        previous_json = previous.plan
        seed = previous.seed
    instance = _instance(data)
    plan = await asyncio.to_thread(replan, instance, Plan.from_dict(previous_json), seed)
    async with database.session() as session:
        row = await _store(
            session,
            event_id,
            data,
            plan,
            seed=seed,
            source=PlanSource.REPLAN,
            by=await _staff_person_id(session, telegram_id),
        )
        return await _view(session, row)


def _rescored(instance: Instance, plan: Plan) -> Plan:
    try:
        from matching.score import score_plan
    except ImportError:
        return plan
    return score_plan(instance, plan)


async def _store_adjusted(
    database: Database, view: PlanView, plan: Plan, telegram_id: int
) -> PlanView:
    problems = check_plan(view.instance, plan)
    if problems:
        raise PlanningError("broken_rule", [view.readable(p) for p in problems])
    plan = _rescored(view.instance, plan)
    async with database.session() as session:
        row = await _store(
            session,
            view.event_id,
            view.instance.to_dict(),
            plan,
            seed=view.seed,
            source=PlanSource.ADJUSTED,
            by=await _staff_person_id(session, telegram_id),
        )
        return await _view(session, row)


def _copy(plan: Plan) -> Plan:
    return Plan.from_dict(plan.to_dict())


def _unseat(plan: Plan, round_number: int, key: str) -> None:
    for round_plan in plan.rounds:
        if round_plan.round != round_number:
            continue
        for room in round_plan.rooms:
            for members in (room.employers, room.candidates):
                if key in members:
                    members.remove(key)


REMOVED_BY_STAFF = N_("Removed by hand by the organising team.")


def _refresh_waiting(plan: Plan, instance: Instance, reasons: dict[str, str]) -> None:
    """Everyone without a seat in any round waits; everyone seated leaves the list."""
    _ = Translator.for_language("fr")
    seated = {
        key
        for rp in plan.rounds
        for room in rp.rooms
        for key in (*room.employers, *room.candidates)
    }
    waiting = []
    for person in (*instance.candidates, *instance.employers):
        if person.id not in seated:
            waiting.append((person.id, reasons.get(person.id, _.plain(REMOVED_BY_STAFF))))

    plan.waiting = [Waiting(key, reason) for key, reason in waiting]


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
    plan = _copy(view.plan)
    reasons = {w.id: w.reason for w in plan.waiting}
    _unseat(plan, round_number, key)
    round_plan = next((rp for rp in plan.rounds if rp.round == round_number), None)
    if round_plan is None:
        raise PlanningError("unknown_round")
    from matching.model import Room

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
    plan = _copy(view.plan)
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


# -- export and import ----------------------------------------------------------------------


async def export_event(database: Database, event_id: int) -> tuple[str, bytes]:
    """The engine's JSON for the event (staff only: it holds the matching fields)."""
    async with database.session() as session:
        participants = await load_participants(session, event_id)
        data = instance_dict(participants)
        published = await _latest_published_row(session, event_id)
    data[EVENT_KEY] = event_id
    if published is not None:
        data["previous_plan"] = published.plan
    body = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    return f"evenement-{event_id}.json", body


async def import_plan(database: Database, event_id: int, raw: bytes, telegram_id: int) -> PlanView:
    """A plan made offline, checked against today's participants before it is stored."""
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
        plan = Plan.from_dict(plan_data)
    except InstanceError as exc:
        raise PlanningError("not_plan", [str(exc)]) from exc
    async with database.session() as session:
        data = instance_dict(await load_participants(session, event_id))
    instance = _instance(data)
    problems = check_plan(instance, plan)
    if problems:
        names = {p.id: p.name or p.id for p in (*instance.candidates, *instance.employers)}
        readable = [
            re.sub(r"« ([^»]+?) »", lambda m: f"« {names.get(m.group(1), m.group(1))} »", problem)
            for problem in problems
        ]
        raise PlanningError("broken_rule", readable)
    plan = _rescored(instance, plan)
    async with database.session() as session:
        row = await _store(
            session,
            event_id,
            data,
            plan,
            seed=0,
            source=PlanSource.IMPORTED,
            by=await _staff_person_id(session, telegram_id),
        )
        return await _view(session, row)


# -- publication ----------------------------------------------------------------------------


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
            .values(published_at=now())
        )
        if marked.rowcount != 1:  # type: ignore[attr-defined]
            raise PlanningError("already_published")
        previous = await _latest_published_row(session, row.event_id, before_version=row.version)
        participants = await load_participants(session, row.event_id)
        return await _queue_convocations(session, row, previous, participants, cards)


async def _portrait_cards(database: Database, plan_id: int) -> dict[str, bytes]:
    """Candidates' cards (only those who agreed to share), drawn before the write transaction."""
    try:
        from bot.portrait import PortraitCard, render_card
    except ImportError:
        return {}
    async with database.session() as session:
        row = await session.get(PlanRow, plan_id)
        if row is None:
            return {}
        participants = await load_participants(session, row.event_id)
    seated = conv.people_in({"rounds": row.plan.get("rounds", []), "waiting": []})
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
    by_key = participants.by_key()
    old_plan = previous.plan if previous is not None else {"rounds": [], "waiting": []}
    counts = {"convocations": 0, "waiting": 0, "unchanged": 0}
    for key in sorted(conv.people_in(row.plan) | conv.people_in(old_plan)):
        if key not in by_key:
            continue
        reg, person = by_key[key]
        if reg.status not in ACTIVE:
            continue
        before, after = conv.seats_of(old_plan, key), conv.seats_of(row.plan, key)
        if previous is not None and conv.signature(before) == conv.signature(after):
            was_waiting = key in conv.people_in(old_plan)
            if after or was_waiting:
                counts["unchanged"] += 1
                continue
        _ = Translator.for_language(person.language)
        base = f"convocation:{row.id}:{person.id}"
        common = {"chat_id": person.chat_id, "person_id": person.id, "event_id": event.id}
        if not after:
            await send_later(
                session,
                key=base,
                kind="waiting_list",
                text=conv.waiting_text(_, event, had_seat=bool(before)),
                **common,
            )
            counts["waiting"] += 1
            continue
        # A first seat (new, or from the waiting list) is a plain convocation.
        changes = conv.describe_changes(_, event, before, after, infos) if before else None
        text = conv.convocation_text(_, event, infos[key], after, infos, changes)
        buttons = [
            [
                (_.plain("I confirm I will come"), f"{conv.ATTENDANCE_PREFIX}:{reg.id}:yes"),
                (_.plain("I cannot come"), f"{conv.ATTENDANCE_PREFIX}:{reg.id}:no"),
            ]
        ]
        await send_later(
            session, key=base, kind="convocation", text=text, buttons=buttons, **common
        )
        ics = conv.calendar_file(_, event, infos[key], after, sequence=row.version, stamp=now())
        await send_later(
            session,
            key=f"{base}:ics",
            kind="convocation_ics",
            text=_("Add this meeting to your calendar."),
            document=(f"convocation-{event.id}.ics", ics),
            **common,
        )
        if reg.role == Role.EMPLOYER:
            for candidate in sorted({c for seat in after for c in seat.candidates}):
                if candidate in cards and candidate in infos:
                    await send_later(
                        session,
                        key=f"{base}:card:{candidate}",
                        kind="portrait_card",
                        text=_("Portrait card of {name}", name=infos[candidate].first_name),
                        photo=cards[candidate],
                        **common,
                    )
        await _schedule_reminders(session, event.id, reg.id)
        counts["convocations"] += 1
    return Publication(row.id, row.event_id, previous is None, **counts)


async def _schedule_reminders(session: AsyncSession, event_id: int, registration_id: int) -> None:
    try:
        from bot.services.reminders import schedule_reminders  # type: ignore[import-not-found]
    except ImportError:
        return
    await schedule_reminders(session, event_id, registration_id)


async def site_rooms(database: Database, event_id: int) -> list[tuple[str, str, int]]:
    """(site key, site name, number of rooms) for the adjust buttons."""
    async with database.session() as session:
        sites = await session.scalars(
            select(Site).where(Site.event_id == event_id).order_by(Site.position, Site.id)
        )
        return [(site_key(s.id), s.name, s.rooms) for s in sites]
