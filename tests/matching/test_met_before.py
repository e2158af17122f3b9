"""Pairs who met at an earlier edition: no repeat where avoidable, the fewest otherwise."""

from __future__ import annotations

import copy
import json
from itertools import combinations, permutations
from pathlib import Path
from typing import Any

import pytest

from matching import Instance, InstanceError, Plan, check_plan, solve
from matching import examples as ex
from matching.admission import admit
from matching.affinity import build_tables
from matching.cli import main, summary
from matching.exact import solve_exact
from matching.problem import Problem, met_again, to_plan
from tests.helpers.texts import contains, contains_n


def _pairs_met(plan: Plan) -> list[list[str]]:
    """Every pair sharing a room in ``plan`` (candidate–employer, or group mates)."""
    pairs: set[tuple[str, str]] = set()
    for rp in plan.rounds:
        for room in rp.rooms:
            if room.employers:
                found = [(c, e) for c in room.candidates for e in room.employers]
            else:
                found = list(combinations(room.candidates, 2))
            pairs.update(tuple(sorted(p)) for p in found)  # type: ignore[misc]
    return [list(p) for p in sorted(pairs)]


def _exact_repeats(data: dict[str, Any]) -> int:
    """Repeats in the plan of the exact seat-based model alone (the reference)."""
    inst = Instance.from_dict(data)
    tables = build_tables(inst)
    admission = admit(inst, tables, 0)
    problem = Problem(inst, tables, admission.admitted, admission.min_meetings)
    result = solve_exact(problem, time_limit=20, columns=False)
    assert result is not None and result.proven_optimal
    return len(met_again(inst, to_plan(problem, result.rounds, [])))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_second_edition_of_ose_ton_projet_repeats_nobody(seed: int) -> None:
    first_data = ex.ose_ton_projet(seed=seed)
    first = solve(Instance.from_dict(first_data))
    second_data = copy.deepcopy(first_data)
    second_data["met_before"] = _pairs_met(first)
    assert len(second_data["met_before"]) == 16
    # Without the rule, the same affinities give the same rooms: every pair again.
    assert _pairs_met(solve(Instance.from_dict(first_data))) == second_data["met_before"]
    inst = Instance.from_dict(second_data)
    second = solve(inst)
    assert check_plan(inst, second) == []
    assert second.met_again == [] == met_again(inst, second)
    assert not set(map(tuple, _pairs_met(second))) & inst.met_before
    assert len({c for rp in second.rounds for r in rp.rooms for c in r.candidates}) == 8
    assert _exact_repeats(second_data) == 0
    assert second.breakdown["met_before_repeats"] == 0


def test_second_edition_over_several_rounds_matches_the_exact_model() -> None:
    data = ex.random_instance(
        6,
        4,
        employers_per_room=1,
        candidates_per_room=1,
        rounds=2,
        sites=[("s", 4)],
        seed=4,
        explicit_affinity=True,
    )
    first = solve(Instance.from_dict(data))
    data["met_before"] = _pairs_met(first)
    inst = Instance.from_dict(data)
    second = solve(inst)
    assert check_plan(inst, second) == []
    assert len(second.met_again) == _exact_repeats(data) == 0


def _forced() -> dict[str, Any]:
    """2 employers, 4 candidates in rooms of 1 + 2: c1 met both, c2 and c3 met e1.

    Everyone must be seated, so c1 repeats once; the tempting affinities (c2, c3 with e1)
    would make a second repeat if the rule were ignored.
    """
    return {
        "event": {
            "employers_per_room": 1,
            "candidates_per_room": 2,
            "rounds": 1,
            "sites": [{"id": "s", "rooms": 2}],
        },
        "employers": [{"id": "e1", "sites": ["s"]}, {"id": "e2", "sites": ["s"]}],
        "candidates": [{"id": f"c{i}", "site": "s"} for i in range(1, 5)],
        "affinity": {
            "c1": {"e1": 0.1, "e2": 0.1},
            "c2": {"e1": 1.0, "e2": 0.0},
            "c3": {"e1": 1.0, "e2": 0.0},
            "c4": {"e1": 0.0, "e2": 1.0},
        },
        "met_before": [["c1", "e1"], ["c1", "e2"], ["c2", "e1"], ["c3", "e1"]],
    }


def _brute_force_fewest(data: dict[str, Any]) -> int:
    """Every way to seat the 4 candidates two by two with e1 and e2."""
    met = {tuple(sorted(p)) for p in data["met_before"]}
    best = 99
    for order in permutations(["c1", "c2", "c3", "c4"]):
        rooms = {"e1": order[:2], "e2": order[2:]}
        best = min(best, sum((c, e) in met for e, cs in rooms.items() for c in cs))
    return best


def test_unavoidable_repeats_are_the_fewest_and_reported(tmp_path: Path) -> None:
    data = _forced()
    inst = Instance.from_dict(data)
    plan = solve(inst)
    assert check_plan(inst, plan) == []
    assert plan.waiting == []
    assert _brute_force_fewest(data) == 1 == _exact_repeats(data)
    assert len(plan.met_again) == 1 and plan.met_again[0][0] == "c1"
    assert plan.breakdown["met_before_repeats"] == 1
    assert Plan.from_dict(json.loads(json.dumps(plan.to_dict()))).met_again == plan.met_again
    text = summary(plan)
    assert contains_n(
        text,
        "Met at an earlier edition and together again (no other plan seats everyone): "
        "{count} pair.",
        "Met at an earlier edition and together again (no other plan seats everyone): "
        "{count} pairs.",
        1,
    )
    # The same through the command line, from an instance file.
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "plan.json"
    assert main([str(path), "-o", str(out)]) == 0
    assert len(json.loads(out.read_text(encoding="utf-8"))["met_again"]) == 1


def test_co_searching_groups_put_people_with_new_faces() -> None:
    data = ex.random_instance(
        8, 0, employers_per_room=0, candidates_per_room=4, rounds=1, sites=[("b", 2)], seed=3
    )
    first = solve(Instance.from_dict(data))
    data["met_before"] = _pairs_met(first)
    assert len(data["met_before"]) == 12
    inst = Instance.from_dict(data)
    second = solve(inst)
    assert check_plan(inst, second) == []
    # Two groups of 4 drawn from two old groups of 4: 2 + 2 per group at best, 4 repeats.
    assert len(second.met_again) == 4


def test_co_searching_avoidable_and_unavoidable() -> None:
    base = ex.random_instance(
        4, 0, employers_per_room=0, candidates_per_room=2, rounds=1, sites=[("b", 2)], seed=1
    )
    avoidable = {**base, "met_before": [["c1", "c2"], ["c3", "c4"]]}
    plan = solve(Instance.from_dict(avoidable))
    assert plan.met_again == []
    # c1 met everyone: one repeat at least, and only one.
    forced = {**base, "met_before": [["c1", "c2"], ["c1", "c3"], ["c1", "c4"]]}
    plan = solve(Instance.from_dict(forced))
    assert len(plan.met_again) == 1 and plan.met_again[0][0] == "c1"


def test_instance_files_check_met_before() -> None:
    data = ex.ose_ton_projet(seed=0)
    with pytest.raises(InstanceError) as err:
        Instance.from_dict({**data, "met_before": [["c1", "zz"]]})
    assert contains(str(err.value), '{where}: unknown participant "{id}"', id="zz")
    assert "met_before[0]" in str(err.value)
    for bad in ([["c1"]], [["c1", "c1"]], [["c1", "e1", "e2"]]):
        with pytest.raises(InstanceError) as err:
            Instance.from_dict({**data, "met_before": bad})
        assert contains(str(err.value), "{where}: a pair of two different participants is expected")
    with pytest.raises(InstanceError):
        Instance.from_dict({**data, "met_before": "c1"})
    inst = Instance.from_dict({**data, "met_before": [["e1", "c2"], ["c2", "e1"]]})
    assert inst.met_before == frozenset({("c2", "e1")})
    assert Instance.from_dict(inst.to_dict()).met_before == inst.met_before
