"""Seeded random instances for every event format, for tests, benchmarks and demos.

Random instances carry an explicit ``affinity`` table (when asked) so that plans from any
solver can be compared on the same numbers.
"""

from __future__ import annotations

import random
from typing import Any

SECTORS = "ABCDEFGHIJKLMN"
JOBS = [
    "vendeur·se",
    "assistant·e RH",
    "comptable",
    "cuisinier·ère",
    "aide-soignant·e",
    "magasinier·ère",
    "développeur·se web",
    "agent·e d'entretien",
    "serveur·se",
    "chauffeur·se livreur·se",
    "secrétaire",
    "paysagiste",
]
AGE_BANDS = ["18-25", "26-35", "36-45", "46-55", "56+"]
PROGRAMMES = ["COI", "Coaching+", "COFA"]
SKILLS = [
    "accueil",
    "caisse",
    "informatique",
    "conduite",
    "cuisine",
    "tri",
    "anglais",
    "rédaction",
    "vente",
    "soin",
]


def random_instance(
    n_candidates: int,
    n_employers: int,
    *,
    employers_per_room: int,
    candidates_per_room: int,
    rounds: int,
    sites: list[tuple[str, int]],
    seed: int = 0,
    explicit_affinity: bool = False,
    affinity_density: float = 1.0,
    remote_share: float = 0.0,
    max_candidates: int | None = None,
    wish_share: float = 0.2,
) -> dict[str, Any]:
    """A JSON-ready instance dict; see the module docstring."""
    rng = random.Random(seed)
    site_ids = [s for s, _ in sites]
    employers: list[dict[str, Any]] = []
    for j in range(n_employers):
        remote = rng.random() < remote_share
        accepted = ["*"] if remote else [site_ids[j % len(site_ids)]]
        employer: dict[str, Any] = {
            "id": f"e{j + 1}",
            "sites": accepted,
            "sectors": rng.sample(SECTORS, rng.randint(1, 2)),
            "jobs": ", ".join(rng.sample(JOBS, 2)),
        }
        if max_candidates is not None:
            employer["max_candidates"] = max_candidates
        employers.append(employer)
    candidates: list[dict[str, Any]] = []
    for i in range(n_candidates):
        candidates.append(
            {
                "id": f"c{i + 1}",
                "site": site_ids[i % len(site_ids)],
                "sectors": rng.sample(SECTORS, rng.randint(1, 2)),
                "target_job": rng.choice(JOBS),
                "skills": rng.sample(SKILLS, 2),
                "age_band": rng.choice(AGE_BANDS),
                "programme": rng.choice(PROGRAMMES),
            }
        )
    if n_employers and wish_share:
        for cand in candidates:
            if rng.random() < wish_share:
                cand["wishes"] = [f"e{rng.randint(1, n_employers)}"]
    data: dict[str, Any] = {
        "event": {
            "employers_per_room": employers_per_room,
            "candidates_per_room": candidates_per_room,
            "rounds": rounds,
            "sites": [{"id": s, "rooms": r} for s, r in sites],
        },
        "employers": employers,
        "candidates": candidates,
    }
    if explicit_affinity and n_employers:
        table: dict[str, dict[str, float]] = {}
        for cand in candidates:
            row: dict[str, float] = {}
            for emp in employers:
                if affinity_density >= 1.0 or rng.random() < affinity_density:
                    row[emp["id"]] = round(rng.random(), 3)
            table[cand["id"]] = row
        data["affinity"] = table
    return data


def ose_ton_projet(seed: int = 0, size: int = 8, explicit: bool = True) -> dict[str, Any]:
    """size candidates and size employers, rooms of 2 + 2, one round, one site."""
    return random_instance(
        size,
        size,
        employers_per_room=2,
        candidates_per_room=2,
        rounds=1,
        sites=[("lausanne", size // 2)],
        seed=seed,
        explicit_affinity=explicit,
    )


def emploi_booster(seed: int = 0, explicit: bool = True, rounds: int = 6) -> dict[str, Any]:
    """50 candidates, 15 employers (a third remote), 4 sites with 18 seats, rooms of 1 + 1."""
    return random_instance(
        50,
        15,
        employers_per_room=1,
        candidates_per_room=1,
        rounds=rounds,
        sites=[("lille", 6), ("roubaix", 5), ("tourcoing", 4), ("villeneuve", 3)],
        seed=seed,
        explicit_affinity=explicit,
        remote_share=0.35,
        max_candidates=6,
    )


def speed_dating(seed: int = 0, explicit: bool = False) -> dict[str, Any]:
    """24 candidates, 8 employers each receiving up to 3 candidates, 4 rounds, one site."""
    return random_instance(
        24,
        8,
        employers_per_room=1,
        candidates_per_room=3,
        rounds=4,
        sites=[("geneve", 8)],
        seed=seed,
        explicit_affinity=explicit,
    )


def co_searching(seed: int = 0, n: int = 24, rounds: int = 3) -> dict[str, Any]:
    """Groups of job seekers only, 6 to 8 per room, several rounds."""
    return random_instance(
        n,
        0,
        employers_per_room=0,
        candidates_per_room=8,
        rounds=rounds,
        sites=[("bruxelles", 4)],
        seed=seed,
    )


def cohort(seed: int = 0, n: int = 10) -> dict[str, Any]:
    """One cohort of 6 to 12 young graduates, one round."""
    return random_instance(
        n,
        0,
        employers_per_room=0,
        candidates_per_room=12,
        rounds=1,
        sites=[("paris", 1)],
        seed=seed,
    )
