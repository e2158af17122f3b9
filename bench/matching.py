"""Benchmark of the matching engine against CP-SAT (exact) and two baselines.

Run: ``python bench/matching.py [--quick]``. Each family runs in its own process so the
peak memory (``resource.getrusage``) is that family's. OR-Tools is a bench-only dependency.

Every instance is random from a seed with an explicit ``affinity`` table, so the score is
the plain sum of affinities of candidates and employers sharing a room, for every solver.
CP-SAT solves the same problem as ours: the hard rules plus the same admitted candidates
and the same promised number of meetings per candidate (:mod:`matching.admission`).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching import Instance, Plan, check_plan, solve
from matching import examples as ex
from matching.admission import admit
from matching.affinity import build_tables
from matching.model import Room, RoundPlan
from matching.score import score_plan


def _sites(n: int, rooms: int) -> list[tuple[str, int]]:
    return [(f"site{i + 1}", rooms) for i in range(n)]


FAMILIES: dict[str, dict[str, Any]] = {
    "8x8 2+2": {
        "seeds": [0, 1, 2, 3, 4],
        "cpsat": 10.0,
        "make": lambda s: ex.ose_ton_projet(seed=s, size=8),
    },
    "16x16 2+2": {
        "seeds": [0, 1, 2, 3, 4],
        "cpsat": 20.0,
        "make": lambda s: ex.ose_ton_projet(seed=s, size=16),
    },
    "50x15 1+1, 4 sites, 18 seats, 6 rounds": {
        "seeds": [0, 1, 2],
        "cpsat": 120.0,
        "make": lambda s: ex.emploi_booster(seed=s),
    },
    "500x100 1+1, 10 sites, 8 rounds": {
        "seeds": [0],
        "cpsat": 60.0,
        "make": lambda s: ex.random_instance(
            500,
            100,
            employers_per_room=1,
            candidates_per_room=1,
            rounds=8,
            sites=_sites(10, 10),
            seed=s,
            explicit_affinity=True,
            affinity_density=0.3,
            remote_share=0.3,
            wish_share=0.0,
        ),
    },
    "5000x500 1+3, 20 sites, 5 rounds": {
        "seeds": [0],
        "cpsat": None,
        "make": lambda s: ex.random_instance(
            5000,
            500,
            employers_per_room=1,
            candidates_per_room=3,
            rounds=5,
            sites=_sites(20, 25),
            seed=s,
            explicit_affinity=True,
            affinity_density=0.05,
            remote_share=0.3,
            wish_share=0.0,
        ),
    },
}
QUICK = {
    "8x8 2+2": [0, 1],
    "16x16 2+2": [0, 1],
    "50x15 1+1, 4 sites, 18 seats, 6 rounds": [0],
    "500x100 1+1, 10 sites, 8 rounds": [0],
}
QUICK_CPSAT = 10.0


# -- CP-SAT model of the same problem ----------------------------------------------------------
def cpsat(inst: Instance, time_limit: float) -> tuple[float, float, float, bool]:
    """(best objective found, best bound, seconds, proven optimal)."""
    from ortools.sat.python import cp_model

    tables = build_tables(inst)
    adm = admit(inst, tables, seed=0)
    ev = inst.event
    a = np.round(tables.ce * 1000).astype(int)
    m = cp_model.CpModel()
    n_c, n_e = len(tables.candidates), len(tables.employers)
    sites = [s.id for s in ev.sites]
    rooms = {s.id: s.rooms for s in ev.sites}
    cand_site = [c.site for c in tables.candidates]
    admitted = [i for i in range(n_c) if adm.admitted[i]]
    objective = []
    if ev.employers_per_room == 2:  # one round, one site: rooms are employer groups
        site = sites[0]
        groups = [(e,) for e in range(n_e)] + list(combinations(range(n_e), 2))
        v = [m.new_bool_var("") for _ in groups]
        u = {(c, g): m.new_bool_var("") for c in admitted for g in range(len(groups))}
        for c in admitted:
            m.add(sum(u[c, g] for g in range(len(groups))) == 1)
        for g, members in enumerate(groups):
            seated = [u[c, g] for c in admitted]
            m.add(sum(seated) <= ev.candidates_per_room * v[g])
            m.add(sum(seated) >= v[g])
            for c in admitted:
                objective.append(int(sum(a[c, e] for e in members)) * u[c, g])
        for e in range(n_e):
            m.add(sum(v[g] for g, members in enumerate(groups) if e in members) <= 1)
        m.add(sum(v) <= rooms[site])
    else:
        rounds = range(ev.rounds)
        x = {}
        for c in admitted:
            for e in range(n_e):
                if tables.compatible[c, e]:
                    for t in rounds:
                        x[c, e, t] = m.new_bool_var("")
        p = {
            (e, s, t): m.new_bool_var("")
            for e in range(n_e)
            for s in sites
            if tables.employers[e].accepts(s) and rooms[s] > 0
            for t in rounds
        }
        for (c, e, t), var in x.items():
            if (e, cand_site[c], t) in p:
                m.add_implication(var, p[e, cand_site[c], t])
            else:
                m.add(var == 0)
            objective.append(a[c, e] * var)
        by_ct: dict = {}
        by_ce: dict = {}
        by_e: dict = {}
        by_c: dict = {}
        by_est: dict = {}
        for (c, e, t), var in x.items():
            by_ct.setdefault((c, t), []).append(var)
            by_ce.setdefault((c, e), []).append(var)
            by_e.setdefault(e, []).append(var)
            by_c.setdefault(c, []).append(var)
            by_est.setdefault((e, cand_site[c], t), []).append(var)
        for v in by_ct.values():
            m.add(sum(v) <= 1)
        for v in by_ce.values():
            m.add(sum(v) <= 1)
        for e, v in by_e.items():
            cap = tables.employers[e].max_candidates
            if cap is not None:
                m.add(sum(v) <= cap)
        for c in admitted:
            m.add(sum(by_c.get(c, [])) >= adm.min_meetings)
        for (e, s, t), var in p.items():
            m.add(sum(by_est.get((e, s, t), [])) <= ev.candidates_per_room * var)
        for e in range(n_e):
            for t in rounds:
                m.add(sum(p[e, s, t] for s in sites if (e, s, t) in p) <= 1)
        for s in sites:
            for t in rounds:
                m.add(sum(p[e, s, t] for e in range(n_e) if (e, s, t) in p) <= rooms[s])
    m.maximize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 2
    start = time.perf_counter()
    status = solver.solve(m)
    seconds = time.perf_counter() - start
    proven = status == cp_model.OPTIMAL
    found = solver.objective_value if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else 0.0
    return found / 1000, solver.best_objective_bound / 1000, seconds, proven


# -- baselines -------------------------------------------------------------------------------
def baseline(inst: Instance, mode: str, seed: int) -> Plan:
    """Round by round, room by room; ``greedy`` takes the best pair, ``random`` any pair."""
    tables = build_tables(inst)
    rng = random.Random(seed)
    ev = inst.event
    a = tables.ce.copy()
    score = (
        a
        if mode == "greedy"
        else np.array([[rng.random() for _ in range(a.shape[1])] for _ in range(a.shape[0])])
        if a.size < 300_000
        else np.random.default_rng(seed).random(a.shape)
    )
    met = np.zeros(a.shape, dtype=bool)
    used = np.zeros(a.shape[1])
    cap = np.array(
        [np.inf if e.max_candidates is None else e.max_candidates for e in tables.employers]
    )
    cand_site = np.array([c.site for c in tables.candidates])
    rounds = []
    for t in range(ev.rounds):
        free_c = np.ones(a.shape[0], dtype=bool)
        free_e = used < cap
        site_rooms = {s.id: s.rooms for s in ev.sites}
        rooms: list[Room] = []
        while True:
            ok = (~met) & tables.compatible & free_c[:, None] & free_e[None, :]
            ok &= np.array([site_rooms[s] > 0 for s in cand_site])[:, None]
            if not ok.any():
                break
            masked = np.where(ok, score, -1.0)
            c, e = np.unravel_index(int(np.argmax(masked)), masked.shape)
            site = cand_site[c]
            site_rooms[site] -= 1
            emps, cands = [e], [c]
            free_c[c] = free_e[e] = False
            while len(emps) < ev.employers_per_room:
                options = [
                    j
                    for j in np.flatnonzero(free_e)
                    if tables.employers[j].accepts(site)
                    and not met[cands, j].any()
                    and used[j] + 1 <= cap[j]
                ]
                if not options:
                    break
                j = max(options, key=lambda j: score[cands, j].sum())
                emps.append(j)
                free_e[j] = False
            while len(cands) < ev.candidates_per_room:
                pool = np.flatnonzero(free_c & (cand_site == site) & ~met[:, emps].any(axis=1))
                options = [i for i in pool if (used[emps] + len(cands) + 1 <= cap[emps]).all()]
                if not options:
                    break
                i = max(options, key=lambda i: score[i, emps].sum())
                cands.append(i)
                free_c[i] = False
            met[np.ix_(cands, emps)] = True
            used[emps] += len(cands)
            rooms.append(
                Room(
                    site,
                    0,
                    [tables.employers[j].id for j in emps],
                    [tables.candidates[i].id for i in cands],
                )
            )
        numbers: dict[str, int] = {}
        for room in rooms:
            numbers[room.site] = numbers.get(room.site, 0) + 1
            room.room = numbers[room.site]
        rounds.append(RoundPlan(t + 1, rooms))
    return score_plan(inst, Plan(rounds), tables)


# -- one family --------------------------------------------------------------------------------
def run_family(name: str, seeds: list[int], cpsat_limit: float | None) -> dict[str, Any]:
    family = FAMILIES[name]
    rows = []
    solve(Instance.from_dict(ex.ose_ton_projet(seed=99, size=8)))  # warm-up: lazy imports
    for seed in seeds:
        inst = Instance.from_dict(family["make"](seed))
        start, cpu = time.perf_counter(), time.process_time()
        plan = solve(inst, seed=0, time_limit=50)
        ours_s, ours_cpu = time.perf_counter() - start, time.process_time() - cpu
        problems = check_plan(inst, plan)
        rss_ours = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        row: dict[str, Any] = {
            "seed": seed,
            "ours": plan.score,
            "ours_s": ours_s,
            "ours_cpu": ours_cpu,
            "valid": not problems,
            "proven": bool(plan.breakdown.get("proven_optimal")),
            "rss_mb": rss_ours,
        }
        for mode in ("random", "greedy"):
            base = baseline(inst, mode, seed)
            row[mode] = base.score
            row[f"{mode}_valid"] = not [p for p in check_plan(inst, base) if "ni salle" not in p]
            seated = {c for rp in base.rounds for r in rp.rooms for c in r.candidates}
            row[f"{mode}_unseated"] = sum(c.id not in seated for c in inst.active_candidates)
        if cpsat_limit is not None:
            found, bound, secs, proven = cpsat(inst, cpsat_limit)
            row.update(cpsat=found, cpsat_bound=bound, cpsat_s=secs, cpsat_proven=proven)
        rows.append(row)
    return {"name": name, "rows": rows}


def _fmt_family(result: dict[str, Any]) -> str:
    rows = result["rows"]

    def mean(key: str) -> float:
        return float(np.mean([r[key] for r in rows]))

    valid = all(r["valid"] for r in rows)
    ours_proven = sum(r["proven"] for r in rows)
    times = f"{max(r['ours_cpu'] for r in rows):.2f} / {max(r['ours_s'] for r in rows):.2f}"
    if "cpsat" in rows[0]:
        proven = sum(r["cpsat_proven"] for r in rows)
        cp = f"{mean('cpsat'):.3f} / {mean('cpsat_bound'):.3f} ({proven}/{len(rows)} proven)"
        cp_s = f"{max(r['cpsat_s'] for r in rows):.1f}"
        ratios = [r["ours"] / r["cpsat_bound"] for r in rows if r["cpsat_bound"] > 0]
        ratio_s = f"{100 * min(ratios):.2f} %" if len(ratios) == len(rows) else "no bound in time"
    else:
        cp, cp_s, ratio_s = "skipped (too large for CP-SAT)", "-", "-"
    return (
        f"| {result['name']} | {len(rows)} | {mean('ours'):.3f} | {times} | "
        f"{ours_proven}/{len(rows)} | {cp} | {cp_s} | {ratio_s} | {mean('random'):.3f} | "
        f"{mean('greedy'):.3f} ({max(r['greedy_unseated'] for r in rows)}) | "
        f"{max(r['rss_mb'] for r in rows):.0f} | {'yes' if valid else 'NO'} |"
    )


HEADER = (
    "| family | instances | our score (mean) | our time s, CPU / wall (max) | "
    "ours proven optimal | CP-SAT best / bound (mean) | CP-SAT time s (max) | "
    "ours / CP-SAT bound (worst) | random | "
    "greedy (candidates it leaves without a meeting) | peak RSS MB | all plans valid |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def _fmt_seeds(results: list[dict[str, Any]]) -> str:
    lines = [
        "| family | seed | our score | proven optimal | CPU s | wall s | CP-SAT optimum |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for r in result["rows"]:
            cp = (
                f"{r['cpsat']:.3f}" + ("" if r.get("cpsat_proven") else " (not proven)")
                if "cpsat" in r
                else "-"
            )
            lines.append(
                f"| {result['name']} | {r['seed']} | {r['ours']:.3f} | "
                f"{'yes' if r['proven'] else 'no'} | {r['ours_cpu']:.3f} | "
                f"{r['ours_s']:.3f} | {cp} |"
            )
    return "\n".join(lines)


GROUPS = [(16, 4, 4), (16, 4, 5), (36, 6, 3), (24, 6, 3), (32, 8, 3), (24, 8, 2)]


def groups_table(seeds: list[int]) -> str:
    """Co-searching groups: repeated meetings against the proven floor (0 when avoidable)."""
    from matching.groups import repeat_floor

    lines = [
        "| people, groups × size, rounds | seeds | repeated meetings (max) | floor | "
        "diversity (mean) | CPU / wall s (max) |",
        "|---|---|---|---|---|---|",
    ]
    for n, size, rounds in GROUPS:
        reps, divs, cpus, walls = [], [], [], []
        for seed in seeds:
            data = ex.co_searching(seed=seed, n=n, rounds=rounds)
            data["event"]["candidates_per_room"] = size
            data["event"]["sites"][0]["rooms"] = n // size
            inst = Instance.from_dict(data)
            start, cpu = time.perf_counter(), time.process_time()
            plan = solve(inst, seed=seed)
            cpus.append(time.process_time() - cpu)
            walls.append(time.perf_counter() - start)
            assert not check_plan(inst, plan)
            reps.append(plan.breakdown["repeated_pairs"])
            divs.append(plan.breakdown["diversity"])
        floor = repeat_floor([np.full(n // size, size)] * rounds)
        lines.append(
            f"| {n}, {n // size} × {size}, {rounds} | {len(seeds)} | {max(reps)} | "
            f"{floor} | {np.mean(divs):.3f} | {max(cpus):.2f} / {max(walls):.2f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run, under a minute")
    parser.add_argument("--family", help=argparse.SUPPRESS)
    parser.add_argument("--seeds", help=argparse.SUPPRESS)
    parser.add_argument("--cpsat", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.family:
        seeds = [int(s) for s in args.seeds.split(",")]
        limit = args.cpsat if args.cpsat and args.cpsat > 0 else None
        print(json.dumps(run_family(args.family, seeds, limit)))
        return 0
    plan = QUICK if args.quick else {k: v["seeds"] for k, v in FAMILIES.items()}
    print(HEADER)
    results = []
    for name, seeds in plan.items():
        limit = FAMILIES[name]["cpsat"]
        if args.quick and limit is not None:
            limit = min(limit, QUICK_CPSAT)
        cmd = [
            sys.executable,
            __file__,
            "--family",
            name,
            "--seeds",
            ",".join(map(str, seeds)),
            "--cpsat",
            str(limit or 0),
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
        print(_fmt_family(results[-1]), flush=True)
    print("\nPer instance, 2 + 2 (one round, one site):\n")
    print(_fmt_seeds([r for r in results if "2+2" in r["name"]]))
    print("\nCo-searching groups (no employers):\n")
    print(groups_table([0, 1] if args.quick else [0, 1, 2, 3, 4]), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
