"""The score of a plan and its breakdown (per room, per candidate, worst-off candidate).

With an explicit ``affinity`` table the score is exactly the sum, over rounds and rooms, of
``affinity[c][e]`` for every candidate c and employer e sharing a room (missing = 0), so
plans from any solver can be compared. Otherwise it also counts the employer-mix bonus and,
in rooms without employers, the candidates' diversity (see :mod:`matching.affinity`).

A candidate's own score is the sum of their affinities with the employers they meet (or,
without employers, of their diversity with their group mates); the worst-off candidate is
the seated candidate with the lowest one.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from typing import Any

from matching.affinity import AffinityTables, build_tables
from matching.model import Instance, Plan


def score_plan(instance: Instance, plan: Plan, tables: AffinityTables | None = None) -> Plan:
    """Fill ``plan.score``, ``plan.breakdown`` and ``plan.worst_candidate``; return the plan."""
    tables = tables or build_tables(instance)
    ce_lookup = _ce_lookup(instance, tables)
    ci, ei = tables.cand_index, tables.emp_index
    per_cand: dict[str, list[float]] = {}
    per_cand_div: dict[str, float] = {}
    rooms_out: list[dict[str, Any]] = []
    affinity_total = mix_total = diversity_total = 0.0
    met_pairs: set[frozenset[str]] = set()
    repeated = 0
    for rp in plan.rounds:
        for room in rp.rooms:
            room_ce = 0.0
            for c in room.candidates:
                per_cand.setdefault(c, [])
                for e in room.employers:
                    value = ce_lookup(c, e)
                    per_cand[c].append(value)
                    room_ce += value
            room_mix = 0.0
            if not tables.explicit:
                for e1, e2 in combinations(room.employers, 2):
                    if e1 in ei and e2 in ei:
                        room_mix += float(tables.ee[ei[e1], ei[e2]])
            room_div = 0.0
            if not room.employers:
                known = [c for c in room.candidates if c in ci]
                div = tables.candidate_diversity([ci[c] for c in known])
                for a, b in combinations(range(len(known)), 2):
                    room_div += float(div[a, b])
                    per_cand_div[known[a]] = per_cand_div.get(known[a], 0.0) + float(div[a, b])
                    per_cand_div[known[b]] = per_cand_div.get(known[b], 0.0) + float(div[a, b])
                    pair = frozenset((known[a], known[b]))
                    repeated += pair in met_pairs
                    met_pairs.add(pair)
            affinity_total += room_ce
            mix_total += room_mix
            diversity_total += room_div
            room_score = room_ce if tables.explicit else room_ce + room_mix + room_div
            rooms_out.append(
                {
                    "round": rp.round,
                    "site": room.site,
                    "room": room.room,
                    "score": round(room_score, 6),
                }
            )
    candidates_out: dict[str, dict[str, float | int]] = {}
    for c, values in per_cand.items():
        own = sum(values) if values else per_cand_div.get(c, 0.0)
        candidates_out[c] = {
            "meetings": len(values),
            "best": round(max(values), 6) if values else 0.0,
            "average": round(sum(values) / len(values), 6) if values else 0.0,
            "score": round(own, 6),
        }
    score = affinity_total if tables.explicit else affinity_total + mix_total + diversity_total
    plan.score = score
    plan.breakdown = {
        "affinity": round(affinity_total, 6),
        "employer_mix": round(mix_total, 6) if not tables.explicit else 0.0,
        "diversity": round(diversity_total, 6),
        "repeated_pairs": repeated,
        "rooms": rooms_out,
        "candidates": candidates_out,
    }
    if candidates_out:
        worst = min(candidates_out, key=lambda c: (candidates_out[c]["score"], c))
        plan.worst_candidate = {"id": worst, **candidates_out[worst]}
    else:
        plan.worst_candidate = None
    return plan


def _ce_lookup(instance: Instance, tables: AffinityTables) -> Callable[[str, str], float]:
    if instance.affinity is not None:
        table = instance.affinity
        return lambda c, e: table.get(c, {}).get(e, 0.0)
    ci, ei, ce = tables.cand_index, tables.emp_index, tables.ce
    return lambda c, e: float(ce[ci[c], ei[e]]) if c in ci and e in ei else 0.0
