"""The matching engine's input, built from the database: participants, keys, the Instance.

Participants are keyed `c<person id>` / `e<person id>` and sites `s<site id>` in the engine's
JSON, so an exported file can be solved offline and imported back; `readable` turns those
keys in the engine's sentences back into names for staff. Every `plan_*` service starts from
here, so the shared `PlanningError` lives here too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.db.models.events import Event, EventStatus, Registration, RegistrationStatus
from bot.db.models.people import Person, Role
from bot.db.session import Database
from bot.services import convocations as conv
from bot.services.admission import as_rule
from bot.services.aftercare.series import met_before_pairs
from matching import Instance, InstanceError
from matching.model import Candidate, Employer

ACTIVE = (RegistrationStatus.REGISTERED, RegistrationStatus.CONFIRMED)
# The engine quotes ids in its sentences: « c12 » cannot sit twice in round 1.
QUOTED_ID = re.compile(r"« ([^»]+?) »")


class PlanningError(Exception):
    """A plan cannot be made or changed; `problems` are French sentences for staff."""

    def __init__(self, code: str, problems: Sequence[str] = ()) -> None:
        super().__init__(code)
        self.code = code
        self.problems = list(problems)


# -- keys -----------------------------------------------------------------------------------


def candidate_key(person_id: int) -> str:
    return f"c{person_id}"


def employer_key(person_id: int) -> str:
    return f"e{person_id}"


def site_key(site_id: int) -> str:
    return f"s{site_id}"


def key_of(role: str, person_id: int) -> str:
    return employer_key(person_id) if role == Role.EMPLOYER else candidate_key(person_id)


def engine_names(instance: Instance) -> dict[str, str]:
    """Each participant's key and the name the engine was given (the key if none)."""
    people: list[Candidate | Employer] = [*instance.candidates, *instance.employers]
    return {person.id: person.name or person.id for person in people}


def readable(problem: str, names: Mapping[str, str]) -> str:
    """An engine sentence with the quoted ids replaced by `names` (people, sites)."""
    return QUOTED_ID.sub(lambda match: f"« {names.get(match[1]) or match[1]} »", problem)


# -- which event ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EventChoice:
    id: int
    name: str
    starts_at: datetime
    timezone: str


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
    # Engine keys of pairs who met at earlier editions of the series (`aftercare.editions`).
    met_before: frozenset[tuple[str, str]] = frozenset()

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
    return Participants(event, registrations, people, await met_before_pairs(session, event_id))


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
            employer = person.employer_profile
            accepted = [site_keys[i] for i in reg.accepted_site_ids or [] if i in site_keys]
            if reg.remote:
                accepted = ["*"]
            elif not accepted and reg.site_id in site_keys:
                accepted = [site_keys[reg.site_id]]
            elif not accepted:
                accepted = list(site_keys.values())
            company = employer.company if employer else None
            employers.append(
                {
                    "id": key,
                    "name": f"{person.first_name} ({company})" if company else person.first_name,
                    "sites": accepted,
                    "sectors": list(employer.sectors) if employer else [],
                    "jobs": (employer.jobs or employer.job_title or "") if employer else "",
                    "max_candidates": employer.max_candidates if employer else None,
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
                "priority": reg.priority,  # the team's order (admission rule "staff")
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
            "admission": as_rule(event.admission),
        },
        "employers": employers,
        "candidates": candidates,
        "withdrawn": withdrawn,
        "met_before": [
            list(pair)
            for pair in sorted(participants.met_before)
            if pair[0] in present and pair[1] in present
        ],
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


def engine_instance(data: dict[str, Any]) -> Instance:
    """The engine's `Instance` of stored or freshly built JSON."""
    try:
        return Instance.from_dict(data)
    except InstanceError as exc:
        raise PlanningError("bad_instance", [str(exc)]) from exc
