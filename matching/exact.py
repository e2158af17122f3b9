"""Exact solver: an integer program solved by HiGHS through ``scipy.optimize.milp``.

Used when the model is small (formats with 1 or 2 employers per room). A room is an
employer *group* g (one employer, or a pair when ``k_e = 2``) placed at a site s in a
round t (binary ``v[g,s,t]``); ``u[c,g,t]`` seats candidate c with that group. Because a
room's value is a sum over its candidate–employer pairs, the objective is linear in ``u``:

    max  Σ u[c,g,t] · Σ_{e∈g} a(c,e)  +  Σ v[g,s,t] · mix(g)

subject to: u <= v; 1 <= Σ_c u[·,g,t] <= k_c · v when the room is open; every employer in
at most one open group per round; at most ``rooms_s`` open groups per site and round; each
candidate in at most one room per round; each candidate–employer pair at most once over
the rounds; ``max_candidates`` per employer; and every admitted candidate given the promised
number of meetings (see :mod:`matching.admission`; relaxed to one if that is infeasible).
A second stage, on small models only, keeps the optimal total and raises the worst-off
candidate's score (lexicographic fairness).

One-round formats (Ose ton projet) go first to the room-based model of
:mod:`matching.columns` (column generation, with an optimality certificate): its relaxation
is much tighter than this seat-based one, and it proves the optimum of the 16 × 16, 2 + 2
instances in well under 0.2 s where this model sometimes needs 0.5 s of HiGHS heuristics.
This model remains for several rounds, and as the fallback when that one gives up.

Pairs who met at an earlier edition (``Instance.met_before``) are not removed from either
model: their affinity carries a large penalty (:meth:`matching.problem.Problem._met_before`
says why), so the optimum has no repeat whenever a plan meeting every constraint above has
none, and otherwise the fewest repeats; the models stay feasible in both cases.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from matching.columns import solve_columns
from matching.problem import Problem, RoomState, Rounds

MAX_VARIABLES = 60_000
# The second (fairness) stage re-solves the model; only worth it on small models.
MAX_FAIRNESS_VARIABLES = 1_000
_GAP = 1e-9
# HiGHS presolve costs ~0.2 s here and removes almost nothing from these models.
_PRESOLVE = False


@dataclass
class ExactResult:
    rounds: Rounds
    proven_optimal: bool
    objective: float


def model_size(problem: Problem) -> int:
    """Number of seat variables the model would have (0 if the format is not supported)."""
    if problem.k_e not in (1, 2):
        return 0
    groups = _groups(problem)
    per_site = np.zeros(len(problem.site_ids), dtype=int)
    for _g, sites in groups:
        per_site[sites] += 1
    seated = problem.cand_site[problem.admitted]
    return int(per_site[seated].sum()) * problem.n_rounds


def _groups(problem: Problem) -> list[tuple[tuple[int, ...], list[int]]]:
    """Employer groups with the sites (with rooms) where all of them can receive."""
    usable = [j for j in range(problem.n_e) if problem.emp_cap[j] > 0]
    open_sites = problem.rooms > 0
    out: list[tuple[tuple[int, ...], list[int]]] = []
    sizes = [1] if problem.k_e == 1 else [1, 2]
    for size in sizes:
        for group in combinations(usable, size):
            ok = np.logical_and.reduce([problem.emp_sites[j] for j in group]) & open_sites
            sites = np.flatnonzero(ok).tolist()
            if sites:
                out.append((group, sites))
    return out


class _Builder:
    def __init__(self) -> None:
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.lb: list[float] = []
        self.ub: list[float] = []

    def add(self, entries: list[tuple[int, float]], lb: float, ub: float) -> None:
        row = len(self.lb)
        for col, val in entries:
            self.rows.append(row)
            self.cols.append(col)
            self.vals.append(val)
        self.lb.append(lb)
        self.ub.append(ub)

    def constraint(self, n_vars: int) -> LinearConstraint:
        matrix = sparse.csr_matrix(
            (self.vals, (self.rows, self.cols)), shape=(len(self.lb), n_vars)
        )
        return LinearConstraint(matrix, np.array(self.lb), np.array(self.ub))


def solve_exact(
    problem: Problem, time_limit: float = 10.0, fairness: bool = True, columns: bool = True
) -> ExactResult | None:
    """Optimal plan for small instances, or None (unsupported, too big, infeasible, timeout).

    ``columns=False`` skips the room-based model (tests compare the two models).
    """
    if problem.k_e not in (1, 2):
        return None
    start = time.perf_counter()
    by_columns = solve_columns(problem, time_limit, fairness) if columns else None
    if by_columns is not None and by_columns.proven_optimal:
        return ExactResult(by_columns.rounds, True, by_columns.objective)
    time_limit = max(time_limit - (time.perf_counter() - start), 0.05)
    if not 0 < model_size(problem) <= MAX_VARIABLES:
        return None
    ce, ee = problem.tables.ce, problem.tables.ee
    groups = _groups(problem)
    v_index: dict[tuple[int, int, int], int] = {}
    v_value: list[float] = []
    for gi, (group, sites) in enumerate(groups):
        mix = sum(float(ee[a, b]) for a, b in combinations(group, 2))
        for s in sites:
            for t in range(problem.n_rounds):
                v_index[(gi, s, t)] = len(v_value)
                v_value.append(mix)
    groups_at_site: dict[int, list[int]] = {}
    for gi, (_group, sites) in enumerate(groups):
        for s in sites:
            groups_at_site.setdefault(s, []).append(gi)
    admitted = np.flatnonzero(problem.admitted)
    u_keys: list[tuple[int, int, int]] = []
    u_value: list[float] = []
    for c in admitted.tolist():
        s = int(problem.cand_site[c])
        for gi in groups_at_site.get(s, []):
            value = float(ce[c, list(groups[gi][0])].sum())
            for t in range(problem.n_rounds):
                u_keys.append((c, gi, t))
                u_value.append(value)
    n_v = len(v_value)
    n_vars = n_v + len(u_keys)
    b = _Builder()
    room_members: dict[int, list[tuple[int, float]]] = {}
    per_cand_round: dict[tuple[int, int], list[tuple[int, float]]] = {}
    per_pair: dict[tuple[int, int], list[tuple[int, float]]] = {}
    per_emp: dict[int, list[tuple[int, float]]] = {}
    per_cand: dict[int, list[tuple[int, float]]] = {}
    for k, (c, gi, t) in enumerate(u_keys):
        col = n_v + k
        vcol = v_index[(gi, int(problem.cand_site[c]), t)]
        b.add([(col, 1.0), (vcol, -1.0)], -np.inf, 0.0)
        room_members.setdefault(vcol, []).append((col, 1.0))
        per_cand_round.setdefault((c, t), []).append((col, 1.0))
        per_cand.setdefault(c, []).append((col, 1.0))
        for e in groups[gi][0]:
            per_emp.setdefault(e, []).append((col, 1.0))
            if problem.n_rounds > 1:
                per_pair.setdefault((c, e), []).append((col, 1.0))
    for vcol in range(n_v):
        members = room_members.get(vcol, [])
        b.add([*members, (vcol, -float(problem.k_c))], -np.inf, 0.0)
        b.add([*members, (vcol, -1.0)], 0.0, np.inf)
    emp_round: dict[tuple[int, int], list[tuple[int, float]]] = {}
    site_round: dict[tuple[int, int], list[tuple[int, float]]] = {}
    for (gi, s, t), vcol in v_index.items():
        for e in groups[gi][0]:
            emp_round.setdefault((e, t), []).append((vcol, 1.0))
        site_round.setdefault((s, t), []).append((vcol, 1.0))
    for entries in emp_round.values():
        b.add(entries, -np.inf, 1.0)
    for (s, _t), entries in site_round.items():
        b.add(entries, -np.inf, float(problem.rooms[s]))
    for entries in per_cand_round.values():
        b.add(entries, -np.inf, 1.0)
    for entries in per_pair.values():
        if len(entries) > 1:
            b.add(entries, -np.inf, 1.0)
    for e, entries in per_emp.items():
        cap = problem.emp_cap[e]
        if np.isfinite(cap):
            b.add(entries, -np.inf, float(cap))
    objective = np.array(v_value + u_value)
    result = None
    for floor in sorted({problem.min_meetings, 1}, reverse=True):
        with_floor = _Builder()
        with_floor.__dict__.update({k: list(v) for k, v in b.__dict__.items()})
        for c in admitted.tolist():
            with_floor.add(per_cand.get(c, []), float(floor), np.inf)
        result = milp(
            -objective,
            constraints=[with_floor.constraint(n_vars)],
            integrality=np.ones(n_vars, dtype=np.int_),
            bounds=Bounds(0, 1),
            options={"time_limit": time_limit, "mip_rel_gap": _GAP, "presolve": _PRESOLVE},
        )
        if result.x is not None:
            break
    if result is None or result.x is None:
        return None
    x = np.round(result.x[:n_vars]).astype(int)
    proven = result.status == 0
    best = float(objective @ x)
    remaining = time_limit - (time.perf_counter() - start)
    small = n_vars <= MAX_FAIRNESS_VARIABLES
    if fairness and small and proven and remaining > 0.05 and len(admitted) > 1:
        fair = _raise_worst_off(
            objective, with_floor, n_v, u_keys, per_cand, u_value, best, remaining
        )
        if fair is not None:
            x = fair
    return ExactResult(_extract(problem, groups, v_index, u_keys, x), proven, float(objective @ x))


def _raise_worst_off(
    objective: np.ndarray,
    first_stage: _Builder,
    n_v: int,
    u_keys: list[tuple[int, int, int]],
    per_cand: dict[int, list[tuple[int, float]]],
    u_value: list[float],
    best: float,
    time_limit: float,
) -> np.ndarray | None:
    """Second stage: keep the optimal total, maximise the lowest candidate score z."""
    n_vars = len(objective)
    z = n_vars
    b = _Builder()
    for entries in per_cand.values():
        b.add([(z, 1.0)] + [(col, -u_value[col - n_v]) for col, _ in entries], -np.inf, 0.0)
    b.add(
        [(col, float(objective[col])) for col in range(n_vars)], best - 1e-7 * max(1, best), np.inf
    )
    stacked = first_stage.constraint(n_vars + 1)  # the first stage's rows; 0 for z
    obj2 = np.zeros(n_vars + 1)
    obj2[z] = -1.0
    integrality = np.ones(n_vars + 1, dtype=np.int_)
    integrality[z] = 0
    lower = np.zeros(n_vars + 1)
    upper = np.ones(n_vars + 1)
    upper[z] = np.inf
    result = milp(
        obj2,
        constraints=[stacked, b.constraint(n_vars + 1)],
        integrality=integrality,
        bounds=Bounds(lower, upper),
        options={"time_limit": time_limit, "mip_rel_gap": 1e-6, "presolve": _PRESOLVE},
    )
    if result.x is None:
        return None
    x = np.round(result.x[:n_vars]).astype(int)
    if float(objective @ x) < best - 1e-6 * max(1, best):
        return None
    return x


def _extract(
    problem: Problem,
    groups: list[tuple[tuple[int, ...], list[int]]],
    v_index: dict[tuple[int, int, int], int],
    u_keys: list[tuple[int, int, int]],
    x: np.ndarray,
) -> Rounds:
    n_v = len(v_index)
    rooms: dict[int, RoomState] = {}
    room_round: dict[int, int] = {}
    for (gi, s, t), vcol in v_index.items():
        if x[vcol]:
            rooms[vcol] = RoomState(s, list(groups[gi][0]), [])
            room_round[vcol] = t
    for k, (c, gi, t) in enumerate(u_keys):
        if x[n_v + k]:
            rooms[v_index[(gi, int(problem.cand_site[c]), t)]].candidates.append(c)
    rounds: Rounds = [[] for _ in range(problem.n_rounds)]
    for vcol, room in rooms.items():
        if room.candidates:
            rounds[room_round[vcol]].append(room)
    return rounds
