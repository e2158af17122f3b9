"""Shared helpers for the matching engine tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from matching import examples


def minimal() -> dict[str, Any]:
    """The example of the file-format documentation."""
    return {
        "event": {
            "employers_per_room": 2,
            "candidates_per_room": 2,
            "rounds": 1,
            "sites": [{"id": "lausanne", "rooms": 4}],
        },
        "employers": [
            {
                "id": "e1",
                "sites": ["lausanne"],
                "sectors": ["M"],
                "jobs": "assistant·e RH, comptable",
                "max_candidates": 4,
                "wishes": ["c1"],
            },
            {"id": "e2", "sites": ["*"], "sectors": ["D"], "jobs": "vendeur·se"},
        ],
        "candidates": [
            {
                "id": "c1",
                "site": "lausanne",
                "sectors": ["M", "D"],
                "target_job": "assistante ressources humaines",
                "skills": ["accueil"],
                "qualities": ["ponctuelle"],
                "age_band": "26-35",
                "programme": "COI",
                "wishes": ["e1"],
            },
            {"id": "c2", "site": "lausanne", "sectors": ["D"], "target_job": "vendeuse"},
        ],
        "affinity": {"c1": {"e1": 0.82}},
    }


@pytest.fixture
def minimal_dict() -> dict[str, Any]:
    return copy.deepcopy(minimal())


@pytest.fixture
def ose_dict() -> dict[str, Any]:
    return examples.ose_ton_projet(seed=3)
