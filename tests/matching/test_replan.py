"""Re-planning changes as few convocations as possible."""

from __future__ import annotations

from matching import Instance, check_plan, replan, solve
from matching import examples as ex


def test_employer_withdraws_few_people_change() -> None:
    data = ex.ose_ton_projet(seed=4)
    first = solve(Instance.from_dict(data))
    gone = first.rounds[0].rooms[0].employers[0]
    changed_inst = Instance.from_dict({**data, "withdrawn": [gone]})
    plan = replan(changed_inst, first)
    assert check_plan(changed_inst, plan) == []
    # Only the room-mates of the withdrawn employer see their convocation change.
    assert set(plan.changed_people) == set(first.rounds[0].rooms[0].employers[1:]) | set(
        first.rounds[0].rooms[0].candidates
    )
    assert len(plan.changed_people) == 3
    assert gone not in plan.changed_people
    assert all(r in plan.rounds[0].rooms for r in first.rounds[0].rooms[1:])


def test_candidate_added_only_them_and_their_room_change() -> None:
    data = ex.emploi_booster(seed=6)
    first = solve(Instance.from_dict(data))
    data["candidates"].append({"id": "new", "site": "lille", "sectors": ["D"]})
    data["affinity"]["new"] = {e["id"]: 0.7 for e in data["employers"]}
    inst = Instance.from_dict(data)
    plan = replan(inst, first)
    assert check_plan(inst, plan) == []
    assert "new" in plan.changed_people
    # The newcomer, their employer, and whoever gave up an extra meeting.
    assert len(plan.changed_people) <= 3
    assert any("new" in r.candidates for rp in plan.rounds for r in rp.rooms)


def test_employer_withdraws_multi_round_plan_stays_valid() -> None:
    data = ex.emploi_booster(seed=7)
    first = solve(Instance.from_dict(data))
    inst = Instance.from_dict({**data, "withdrawn": ["e1", "e2"]})
    plan = replan(inst, first)
    assert check_plan(inst, plan) == []
    touched = {
        p
        for rp in first.rounds
        for r in rp.rooms
        if {"e1", "e2"} & set(r.employers)
        for p in r.candidates
    }
    # Each candidate who lost a meeting pushes out at most one person with an extra one.
    others = set(plan.changed_people) - touched - {e.id for e in inst.employers}
    assert len(others) <= len(touched)
    assert len(plan.changed_people) < len(inst.candidates) // 2


def test_co_searching_replan_keeps_groups() -> None:
    data = ex.co_searching(seed=2, n=20, rounds=2)
    first = solve(Instance.from_dict(data))
    data["candidates"].append({"id": "late", "site": "bruxelles", "age_band": "56+"})
    inst = Instance.from_dict({**data, "withdrawn": ["c1"]})
    plan = replan(inst, first)
    assert check_plan(inst, plan) == []
    assert "late" in plan.changed_people
    assert len(plan.changed_people) <= 1 + 2 * 8 + 2 * 8  # late + their room-mates + c1's
