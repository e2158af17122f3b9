"""The coordinator's rule for who gets a seat when more candidates sign up than seats exist.

``event.admission``: "registration" (file order), "staff" (``priority``), "best_fit" (the
best plan over all candidates, checked against a brute force over every choice of seated
candidates solved by the exact model) and "fewest_matches" (the former rule, still the
default of a file that names none).
"""

from __future__ import annotations

import copy
from itertools import combinations
from typing import Any

import numpy as np
import pytest

from matching import Instance, InstanceError, Plan, check_plan, solve
from matching import examples as ex
from matching.admission import RULE, RULE_TEXTS
from matching.affinity import build_tables
from matching.exact import solve_exact
from matching.problem import Problem, to_plan
from matching.score import score_plan
from tests.helpers.texts import contains


def _oversubscribed(
    n_candidates: int, n_employers: int, k_e: int, k_c: int, rooms: int, seed: int
) -> dict[str, Any]:
    return ex.random_instance(
        n_candidates,
        n_employers,
        employers_per_room=k_e,
        candidates_per_room=k_c,
        rounds=1,
        sites=[("s", rooms)],
        seed=seed,
        explicit_affinity=True,
    )


def _with_rule(data: dict[str, Any], rule: str) -> dict[str, Any]:
    out = copy.deepcopy(data)
    out["event"]["admission"] = rule
    return out


def _seated(plan: Plan) -> set[str]:
    return {c for rp in plan.rounds for room in rp.rooms for c in room.candidates}


def _waiting_candidates(plan: Plan) -> list[str]:
    return [w.id for w in plan.waiting if w.id.startswith("c")]


def _brute_force_best(data: dict[str, Any]) -> float:
    """Best score over every choice of candidates filling the seats, each proven optimal."""
    inst = Instance.from_dict(data)
    tables = build_tables(inst)
    ev = inst.event
    seats = sum(s.rooms for s in ev.sites) * ev.candidates_per_room
    best = -1.0
    for chosen in combinations(range(len(tables.candidates)), seats):
        admitted = np.zeros(len(tables.candidates), dtype=bool)
        admitted[list(chosen)] = True
        problem = Problem(inst, tables, admitted, 1)
        result = solve_exact(problem, time_limit=20, fairness=False)
        assert result is not None and result.proven_optimal
        plan = score_plan(inst, to_plan(problem, result.rounds, []), tables)
        best = max(best, plan.score)
    return best


@pytest.mark.parametrize(
    ("k_e", "k_c", "rooms", "n_employers", "seed"),
    [(1, 1, 4, 4, 0), (1, 1, 4, 4, 1), (2, 2, 2, 4, 2), (2, 2, 2, 4, 3), (1, 2, 2, 3, 4)],
)
def test_best_fit_is_the_proven_optimum_over_all_candidates(
    k_e: int, k_c: int, rooms: int, n_employers: int, seed: int
) -> None:
    data = _with_rule(_oversubscribed(7, n_employers, k_e, k_c, rooms, seed), "best_fit")
    inst = Instance.from_dict(data)
    plan = solve(inst)
    assert check_plan(inst, plan) == []
    assert len(_seated(plan)) == rooms * k_c
    assert plan.score == pytest.approx(_brute_force_best(data), abs=1e-9)
    for other in ("registration", "fewest_matches"):
        assert solve(Instance.from_dict(_with_rule(data, other))).score <= plan.score + 1e-9


def test_eight_seats_twelve_candidates_best_fit_beats_the_other_rules() -> None:
    """The issue's case: 8 seats (4 rooms of 2 + 2), 12 candidates, several draws."""
    gaps = []
    for seed in range(6):
        data = _oversubscribed(12, 8, 2, 2, 4, seed)
        scores = {
            rule: solve(Instance.from_dict(_with_rule(data, rule))).score
            for rule in ("registration", "best_fit", "fewest_matches")
        }
        assert scores["best_fit"] >= max(scores.values()) - 1e-9
        gaps.append(1 - scores["fewest_matches"] / scores["best_fit"])
    # Measured: the former rule scores 7 % to 18 % below the best plan on these draws.
    assert min(gaps) > 0.03 and float(np.mean(gaps)) > 0.08


def test_registration_order_is_respected() -> None:
    data = _with_rule(_oversubscribed(12, 8, 2, 2, 4, 5), "registration")
    plan = solve(Instance.from_dict(data))
    order = [c["id"] for c in data["candidates"]]
    assert _seated(plan) == set(order[:8])
    assert _waiting_candidates(plan) == order[8:]
    rule = RULE_TEXTS["registration"]
    assert all(contains(w.reason, rule) for w in plan.waiting if w.id.startswith("c"))


def test_registration_order_per_site() -> None:
    """Two sites of 1 room of 2: the first two signed up on each site are seated."""
    data = ex.random_instance(
        8,
        2,
        employers_per_room=1,
        candidates_per_room=2,
        rounds=1,
        sites=[("a", 1), ("b", 1)],
        seed=1,
        explicit_affinity=True,
    )
    data["event"]["admission"] = "registration"
    plan = solve(Instance.from_dict(data))
    by_site: dict[str, list[str]] = {}
    for cand in data["candidates"]:
        by_site.setdefault(cand["site"], []).append(cand["id"])
    assert _seated(plan) == {c for ids in by_site.values() for c in ids[:2]}


def test_staff_priorities_are_respected() -> None:
    data = _with_rule(_oversubscribed(12, 8, 2, 2, 4, 6), "staff")
    ids = [c["id"] for c in data["candidates"]]
    # The team puts the last seven first (7 … 1), then says nothing for the others.
    for number, cand in enumerate(reversed(data["candidates"][5:]), start=1):
        cand["priority"] = number
    plan = solve(Instance.from_dict(data))
    ranked = list(reversed(ids[5:]))
    assert _seated(plan) == set(ranked) | {ids[0]}
    assert _waiting_candidates(plan) == ids[1:5]
    assert all(contains(w.reason, RULE_TEXTS["staff"]) for w in plan.waiting)


def test_everyone_fits_every_rule_seats_everyone() -> None:
    data = _oversubscribed(8, 8, 2, 2, 4, 7)
    for rule in ("registration", "staff", "best_fit", "fewest_matches"):
        plan = solve(Instance.from_dict(_with_rule(data, rule)))
        assert len(_seated(plan)) == 8 and plan.waiting == []


def test_best_fit_on_several_rounds_seats_the_capacity() -> None:
    """No exact selection there: the highest best affinities go first, seats all used."""
    data = ex.random_instance(
        10,
        3,
        employers_per_room=1,
        candidates_per_room=1,
        rounds=3,
        sites=[("s", 3)],
        seed=2,
        explicit_affinity=True,
    )
    data["event"]["admission"] = "best_fit"
    inst = Instance.from_dict(data)
    plan = solve(inst)
    assert check_plan(inst, plan) == []
    # 3 rooms × 3 rounds: 9 seats of one meeting; the one left has the lowest best total.
    best = {
        cand: sum(sorted(row.values(), reverse=True)[:3]) for cand, row in data["affinity"].items()
    }
    assert len(_seated(plan)) == 9
    assert _waiting_candidates(plan) == [min(best, key=lambda cand: best[cand])]
    assert all(contains(w.reason, RULE_TEXTS["best_fit"]) for w in plan.waiting)


def test_a_file_without_rule_keeps_the_former_one() -> None:
    data = _oversubscribed(12, 8, 2, 2, 4, 8)
    inst = Instance.from_dict(data)
    assert inst.event.admission == "fewest_matches"
    plan = solve(inst)
    assert all(contains(w.reason, RULE, seed=0) for w in plan.waiting)


def test_rule_and_priority_are_read_checked_and_written() -> None:
    data = _with_rule(_oversubscribed(3, 2, 1, 1, 2, 9), "staff")
    data["candidates"][1]["priority"] = 1
    inst = Instance.from_dict(data)
    assert inst.candidates[1].priority == 1 and inst.candidates[0].priority is None
    again = Instance.from_dict(inst.to_dict())
    assert again.event.admission == "staff" and again.candidates[1].priority == 1
    bad = _with_rule(data, "first_come")
    with pytest.raises(InstanceError) as refused:
        Instance.from_dict(bad)
    assert contains(str(refused.value), "{where}: one of {choices} is expected")
    data["candidates"][0]["priority"] = "un"
    with pytest.raises(InstanceError) as refused:
        Instance.from_dict(data)
    assert contains(str(refused.value), "{where}: a whole number is expected")
