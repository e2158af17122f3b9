"""Entry point of the engine: ``solve(instance) -> Plan``.

Strategy, by format:

* no employers (co-searching groups, cohorts): diversity groups, :mod:`matching.groups`;
* 1 or 2 employers per room and a small model (<= 60,000 seat variables): the exact
  integer program of :mod:`matching.exact` (HiGHS via SciPy), proven optimal when it
  finishes in time; the heuristic is run too and the better plan kept;
* otherwise: assignments with SciPy plus local search, :mod:`matching.heuristic`.

Then the worst-off candidate is raised without lowering the total
(:mod:`matching.fairness`), and everybody left out gets a reason (French by default).
Deterministic for a given seed (unless a time limit cuts a search short).
"""

from __future__ import annotations

import time

import numpy as np

from matching.admission import Admission, admit
from matching.affinity import build_tables
from matching.exact import solve_exact
from matching.fairness import raise_worst_off
from matching.groups import solve_groups
from matching.heuristic import solve_heuristic
from matching.i18n import N_, translator
from matching.model import WITHDRAWN_REASON, Instance, Plan, Waiting
from matching.problem import Problem, Rounds, met_again, to_plan
from matching.score import score_plan

DEFAULT_TIME_LIMIT = 30.0

NO_SEAT_REASON = N_(
    "No compatible seat could be given to you (rooms full, or employers already "
    "met or fully booked): waiting list."
)
EMPLOYER_SPARE_REASON = N_(
    "Every room is taken: you are in reserve (rule: the employers with the most affinity with "
    "the candidates present are seated first)."
)


def solve(
    instance: Instance, seed: int = 0, time_limit: float | None = None, language: str = "fr"
) -> Plan:
    """Build a valid plan; ``time_limit`` (seconds) bounds the search, not the set-up.

    Waiting-list reasons are written in ``language``.
    """
    start = time.perf_counter()
    budget = DEFAULT_TIME_LIMIT if time_limit is None else max(time_limit, 0.1)
    deadline = start + budget
    tables = build_tables(instance)
    admission = admit(instance, tables, seed, language=language, time_limit=min(budget * 0.3, 10.0))
    problem = Problem(instance, tables, admission.admitted, admission.min_meetings)
    rounds, proven = _search(problem, seed, deadline, budget)
    plan = finish_plan(problem, rounds, admission, seed, language)
    plan.breakdown["proven_optimal"] = proven
    plan.breakdown["seconds"] = round(time.perf_counter() - start, 3)
    return plan


def _search(problem: Problem, seed: int, deadline: float, budget: float) -> tuple[Rounds, bool]:
    if problem.k_e == 0:
        return solve_groups(problem, seed, deadline), False
    exact = solve_exact(problem, time_limit=min(budget * 0.6, 20.0))
    if exact is not None and exact.proven_optimal:
        return raise_worst_off(problem, exact.rounds), True
    rounds = solve_heuristic(problem, seed, deadline)
    if exact is not None and problem.objective(exact.rounds) > problem.objective(rounds) + 1e-9:
        rounds = exact.rounds
    return raise_worst_off(problem, rounds), False


def finish_plan(
    problem: Problem, rounds: Rounds, admission: Admission, seed: int, language: str = "fr"
) -> Plan:
    """Turn index rounds into a scored plan with the waiting list and its reasons."""
    _ = translator(language)
    instance, tables = problem.instance, problem.tables
    waiting: list[Waiting] = []
    seated_c = np.zeros(problem.n_c, dtype=bool)
    seated_e = np.zeros(problem.n_e, dtype=bool)
    for rooms in rounds:
        for room in rooms:
            if room.candidates:
                seated_c[room.candidates] = True
                seated_e[room.employers] = True
    for c in admission.priority:
        if seated_c[c]:
            continue
        reason = admission.reasons.get(c) or _(NO_SEAT_REASON)
        waiting.append(Waiting(tables.candidates[c].id, reason))
    for j, emp in enumerate(tables.employers):
        if problem.k_e > 0 and not seated_e[j]:
            waiting.append(Waiting(emp.id, _(_employer_reason(problem, j))))
    for person in instance.people:
        if person.id in instance.withdrawn:
            waiting.append(Waiting(person.id, _(WITHDRAWN_REASON)))
    plan = to_plan(problem, rounds, waiting)
    plan = score_plan(instance, plan, problem.plain_tables)
    plan.met_again = met_again(instance, plan)
    if instance.met_before:
        plan.breakdown["met_before_repeats"] = len(plan.met_again)
    return plan


def _employer_reason(problem: Problem, j: int) -> str:
    """The message id of why employer ``j`` has no room (translated by the caller)."""
    emp = problem.tables.employers[j]
    if emp.max_candidates == 0:
        return N_("You said 0 candidates at most: no room for you.")
    reachable = problem.emp_sites[j][problem.cand_site] & problem.admitted
    if not reachable.any():
        return N_("No candidate is registered on your sites: no room for you.")
    return EMPLOYER_SPARE_REASON
