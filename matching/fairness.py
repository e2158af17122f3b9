"""Raise the worst-off candidate's score without lowering the total.

After the total is maximised, candidate swaps (same round, same site) and moves to free
seats are tried for the candidate with the lowest score; one is kept only if the plan's
total does not drop and the lowest score of the two people involved goes up.
"""

from __future__ import annotations

import numpy as np

from matching.problem import Problem, RoomState, Rounds

_EPS = 1e-9


def raise_worst_off(problem: Problem, rounds: Rounds, max_moves: int = 200) -> Rounds:
    ce = problem.tables.ce
    met = np.zeros((problem.n_c, problem.n_e), dtype=np.int16)
    used = np.zeros(problem.n_e)
    totals = np.zeros(problem.n_c)
    seated = np.zeros(problem.n_c, dtype=bool)
    for rooms in rounds:
        for room in rooms:
            if room.employers and room.candidates:
                met[np.ix_(room.candidates, room.employers)] += 1
                used[room.employers] += len(room.candidates)
                totals[room.candidates] += ce[np.ix_(room.candidates, room.employers)].sum(axis=1)
                seated[room.candidates] = True
    tried: set[int] = set()
    for _ in range(max_moves):
        pool = np.flatnonzero(seated & ~np.isin(np.arange(problem.n_c), list(tried)))
        if len(pool) == 0:
            break
        worst = int(pool[np.argmin(totals[pool])])
        if totals[worst] > totals[seated].min() + _EPS:
            break  # the lowest score is stuck: improving others would not raise it
        if not _improve(problem, rounds, worst, met, used, totals):
            tried.add(worst)
    return rounds


def _improve(
    problem: Problem, rounds: Rounds, c: int, met: np.ndarray, used: np.ndarray, totals: np.ndarray
) -> bool:
    ce = problem.tables.ce
    for rooms in rounds:
        home = next((r for r in rooms if c in r.candidates), None)
        if home is None or not home.employers:
            continue
        e1 = home.employers
        for other in rooms:
            if other is home or other.site != home.site or not other.employers:
                continue
            e2 = other.employers
            if (met[c, e2] > 0).any():
                continue
            gain_c = float(ce[c, e2].sum() - ce[c, e1].sum())
            if gain_c <= _EPS:
                continue
            if len(other.candidates) < _seats(problem, other, used) and len(home.candidates) > 1:
                _move(problem, c, home, other, met, used, totals)
                return True
            for d in other.candidates:
                if (met[d, e1] > 0).any():
                    continue
                gain_d = float(ce[d, e1].sum() - ce[d, e2].sum())
                if gain_c + gain_d < -_EPS:
                    continue
                if min(totals[c] + gain_c, totals[d] + gain_d) > totals[c] + _EPS:
                    _move(problem, c, home, other, met, used, totals)
                    _move(problem, d, other, home, met, used, totals)
                    return True
    return False


def _seats(problem: Problem, room: RoomState, used: np.ndarray) -> int:
    spare = (problem.emp_cap[room.employers] - used[room.employers]).min()
    return int(min(problem.k_c, len(room.candidates) + max(spare, 0)))


def _move(
    problem: Problem,
    c: int,
    src: RoomState,
    dst: RoomState,
    met: np.ndarray,
    used: np.ndarray,
    totals: np.ndarray,
) -> None:
    ce = problem.tables.ce
    src.candidates.remove(c)
    dst.candidates.append(c)
    met[c, src.employers] -= 1
    met[c, dst.employers] += 1
    used[src.employers] -= 1
    used[dst.employers] += 1
    totals[c] += float(ce[c, dst.employers].sum() - ce[c, src.employers].sum())
