"""Score definition, optimality on small instances, fairness report and improvement."""

from __future__ import annotations

from itertools import combinations

import numpy as np
from scipy.optimize import linear_sum_assignment

from matching import Instance, check_plan, solve
from matching import examples as ex
from matching.admission import RULE
from matching.solver import EMPLOYER_SPARE_REASON
from tests.helpers.texts import contains

SEATS_WAITING = (
    '{demand} candidates on site "{site}" for {places} possible seat(s) ({rooms} '
    "room(s) of {seats}, {rounds} round(s), given the available employers): waiting "
    "list ({rule})."
)


def test_score_is_exactly_the_sum_of_explicit_affinities() -> None:
    data = ex.emploi_booster(seed=5)
    inst = Instance.from_dict(data)
    plan = solve(inst)
    table = data["affinity"]
    expected = sum(
        table[c].get(e, 0.0)
        for rp in plan.rounds
        for r in rp.rooms
        for c in r.candidates
        for e in r.employers
    )
    assert plan.score == expected
    assert plan.to_dict()["score"] == round(expected, 6)
    assert (
        sum(r["score"] for r in plan.breakdown["rooms"]) == np.float64(expected).round(6)
        or abs(sum(r["score"] for r in plan.breakdown["rooms"]) - expected) < 1e-4
    )


def _brute_force_2_plus_2(inst: Instance) -> float:
    """Every pairing of 8 employers; for each, the best seating is an assignment."""
    emp = [e.id for e in inst.employers]
    cand = [c.id for c in inst.candidates]
    a = np.array([[inst.affinity[c].get(e, 0.0) for e in emp] for c in cand])

    def pairings(items: list[int]):
        if not items:
            yield []
            return
        first = items[0]
        for k in range(1, len(items)):
            rest = items[1:k] + items[k + 1 :]
            for tail in pairings(rest):
                yield [(first, items[k]), *tail]

    best = 0.0
    for pairing in pairings(list(range(len(emp)))):
        value = np.stack([a[:, i] + a[:, j] for i, j in pairing], axis=1)
        seats = np.repeat(value, 2, axis=1)
        rows, cols = linear_sum_assignment(-seats)
        best = max(best, float(seats[rows, cols].sum()))
    return best


def test_ose_ton_projet_8x8_is_optimal_and_fast() -> None:
    for seed in range(3):
        inst = Instance.from_dict(ex.ose_ton_projet(seed=seed, size=8))
        plan = solve(inst)
        assert plan.breakdown["proven_optimal"] is True
        assert abs(plan.score - _brute_force_2_plus_2(inst)) < 1e-9
        assert plan.breakdown["seconds"] < 1.0


def test_worst_off_candidate_is_reported_and_raised_when_total_allows() -> None:
    data = {
        "event": {
            "employers_per_room": 1,
            "candidates_per_room": 1,
            "rounds": 1,
            "sites": [{"id": "s", "rooms": 2}],
        },
        "employers": [{"id": "e1", "sites": ["s"]}, {"id": "e2", "sites": ["s"]}],
        "candidates": [{"id": "c1", "site": "s"}, {"id": "c2", "site": "s"}],
        # Both plans total 1.0; only c1-e2 / c2-e1 leaves nobody at 0.
        "affinity": {"c1": {"e1": 1.0, "e2": 0.5}, "c2": {"e1": 0.5}},
    }
    plan = solve(Instance.from_dict(data))
    assert plan.score == 1.0
    assert plan.worst_candidate is not None
    assert plan.worst_candidate["score"] == 0.5
    per_cand = plan.breakdown["candidates"]
    assert set(per_cand) == {"c1", "c2"}
    assert per_cand["c1"]["best"] == 0.5 and per_cand["c1"]["average"] == 0.5


def test_waiting_list_rule_keeps_fewest_good_matches_first() -> None:
    data = {
        "event": {
            "employers_per_room": 1,
            "candidates_per_room": 1,
            "rounds": 1,
            "sites": [{"id": "s", "rooms": 1}],
        },
        "employers": [{"id": "e1", "sites": ["s"]}, {"id": "e2", "sites": ["s"]}],
        "candidates": [{"id": "many", "site": "s"}, {"id": "few", "site": "s"}],
        "affinity": {"many": {"e1": 0.9, "e2": 0.9}, "few": {"e1": 0.3}},
    }
    inst = Instance.from_dict(data)
    plan = solve(inst)
    assert check_plan(inst, plan) == []
    assert plan.rounds[0].rooms[0].candidates == ["few"]
    waiting = {w.id: w.reason for w in plan.waiting}
    assert contains(waiting["many"], SEATS_WAITING) and contains(waiting["many"], RULE)
    assert contains(waiting["many"], SEATS_WAITING, demand=2)
    assert contains(waiting["e2"], EMPLOYER_SPARE_REASON)


def test_no_candidate_ever_meets_an_employer_twice_over_rounds() -> None:
    inst = Instance.from_dict(ex.speed_dating(seed=8, explicit=True))
    plan = solve(inst)
    seen = set()
    for rp in plan.rounds:
        for room in rp.rooms:
            for pair in ((c, e) for c in room.candidates for e in room.employers):
                assert pair not in seen
                seen.add(pair)
    assert len(seen) > 0


def test_pairs_are_mixed_in_sectors_in_computed_mode() -> None:
    inst = Instance.from_dict(ex.ose_ton_projet(seed=2, explicit=False))
    plan = solve(inst)
    sectors = {e.id: set(e.sectors) for e in inst.employers}
    same = sum(
        sectors[a] == sectors[b]
        for r in plan.rounds[0].rooms
        for a, b in combinations(r.employers, 2)
    )
    assert same <= 1


def _problem(data: dict):
    from matching.admission import admit
    from matching.affinity import build_tables
    from matching.problem import Problem

    inst = Instance.from_dict(data)
    tables = build_tables(inst)
    adm = admit(inst, tables, 0)
    return Problem(inst, tables, adm.admitted, adm.min_meetings)


def test_room_model_matches_the_seat_model_on_random_2_plus_2() -> None:
    """Certificate check: the column-generation optimum equals the seat-based MILP's."""
    from matching.columns import solve_columns
    from matching.exact import solve_exact

    cases = [(8, s, True) for s in range(10)] + [(16, s, True) for s in range(6)]
    cases += [(8, s, False) for s in range(4)]  # computed affinities, with the employer mix
    for size, seed, explicit in cases:
        problem = _problem(ex.ose_ton_projet(seed=seed, size=size, explicit=explicit))
        fast = solve_columns(problem, fairness=False)
        seat = solve_exact(problem, fairness=False, columns=False)
        assert fast is not None and seat is not None
        assert fast.proven_optimal and seat.proven_optimal
        assert abs(fast.objective - seat.objective) < 1e-6, (size, seed, explicit)
        assert fast.objective <= fast.bound + 1e-6
        assert (
            abs(
                problem.objective(fast.rounds)
                - fast.objective
                - problem.coverage_bonus * problem.n_c
            )
            < 1e-6
        )


def test_ose_ton_projet_16x16_is_proven_optimal_under_0_2_s_cpu() -> None:
    import time

    solve(Instance.from_dict(ex.ose_ton_projet(seed=99, size=8)))  # lazy imports
    for seed in range(5):
        inst = Instance.from_dict(ex.ose_ton_projet(seed=seed, size=16))
        cpu = time.process_time()
        plan = solve(inst)
        cpu = time.process_time() - cpu
        assert plan.breakdown["proven_optimal"] is True
        assert check_plan(inst, plan) == []
        assert cpu < 0.2, (seed, cpu)
