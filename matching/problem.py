"""Index-based view of an instance shared by the solvers (exact, heuristic, groups, replan).

Solvers work on integer positions into :class:`~matching.affinity.AffinityTables`; this
module owns that representation and its conversion back to a :class:`~matching.model.Plan`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import combinations

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
        self._met_before()

    def _met_before(self) -> None:
        """Pairs who met at an earlier edition: a penalty folded into the solving tables.

        Why a penalty rather than removing the edges: removing them can leave no plan at
        all (one employer, the same candidates as last time), and then the solvers would
        have to be run twice to find the fewest repeats. A penalty ``B`` on every repeated
        pair, in the tables every solver reads (exact, column model, heuristic, fairness,
        replan), gives the same plans when a plan without repeats exists — ``B`` is far
        above what one seat can gain in affinity (at most ``k_e`` plus the mix bonus) — and
        otherwise the plan with the fewest repeats, all in one run. ``B`` stays below the
        bonus for seating a candidate without any meeting: being seated comes first, so a
        repeat is accepted only where a candidate would otherwise have nothing. The
        heuristic also forbids a repeat outright for a candidate who already has the
        promised meetings. ``plain_tables`` keeps the real affinities for the score.
        """
        self.plain_tables = self.tables
        self.repeat_penalty = self.coverage_bonus / 2
        n_c, n_e = len(self.tables.candidates), len(self.tables.employers)
        self.met_ce = np.zeros((n_c, n_e), dtype=bool)
        self.met_cc: set[tuple[int, int]] = set()  # positions, both orders (groups only)
        met_ee = np.zeros((n_e, n_e), dtype=bool)
        ci, ei = self.tables.cand_index, self.tables.emp_index
        for a, b in self.instance.met_before:
            if a in ci and b in ci:
                self.met_cc |= {(ci[a], ci[b]), (ci[b], ci[a])}
            elif a in ei and b in ei:
                met_ee[ei[a], ei[b]] = met_ee[ei[b], ei[a]] = True
            elif a in ci and b in ei:
                self.met_ce[ci[a], ei[b]] = True
            elif a in ei and b in ci:
                self.met_ce[ci[b], ei[a]] = True
        if self.met_ce.any() or met_ee.any():
            self.tables = replace(
                self.tables,
                ce=self.tables.ce - self.repeat_penalty * self.met_ce,
                ee=self.tables.ee - self.repeat_penalty * met_ee,
            )

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


def met_before_among(problem: Problem, members: np.ndarray) -> np.ndarray:
    """0/1 matrix of the candidates ``members`` (positions) who met at an earlier edition."""
    prior = np.zeros((len(members), len(members)), dtype=np.int16)
    if problem.met_cc:
        where = {int(c): i for i, c in enumerate(members.tolist())}
        for a, b in problem.met_cc:
            if a in where and b in where:
                prior[where[a], where[b]] = 1
    return prior


def met_again(instance: Instance, plan: Plan) -> list[tuple[str, str]]:
    """Pairs of ``instance.met_before`` sharing a room in ``plan``, sorted."""
    if not instance.met_before:
        return []
    found: set[tuple[str, str]] = set()
    for rp in plan.rounds:
        for room in rp.rooms:
            # With employers in the room, candidates sit side by side but meet the employers.
            pairs = (
                [(c, e) for c in room.candidates for e in room.employers]
                + list(combinations(room.employers, 2))
                if room.employers
                else list(combinations(room.candidates, 2))
            )
            for a, b in pairs:
                pair = (a, b) if a < b else (b, a)
                if pair in instance.met_before:
                    found.add(pair)
    return sorted(found)


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
