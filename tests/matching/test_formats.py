"""Every event format yields a plan that keeps every hard rule."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import numpy as np

from matching import Instance, check_plan, solve
from matching import examples as ex
from matching.admission import RULE
from tests.helpers.texts import contains

COHORT_WAITING = (
    '{demand} candidates on site "{site}" for {rooms} room(s) of {seats}: waiting list ({rule}).'
)


def _solve(data: dict, seed: int = 0):
    inst = Instance.from_dict(data)
    plan = solve(inst, seed=seed)
    assert check_plan(inst, plan) == []
    return inst, plan


def test_ose_ton_projet_four_rooms_of_two_plus_two() -> None:
    _inst, plan = _solve(ex.ose_ton_projet(seed=1, explicit=False))
    rooms = plan.rounds[0].rooms
    assert len(rooms) == 4
    assert all(len(r.employers) == 2 and len(r.candidates) == 2 for r in rooms)
    assert plan.waiting == []
    assert plan.breakdown["employer_mix"] > 0  # computed mode rewards a mix of sectors


def test_emploi_booster_sites_seats_remote_and_no_repeat() -> None:
    inst, plan = _solve(ex.emploi_booster(seed=2))
    seats = {s.id: s.rooms for s in inst.event.sites}
    assert sum(seats.values()) == 18
    for rp in plan.rounds:
        per_site = Counter(r.site for r in rp.rooms)
        assert all(per_site[s] <= seats[s] for s in per_site)
    remote = {e.id for e in inst.employers if e.sites == ("*",)}
    used_sites = {r.site for rp in plan.rounds for r in rp.rooms if set(r.employers) & remote}
    assert len(used_sites) > 1  # remote employers meet candidates on several sites
    meetings = Counter(c for rp in plan.rounds for r in rp.rooms for c in r.candidates)
    assert all(meetings[c.id] >= 1 for c in inst.candidates)  # everyone meets someone
    assert plan.breakdown["proven_optimal"] is True


def test_speed_job_dating_one_employer_up_to_three_candidates() -> None:
    inst, plan = _solve(ex.speed_dating(seed=4))
    assert all(
        len(r.employers) == 1 and 1 <= len(r.candidates) <= 3
        for rp in plan.rounds
        for r in rp.rooms
    )
    meetings = Counter(c for rp in plan.rounds for r in rp.rooms for c in r.candidates)
    assert min(meetings[c.id] for c in inst.candidates) >= 2  # several employers each


def test_co_searching_groups_meet_new_people_each_round() -> None:
    data = ex.co_searching(seed=5, n=16, rounds=3)
    data["event"]["candidates_per_room"] = 4  # 4 groups of 4: 3 rounds without repeats exist
    _inst, plan = _solve(data)
    pairs: Counter[frozenset[str]] = Counter()
    for rp in plan.rounds:
        assert len(rp.rooms) == 4
        assert all(len(r.candidates) == 4 and not r.employers for r in rp.rooms)
        for room in rp.rooms:
            pairs.update(frozenset(p) for p in combinations(room.candidates, 2))
    assert max(pairs.values()) == 1
    assert plan.breakdown["repeated_pairs"] == 0
    # the breakdown is rounded to 6 decimals, the score is not
    assert abs(plan.score - plan.breakdown["diversity"]) < 1e-6
    assert plan.score > 0


def test_co_searching_keeps_repeats_to_the_minimum_when_unavoidable() -> None:
    # 24 people in 3 groups of 8: in round 2 each group holds 3 + 3 + 2 people from the
    # round-1 groups, so at least 3 * (3 + 3 + 1) = 21 pairs meet again.
    _inst, plan = _solve(ex.co_searching(seed=5, n=24, rounds=2))
    assert [len(r.candidates) for r in plan.rounds[0].rooms] == [8, 8, 8]
    assert plan.breakdown["repeated_pairs"] == 21


def _repeats(plan) -> int:
    pairs: Counter[frozenset[str]] = Counter()
    for rp in plan.rounds:
        for room in rp.rooms:
            pairs.update(frozenset(p) for p in combinations(room.candidates, 2))
    return sum(m - 1 for m in pairs.values())


def _groups(n: int, size: int, rounds: int, seed: int) -> dict:
    data = ex.co_searching(seed=seed, n=n, rounds=rounds)
    data["event"]["candidates_per_room"] = size
    data["event"]["sites"][0]["rooms"] = n // size
    return data


def test_co_searching_16_people_in_4_groups_of_4_never_meet_twice() -> None:
    # 5 rounds is the whole affine plane of order 4: every pair meets exactly once.
    for rounds, seeds in ((4, (0, 1, 2)), (5, (0, 1, 2))):
        for seed in seeds:
            _inst, plan = _solve(_groups(16, 4, rounds, seed), seed=seed)
            assert all(len(r.candidates) == 4 for rp in plan.rounds for r in rp.rooms)
            assert _repeats(plan) == 0 == plan.breakdown["repeated_pairs"], (rounds, seed)
            assert plan.breakdown["diversity"] > 0


def test_co_searching_36_people_in_6_groups_of_6_never_meet_twice() -> None:
    _inst, plan = _solve(_groups(36, 6, 3, 1), seed=1)
    assert plan.breakdown["repeated_pairs"] == 0


def test_co_searching_reaches_the_floor_when_repeats_are_unavoidable() -> None:
    # 4 groups of 6 (or 8): a group of round 2 takes its 6 people from only 4 groups of
    # round 1, so at least 2 pairs (4 for 8 people) meet again per group and pair of rounds;
    # over 3 rounds that is at least 2/3 of 3 * 4 * 2 = 16 repeats (32 for groups of 8).
    from matching.groups import repeat_floor

    for n, size, floor in ((24, 6, 16), (32, 8, 32)):
        sizes = [np.full(4, size)] * 3
        assert repeat_floor(sizes) == floor
        _inst, plan = _solve(_groups(n, size, 3, 0))
        assert plan.breakdown["repeated_pairs"] == floor, (n, size)


def test_co_searching_is_more_diverse_than_a_naive_split() -> None:
    data = ex.co_searching(seed=6, n=16, rounds=1)
    data["event"]["sites"][0]["rooms"] = 2
    _inst, plan = _solve(data)
    naive = Instance.from_dict(data)
    ids = [c.id for c in naive.candidates]
    from matching.model import Plan, Room, RoundPlan
    from matching.score import score_plan

    naive_plan = score_plan(
        naive,
        Plan(
            [RoundPlan(1, [Room("bruxelles", 1, [], ids[:8]), Room("bruxelles", 2, [], ids[8:])])]
        ),
    )
    assert plan.score >= naive_plan.score


def test_cohort_single_group() -> None:
    _inst, plan = _solve(ex.cohort(seed=7, n=10))
    assert len(plan.rounds) == 1 and len(plan.rounds[0].rooms) == 1
    assert len(plan.rounds[0].rooms[0].candidates) == 10


def test_cohort_over_capacity_waits_with_reason() -> None:
    _inst, plan = _solve(ex.cohort(seed=7, n=14))
    assert len(plan.rounds[0].rooms[0].candidates) == 12
    assert len(plan.waiting) == 2
    assert all(
        contains(w.reason, COHORT_WAITING) and contains(w.reason, RULE) for w in plan.waiting
    )
