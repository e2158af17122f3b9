"""Exact solver for one-round formats with employers: a room-based model by column generation.

A *column* is a whole room: a group ``P`` of 1 to ``k_e`` employers and a set ``Q`` of 1 to
``k_c`` candidates at a site ``s`` where every employer of ``P`` receives. Its value is
``Σ_{c∈Q, e∈P} a(c, e) + mix(P)``. The plan is a choice of columns (binary ``x``) with

    every admitted candidate in exactly one column,   every employer in at most one,
    at most ``rooms_s`` columns at site s,            |Q| <= max_candidates of each e in P.

This set-partitioning model has a much stronger linear relaxation than the seat-based model
of :mod:`matching.exact` (on the random 2 + 2 instances it is usually integral), but it has
``|P| × |Q|`` columns (18,496 for 16 × 16). So the relaxation is solved by column generation:
a small restricted LP (HiGHS through ``scipy.optimize.linprog``), priced against *all*
columns at once with NumPy (reduced cost ``rc = value - Σ duals``), until no column has a
positive reduced cost. An artificial column per candidate (value ``-M``) keeps the restricted
LP feasible from the start.

Optimality certificate. With dual values ``y >= 0`` on the "at most" rows and any ``y`` on
the equality rows, every integer plan ``x`` satisfies ``value(x) <= y·b + Σ_j rc_j x_j``
(weak duality, row by row), and ``rc_j <= 0`` once the pricing finds nothing (up to a
tolerance folded into the bound). So a plan of value at least ``y·b - δ`` only uses columns
with ``rc_j >= -δ``. Starting from a small δ (the LP plan's own gap when it is integral), an
exhaustive depth-first exact cover over those few columns (tried by decreasing reduced
cost, a branch cut as soon as ``y·b + Σ rc`` falls below the best plan found) lists the
best plans; if there is none, δ grows fourfold. The plans found are optimal over *all*
columns. The bound ``y·b`` is recomputed here from the duals, so the proof does not rest on
the LP solver's reported objective. All optimal plans are listed (up to a thousand), and
the one whose worst-off candidate scores highest is kept (lexicographic fairness). If the
listing grows too large, HiGHS solves the integer program on the same columns instead.
Tests compare the optimum with the seat-based model of :mod:`matching.exact` and with a
brute force over employer pairings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from matching.problem import Problem, RoomState, Rounds

MAX_COLUMNS = 400_000  # |P| × |Q| summed over sites; beyond it the seat-based model is used
MAX_KEPT = 20_000  # columns left after reduced-cost filtering for the integer program
MAX_FAIRNESS_COLUMNS = 5_000
_MAX_ITERATIONS = 300
_RC_TOL = 1e-9
_NODE_LIMIT = 200_000
_MAX_TIES = 1_000
_FIRST_GAP = 0.002  # first guess of the relative gap between the LP bound and the optimum
_FILTER_TOL = 1e-7


@dataclass
class ColumnResult:
    rounds: Rounds
    proven_optimal: bool
    objective: float
    bound: float
    columns: int  # columns generated in the restricted LP
    kept: int  # columns left for the integer program


@dataclass
class _Site:
    site: int
    groups: list[tuple[int, ...]]
    sets: list[tuple[int, ...]]  # candidate positions (global)
    rows: list[tuple[int, ...]]  # the same candidates as rows (positions among the admitted)
    pe: np.ndarray  # (nP, n_e) employer incidence
    qc: np.ndarray  # (nQ, n_adm) admitted-candidate incidence
    value: np.ndarray  # (nP, nQ), -inf where the column is not allowed
    per_cand: np.ndarray  # (nP, n_c) Σ_{e∈P} a(c, e)


def column_count(problem: Problem) -> int:
    """Columns of the room-based model (0 when the format is not a one-round one)."""
    if problem.n_rounds != 1 or problem.k_e not in (1, 2):
        return 0
    usable = problem.emp_cap > 0
    total = 0
    for s in range(len(problem.site_ids)):
        if problem.rooms[s] <= 0:
            continue
        n_emp = int((usable & problem.emp_sites[:, s]).sum())
        n_cand = int((problem.admitted & (problem.cand_site == s)).sum())
        n_p = sum(comb(n_emp, k) for k in range(1, problem.k_e + 1))
        n_q = sum(comb(n_cand, k) for k in range(1, problem.k_c + 1))
        total += n_p * n_q
    return total


def _sites(problem: Problem, adm_pos: dict[int, int]) -> list[_Site]:
    ce, ee = problem.tables.ce, problem.tables.ee
    n_e, n_adm = problem.n_e, len(adm_pos)
    usable = problem.emp_cap > 0
    out = []
    for s in range(len(problem.site_ids)):
        if problem.rooms[s] <= 0:
            continue
        emps = np.flatnonzero(usable & problem.emp_sites[:, s]).tolist()
        cands = np.flatnonzero(problem.admitted & (problem.cand_site == s)).tolist()
        if not emps or not cands:
            continue
        groups = [g for k in range(1, problem.k_e + 1) for g in combinations(emps, k)]
        sets = [q for k in range(1, problem.k_c + 1) for q in combinations(cands, k)]
        pe = np.zeros((len(groups), n_e))
        for i, g in enumerate(groups):
            pe[i, list(g)] = 1.0
        qc = np.zeros((len(sets), n_adm))
        for i, q in enumerate(sets):
            qc[i, [adm_pos[c] for c in q]] = 1.0
        per_cand = pe @ ce.T  # (nP, n_c)
        value = per_cand[:, list(adm_pos)] @ qc.T
        mix = np.array([sum(float(ee[a, b]) for a, b in combinations(g, 2)) for g in groups])
        value += mix[:, None]
        cap = np.array([min(problem.emp_cap[list(g)]) for g in groups])
        size = qc.sum(axis=1)
        value[size[None, :] > cap[:, None]] = -np.inf
        rows = [tuple(adm_pos[c] for c in q) for q in sets]
        out.append(_Site(s, groups, sets, rows, pe, qc, value, per_cand))
    return out


class _Columns:
    """The generated columns: (site number in ``sites``, group row, set row)."""

    def __init__(self, sites: list[_Site], n_e: int, n_adm: int) -> None:
        self.sites, self.n_e, self.n_adm = sites, n_e, n_adm
        self.keys: list[tuple[int, int, int]] = []
        self.known: set[tuple[int, int, int]] = set()

    def add(self, key: tuple[int, int, int]) -> bool:
        if key in self.known:
            return False
        self.known.add(key)
        self.keys.append(key)
        return True

    def matrices(
        self, keys: list[tuple[int, int, int]], artificial: float | None
    ) -> tuple[np.ndarray, sparse.csr_matrix, sparse.csr_matrix, sparse.csr_matrix]:
        """Objective, employer rows, candidate rows, room rows of ``keys`` (+ artificials)."""
        n = len(keys)
        value = np.empty(n)
        e_rows: list[int] = []
        e_cols: list[int] = []
        c_rows: list[int] = []
        c_cols: list[int] = []
        r_rows: list[int] = []
        for j, (k, p, q) in enumerate(keys):
            site = self.sites[k]
            value[j] = site.value[p, q]
            group, members = site.groups[p], site.rows[q]
            e_rows.extend(group)
            e_cols.extend([j] * len(group))
            c_rows.extend(members)
            c_cols.extend([j] * len(members))
            r_rows.append(k)
        n_art = self.n_adm if artificial is not None else 0
        width = n + n_art
        a_emp = sparse.csr_matrix((np.ones(len(e_rows)), (e_rows, e_cols)), shape=(self.n_e, width))
        a_room = sparse.csr_matrix(
            (np.ones(n), (r_rows, np.arange(n))), shape=(len(self.sites), width)
        )
        c_rows += list(range(n_art))
        c_cols += list(range(n, width))
        a_cand = sparse.csr_matrix(
            (np.ones(len(c_rows)), (c_rows, c_cols)), shape=(self.n_adm, width)
        )
        if artificial is not None:
            value = np.concatenate([value, np.full(n_art, -artificial)])
        return value, a_emp, a_cand, a_room


def solve_columns(
    problem: Problem, time_limit: float = 10.0, fairness: bool = True
) -> ColumnResult | None:
    """Proven-optimal one-round plan, or None (unsupported, too big, infeasible, timeout)."""
    if not 0 < column_count(problem) <= MAX_COLUMNS:
        return None
    start = time.perf_counter()
    deadline = start + time_limit
    admitted = np.flatnonzero(problem.admitted).tolist()
    adm_pos = {c: i for i, c in enumerate(admitted)}
    n_adm, n_e = len(admitted), problem.n_e
    sites = _sites(problem, adm_pos)
    if not sites:
        return None
    rooms = np.array([float(problem.rooms[st.site]) for st in sites])
    finite = [st.value[np.isfinite(st.value)] for st in sites]
    top = max((float(np.abs(v).max()) for v in finite if v.size), default=1.0)
    big = 100.0 * (top + 1.0)
    cols = _Columns(sites, n_e, n_adm)
    for k, st in enumerate(sites):  # start: the best set for every group
        for p in range(len(st.groups)):
            q = int(np.argmax(st.value[p]))
            if np.isfinite(st.value[p, q]):
                cols.add((k, p, q))
    lp = None
    for _ in range(_MAX_ITERATIONS):
        if time.perf_counter() > deadline:
            return None
        value, a_emp, a_cand, a_room = cols.matrices(cols.keys, big)
        lp = linprog(  # type: ignore[call-overload]  # scipy-stubs: no sparse A_ub/A_eq
            -value,
            A_ub=sparse.vstack([a_emp, a_room]).tocsr(),
            b_ub=np.concatenate([np.ones(n_e), rooms]),
            A_eq=a_cand,
            b_eq=np.ones(n_adm),
            bounds=(0, None),
            method="highs-ds",
        )
        if lp.status != 0:
            return None
        y_ub = np.maximum(-lp.ineqlin.marginals, 0.0)
        pi, rho = y_ub[:n_e], y_ub[n_e:]
        mu = -lp.eqlin.marginals
        reduced = [
            st.value - (st.pe @ pi)[:, None] - (st.qc @ mu)[None, :] - rho[k]
            for k, st in enumerate(sites)
        ]
        added = False
        for k, rc in enumerate(reduced):
            best_q = np.argmax(rc, axis=1)
            best = rc[np.arange(rc.shape[0]), best_q]
            for p in np.flatnonzero(best > _RC_TOL).tolist():
                added |= cols.add((k, p, int(best_q[p])))
        if not added:
            break
    else:
        return None
    assert lp is not None
    art_rc = -big - mu
    max_pos = max(0.0, *(float(rc.max()) for rc in reduced), float(art_rc.max()))
    bound = float(pi.sum() + mu.sum() + rho @ rooms) + n_adm * max_pos
    # Search for plans of value >= bound - delta. Those use only columns with
    # rc >= -delta - slack; an exhaustive search among them finds the optimum if one exists
    # there, otherwise delta doubles. delta starts at the gap of the LP plan when integral.
    x_lp = lp.x
    n_gen = len(cols.keys)
    slack = (n_adm - 1) * max_pos + _FILTER_TOL * max(1.0, abs(bound))
    if np.all(np.minimum(np.abs(x_lp), np.abs(1 - x_lp)) < 1e-7) and x_lp[n_gen:].max() < 0.5:
        lp_plan = [cols.keys[j] for j in np.flatnonzero(x_lp[:n_gen] > 0.5)]
        delta = max(bound - _total(sites, lp_plan), 0.0)
    else:
        delta = _FIRST_GAP * max(1.0, abs(bound))
    while True:
        if time.perf_counter() > deadline or delta > 2 * big:
            return None
        kept = [
            (k, int(p), int(q))
            for k, rc in enumerate(reduced)
            for p, q in zip(*np.nonzero(rc >= -delta - slack), strict=True)
        ]
        if len(kept) > MAX_KEPT:
            return None
        floor = bound - delta - slack
        rc_of = {key: float(reduced[key[0]][key[1], key[2]]) for key in kept}
        found = _enumerate(sites, kept, rc_of, rooms, n_e, n_adm, bound + slack, floor)
        if found is not None:
            plans, _best = found
            if plans:
                chosen = (
                    max(plans, key=lambda plan: _worst_off(sites, plan)) if fairness else plans[0]
                )
                break
        else:  # too many near-optimal covers to list: the integer program decides
            better = _integer(cols, kept, rooms, deadline)
            if better is not None and _total(sites, better) >= floor:
                chosen = better
                remaining = deadline - time.perf_counter()
                if fairness and len(kept) <= MAX_FAIRNESS_COLUMNS and remaining > 0.02:
                    fair = _raise_worst_off(
                        cols, kept, rooms, adm_pos, _total(sites, better), remaining
                    )
                    chosen = fair if fair is not None else chosen
                break
        delta *= 4
    proven = True
    rounds: Rounds = [
        [
            RoomState(sites[k].site, list(sites[k].groups[p]), list(sites[k].sets[q]))
            for k, p, q in chosen
        ]
    ]
    return ColumnResult(rounds, proven, _total(sites, chosen), bound, n_gen, len(kept))


def _worst_off(sites: list[_Site], plan: list[tuple[int, int, int]]) -> float:
    """Lowest candidate score of a one-round plan."""
    return min(float(sites[k].per_cand[p, list(sites[k].sets[q])].min()) for k, p, q in plan)


def _enumerate(
    sites: list[_Site],
    kept: list[tuple[int, int, int]],
    rc_of: dict[tuple[int, int, int], float],
    rooms: np.ndarray,
    n_e: int,
    n_adm: int,
    bound: float,
    incumbent: float,
) -> tuple[list[list[tuple[int, int, int]]], float] | None:
    """All best plans made of ``kept`` columns, by depth-first exact cover, or None.

    A plan's value is at most ``bound + Σ rc`` of its columns (reduced costs are <= 0 up to
    the slack folded into ``bound``), so a branch stops as soon as that drops below the best
    value found; columns are tried by decreasing reduced cost. None when the search exceeds
    ``_NODE_LIMIT`` nodes or ``_MAX_TIES`` optimal plans; no plan when none reaches
    ``incumbent``.
    """
    by_cand: list[list[tuple[int, int, int]]] = [[] for _ in range(n_adm)]
    for key in kept:
        for r in sites[key[0]].rows[key[2]]:
            by_cand[r].append(key)
    for options in by_cand:
        options.sort(key=lambda key: -rc_of[key])
    order = sorted(range(n_adm), key=lambda r: len(by_cand[r]))
    covered = [False] * n_adm
    used = [False] * n_e
    in_site = [0] * len(rooms)
    chosen: list[tuple[int, int, int]] = []
    plans: list[list[tuple[int, int, int]]] = []
    tol = 1e-9 * max(1.0, abs(bound))
    state = {"best": incumbent - tol, "nodes": 0}

    def dfs(depth: int, rc_sum: float, value: float) -> bool:
        state["nodes"] += 1
        if state["nodes"] > _NODE_LIMIT:
            return False
        while depth < n_adm and covered[order[depth]]:
            depth += 1
        if depth == n_adm:
            if value > state["best"] + tol:
                state["best"] = value - tol
                plans.clear()
            if value >= state["best"] - tol:
                plans.append(list(chosen))
            return len(plans) <= _MAX_TIES
        for key in by_cand[order[depth]]:
            rc = rc_of[key]
            if bound + rc_sum + rc < state["best"] - tol:
                break
            k, p, q = key
            site = sites[k]
            members, group = site.rows[q], site.groups[p]
            if (
                in_site[k] >= rooms[k]
                or any(covered[r] for r in members)
                or any(used[e] for e in group)
            ):
                continue
            for r in members:
                covered[r] = True
            for e in group:
                used[e] = True
            in_site[k] += 1
            chosen.append(key)
            ok = dfs(depth + 1, rc_sum + rc, value + float(site.value[p, q]))
            chosen.pop()
            in_site[k] -= 1
            for r in members:
                covered[r] = False
            for e in group:
                used[e] = False
            if not ok:
                return False
        return True

    if not dfs(0, 0.0, 0.0):
        return None
    return plans, (_total(sites, plans[0]) if plans else -np.inf)


def _total(sites: list[_Site], chosen: list[tuple[int, int, int]]) -> float:
    return float(sum(sites[k].value[p, q] for k, p, q in chosen))


def _constraints(
    cols: _Columns, keys: list[tuple[int, int, int]], rooms: np.ndarray
) -> tuple[np.ndarray, sparse.csr_matrix, np.ndarray, np.ndarray]:
    """Objective and rows ``lower <= matrix @ x <= upper`` of the plans made of ``keys``."""
    value, a_emp, a_cand, a_room = cols.matrices(keys, None)
    n_e, n_adm = a_emp.shape[0], a_cand.shape[0]
    matrix = sparse.vstack([a_emp, a_room, a_cand]).tocsr()
    lower = np.concatenate([np.zeros(n_e + len(rooms)), np.ones(n_adm)])
    upper = np.concatenate([np.ones(n_e), rooms, np.ones(n_adm)])
    return value, matrix, lower, upper


def _integer(
    cols: _Columns, keys: list[tuple[int, int, int]], rooms: np.ndarray, deadline: float
) -> list[tuple[int, int, int]] | None:
    remaining = deadline - time.perf_counter()
    if remaining <= 0 or not keys:
        return None
    value, matrix, lower, upper = _constraints(cols, keys, rooms)
    result = milp(
        -value,
        constraints=[LinearConstraint(matrix, lower, upper)],
        integrality=np.ones(len(keys), dtype=np.int_),
        bounds=Bounds(0, 1),
        options={"time_limit": remaining, "mip_rel_gap": 0.0},
    )
    if result.status != 0 or result.x is None:
        return None
    return [keys[j] for j in np.flatnonzero(result.x > 0.5)]


def _raise_worst_off(
    cols: _Columns,
    keys: list[tuple[int, int, int]],
    rooms: np.ndarray,
    adm_pos: dict[int, int],
    best: float,
    time_limit: float,
) -> list[tuple[int, int, int]] | None:
    """Among the optimal plans (all inside ``keys``), maximise the lowest candidate score."""
    value, matrix, row_lower, row_upper = _constraints(cols, keys, rooms)
    n = len(keys)
    rows, cols_, vals = [], [], []
    for j, (k, p, q) in enumerate(keys):
        site = cols.sites[k]
        for c in site.sets[q]:
            rows.append(adm_pos[c])
            cols_.append(j)
            vals.append(-float(site.per_cand[p, c]))
    n_adm = len(adm_pos)
    score = sparse.csr_matrix((vals, (rows, cols_)), shape=(n_adm, n + 1)).tolil()
    for i in range(n_adm):
        score[i, n] = 1.0  # z - score(c) <= 0
    total = sparse.csr_matrix(np.concatenate([value, [0.0]])[None, :])
    a_base = sparse.hstack([matrix, sparse.csr_matrix((matrix.shape[0], 1))]).tocsr()
    constraints = [
        LinearConstraint(a_base, row_lower, row_upper),
        LinearConstraint(score.tocsr(), -np.inf, 0.0),
        LinearConstraint(total, best - 1e-7 * max(1.0, abs(best)), np.inf),
    ]
    objective = np.zeros(n + 1)
    objective[n] = -1.0
    integrality = np.ones(n + 1, dtype=np.int_)
    integrality[n] = 0
    upper = np.ones(n + 1)
    upper[n] = np.inf
    result = milp(
        objective,
        constraints=constraints,
        integrality=integrality,
        bounds=Bounds(np.zeros(n + 1), upper),
        options={"time_limit": time_limit, "mip_rel_gap": 1e-6},
    )
    if result.x is None:
        return None
    chosen = [keys[j] for j in np.flatnonzero(result.x[:n] > 0.5)]
    if _total(cols.sites, chosen) < best - 1e-6 * max(1.0, abs(best)):
        return None
    return chosen
