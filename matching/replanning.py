"""Re-planning with as few changed convocations as possible.

When an employer withdraws or a candidate is added, staff must re-send convocations; each
change is a message and a worry for someone. So the previous plan is kept as is wherever it
is still valid, and only repaired:

1. people withdrawn or unknown, and seats that now break a hard rule, are removed;
2. a room left without an employer gets an idle compatible employer if there is one,
   otherwise its candidates lose that meeting;
3. admitted candidates without any meeting (new, or displaced) are seated in free seats, or
   in a new room with an idle employer, best affinity first; failing that, they take the
   seat of someone who has more meetings than everyone is promised.

``plan.changed_people`` lists everyone (not withdrawn) whose convocation — the set of
(round, site, room, room-mates) — differs from the previous plan.
"""

from __future__ import annotations

import numpy as np

from matching.admission import admit
from matching.affinity import build_tables
from matching.model import Instance, Plan
from matching.problem import Problem, RoomState, Rounds, from_plan
from matching.solver import finish_plan


def replan(instance: Instance, previous_plan: Plan, seed: int = 0, language: str = "fr") -> Plan:
    """Repair ``previous_plan`` for today's instance; reasons are written in ``language``."""
    tables = build_tables(instance)
    before = {c for rp in previous_plan.rounds for r in rp.rooms for c in r.candidates}
    preferred = {i for cid, i in tables.cand_index.items() if cid in before}
    admission = admit(instance, tables, seed, preferred=preferred, language=language)
    problem = Problem(instance, tables, admission.admitted, admission.min_meetings)
    rounds = from_plan(problem, previous_plan)
    _repair(problem, rounds)
    if problem.k_e > 0:
        _fill_employerless_rooms(problem, rounds)
        _seat_unseated(problem, rounds, admission.priority)
    else:
        _seat_in_groups(problem, rounds, admission.priority)
    plan = finish_plan(problem, rounds, admission, seed, language)
    plan.changed_people = changed_people(previous_plan, plan, instance)
    return plan


def _repair(problem: Problem, rounds: Rounds) -> None:
    """Drop every seat that breaks a hard rule, keeping the earliest ones."""
    met: set[tuple[int, int]] = set()
    used = np.zeros(problem.n_e)
    for rooms in rounds:
        busy: set[tuple[str, int]] = set()
        per_site: dict[int, int] = {}
        kept: list[RoomState] = []
        for room in rooms:
            per_site[room.site] = per_site.get(room.site, 0) + 1
            if per_site[room.site] > problem.rooms[room.site]:
                continue
            if room.number > problem.rooms[room.site]:
                room.number = 0
            room.employers = [
                e
                for e in room.employers
                if problem.emp_sites[e, room.site] and ("e", e) not in busy
            ][: problem.k_e]
            busy.update(("e", e) for e in room.employers)
            cands: list[int] = []
            for c in room.candidates:
                ok = (
                    problem.admitted[c]
                    and problem.cand_site[c] == room.site
                    and ("c", c) not in busy
                    and len(cands) < problem.k_c
                    and all((c, e) not in met for e in room.employers)
                    and all(used[e] < problem.emp_cap[e] for e in room.employers)
                )
                if ok:
                    cands.append(c)
                    busy.add(("c", c))
                    met.update((c, e) for e in room.employers)
                    used[room.employers] += 1
            room.candidates = cands
            kept.append(room)
        rooms[:] = kept


def _state(problem: Problem, rounds: Rounds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    met = np.zeros((problem.n_c, problem.n_e), dtype=bool)
    used = np.zeros(problem.n_e)
    meetings = np.zeros(problem.n_c, dtype=int)
    for rooms in rounds:
        for room in rooms:
            if room.employers:
                met[np.ix_(room.candidates, room.employers)] = True
                used[room.employers] += len(room.candidates)
                meetings[room.candidates] += 1
    return met, used, meetings


def _idle_employers(problem: Problem, rooms: list[RoomState]) -> set[int]:
    busy = {e for room in rooms for e in room.employers}
    return {e for e in range(problem.n_e) if e not in busy}


def _fill_employerless_rooms(problem: Problem, rounds: Rounds) -> None:
    ce = problem.tables.ce
    for rooms in rounds:
        for room in rooms:
            if room.employers or not room.candidates:
                continue
            met, used, _ = _state(problem, rounds)
            options = [
                e
                for e in sorted(_idle_employers(problem, rooms))
                if problem.emp_sites[e, room.site]
                and not met[room.candidates, e].any()
                and problem.emp_cap[e] - used[e] >= len(room.candidates)
            ]
            if options:
                room.employers = [max(options, key=lambda e: ce[room.candidates, e].sum())]
        rooms[:] = [r for r in rooms if r.employers and r.candidates]


def _seat_unseated(problem: Problem, rounds: Rounds, priority: list[int]) -> None:
    ce = problem.tables.ce
    for c in priority:
        met, used, meetings = _state(problem, rounds)
        if not problem.admitted[c] or meetings[c] > 0:
            continue
        s = int(problem.cand_site[c])
        best: tuple[float, int, RoomState | None, int] | None = None
        for t, rooms in enumerate(rounds):
            if any(c in r.candidates for r in rooms):
                continue
            for room in rooms:
                if (
                    room.site == s
                    and len(room.candidates) < problem.k_c
                    and not met[c, room.employers].any()
                    and (used[room.employers] < problem.emp_cap[room.employers]).all()
                ):
                    value = float(ce[c, room.employers].sum())
                    if best is None or value > best[0]:
                        best = (value, t, room, -1)
            if sum(r.site == s for r in rooms) < problem.rooms[s]:
                for e in sorted(_idle_employers(problem, rooms)):
                    if problem.emp_sites[e, s] and used[e] < problem.emp_cap[e]:
                        value = float(ce[c, e])
                        if best is None or value > best[0]:
                            best = (value, t, None, e)
        if best is None:
            _take_over_extra_meeting(problem, rounds, c, met, meetings)
            continue
        _value, t, chosen, e = best
        if chosen is None:
            rounds[t].append(RoomState(s, [e], [c]))
        else:
            chosen.candidates.append(c)


def _take_over_extra_meeting(
    problem: Problem, rounds: Rounds, c: int, met: np.ndarray, meetings: np.ndarray
) -> None:
    """No free seat: take the seat of someone who has more meetings than promised."""
    ce = problem.tables.ce
    s = int(problem.cand_site[c])
    best: tuple[float, RoomState, int] | None = None
    for rooms in rounds:
        if any(c in r.candidates for r in rooms):
            continue
        for room in rooms:
            if room.site != s or met[c, room.employers].any():
                continue
            for d in room.candidates:
                if meetings[d] > problem.min_meetings:
                    value = float(ce[c, room.employers].sum() - ce[d, room.employers].sum())
                    if best is None or value > best[0]:
                        best = (value, room, d)
    if best is not None:
        _value, room, d = best
        room.candidates[room.candidates.index(d)] = c


def _seat_in_groups(problem: Problem, rounds: Rounds, priority: list[int]) -> None:
    """Groups without employers: everyone admitted joins a group in every round."""
    for rooms in rounds:
        rooms[:] = [r for r in rooms if r.candidates]
    for c in priority:
        if not problem.admitted[c]:
            continue
        s = int(problem.cand_site[c])
        for rooms in rounds:
            if any(c in r.candidates for r in rooms):
                continue
            open_rooms = [r for r in rooms if r.site == s and len(r.candidates) < problem.k_c]
            if open_rooms:

                def gain(room: RoomState, c: int = c) -> float:
                    div = problem.tables.candidate_diversity([c, *room.candidates])
                    return float(div[0].sum()) - 0.01 * len(room.candidates)

                max(open_rooms, key=gain).candidates.append(c)
            elif sum(r.site == s for r in rooms) < problem.rooms[s]:
                rooms.append(RoomState(s, [], [c]))


def changed_people(previous: Plan, new: Plan, instance: Instance) -> list[str]:
    """Ids (not withdrawn) whose set of (round, site, room, room-mates) changed."""

    def convocations(plan: Plan) -> dict[str, set[tuple[object, ...]]]:
        out: dict[str, set[tuple[object, ...]]] = {}
        for rp in plan.rounds:
            for room in rp.rooms:
                members = frozenset((*room.employers, *room.candidates))
                for person in members:
                    out.setdefault(person, set()).add((rp.round, room.site, room.room, members))
        return out

    old, cur = convocations(previous), convocations(new)
    people = sorted(set(old) | set(cur))
    return [
        p for p in people if p not in instance.withdrawn and old.get(p, set()) != cur.get(p, set())
    ]
