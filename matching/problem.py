"""Index-based view of an instance shared by the solvers (exact, heuristic, groups, replan).

Solvers work on integer positions into :class:`~matching.affinity.AffinityTables`; this
module owns that representation and its conversion back to a :class:`~matching.model.Plan`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from matching.affinity import AffinityTables
from matching.model import Instance, Plan, Room, RoundPlan, Waiting


@dataclass
class RoomState:
    site: int
    employers: list[int]
    candidates: list[int]
    number: int = 0  # room number at the site in this round; 0 = not numbered yet


Rounds = list[list[RoomState]]


@dataclass
class Problem:
    instance: Instance
    tables: AffinityTables
    admitted: np.ndarray  # (n_c,) bool: allowed to be seated
    min_meetings: int = 1  # meetings promised to every admitted candidate (bonus up to it)
    k_e: int = field(init=False)
    k_c: int = field(init=False)
    n_rounds: int = field(init=False)

    def __post_init__(self) -> None:
        ev = self.instance.event
        self.k_e, self.k_c, self.n_rounds = (
            ev.employers_per_room,
            ev.candidates_per_room,
            ev.rounds,
        )
        self.site_ids = [s.id for s in ev.sites]
        self.site_index = {s: i for i, s in enumerate(self.site_ids)}
        self.rooms = np.array([s.rooms for s in ev.sites], dtype=int)
        self.cand_site = np.array(
            [self.site_index[c.site] for c in self.tables.candidates], dtype=int
        )
        self.emp_sites = np.array(
            [[e.accepts(s) for s in self.site_ids] for e in self.tables.employers], dtype=bool
        ).reshape(len(self.tables.employers), len(self.site_ids))
        self.emp_cap = np.array(
            [
                np.inf if e.max_candidates is None else e.max_candidates
                for e in self.tables.employers
            ],
            dtype=float,
        )
        # Seating a candidate without any meeting yet outweighs any affinity gain.
        self.coverage_bonus = 10.0 * (self.k_e + 1) + 10.0

    @property
    def n_c(self) -> int:
        return len(self.tables.candidates)

    @property
    def n_e(self) -> int:
        return len(self.tables.employers)

    def room_value(self, room: RoomState) -> float:
        """Affinity of a room: candidate–employer pairs plus the employer-mix bonus."""
        value = 0.0
        if room.employers and room.candidates:
            value += float(self.tables.ce[np.ix_(room.candidates, room.employers)].sum())
        if len(room.employers) > 1:
            value += float(np.triu(self.tables.ee[np.ix_(room.employers, room.employers)]).sum())
        return value

    def objective(self, rounds: Rounds) -> float:
        """Total room value plus a bonus per promised meeting actually given."""
        meetings = np.zeros(self.n_c, dtype=int)
        total = 0.0
        for rooms in rounds:
            for room in rooms:
                total += self.room_value(room)
                if room.employers:
                    meetings[room.candidates] += 1
        given = np.minimum(meetings, self.min_meetings).sum()
        return total + self.coverage_bonus * float(given)


def number_rooms(rounds: Rounds) -> None:
    """Give rooms without a number the smallest free number at their site and round."""
    for rooms in rounds:
        used: dict[int, set[int]] = {}
        for room in rooms:
            if room.number:
                used.setdefault(room.site, set()).add(room.number)
        for room in rooms:
            if not room.number:
                taken = used.setdefault(room.site, set())
                number = 1
                while number in taken:
                    number += 1
                room.number = number
                taken.add(number)
        rooms.sort(key=lambda r: (r.site, r.number))


def to_plan(problem: Problem, rounds: Rounds, waiting: list[Waiting]) -> Plan:
    tables = problem.tables
    number_rooms(rounds)
    plan_rounds = [
        RoundPlan(
            t + 1,
            [
                Room(
                    problem.site_ids[room.site],
                    room.number,
                    [tables.employers[j].id for j in room.employers],
                    [tables.candidates[i].id for i in room.candidates],
                )
                for room in rooms
                if room.candidates
            ],
        )
        for t, rooms in enumerate(rounds)
    ]
    return Plan(rounds=plan_rounds, waiting=waiting)


def from_plan(problem: Problem, plan: Plan) -> Rounds:
    """Index view of an existing plan; people or sites no longer known are dropped."""
    tables = problem.tables
    rounds: Rounds = [[] for _ in range(problem.n_rounds)]
    for rp in plan.rounds:
        t = rp.round - 1
        if not 0 <= t < problem.n_rounds:
            continue
        for room in rp.rooms:
            site = problem.site_index.get(room.site)
            if site is None:
                continue
            emps = [tables.emp_index[e] for e in room.employers if e in tables.emp_index]
            cands = [tables.cand_index[c] for c in room.candidates if c in tables.cand_index]
            rounds[t].append(RoomState(site, emps, cands, room.room))
    return rounds
