"""Weights of the affinity formula, in one place so staff and tests can tune them.

The formula itself is documented in :mod:`matching.affinity`. An instance may override
any field under an optional ``"weights"`` key; unknown keys are refused so a typo is
never silently ignored.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from matching.i18n import translator


@dataclass(frozen=True)
class Weights:
    """Tunable weights; every value must be >= 0."""

    # Candidate–employer affinity = weighted mean of four parts, each in [0, 1].
    sector: float = 0.30
    job: float = 0.35
    skills: float = 0.10
    wish: float = 0.25
    # Value of the wish part: a mutual wish is strongest, then one-sided wishes.
    mutual_wish: float = 1.0
    candidate_wish: float = 0.6
    employer_wish: float = 0.5
    # Bonus per pair of employers sharing a room, times their sector diversity
    # (Ose ton projet wants a mix of sectors). Not used with explicit affinity.
    employer_mix: float = 0.2
    # Candidate–candidate diversity (groups without employers): weighted mean.
    diversity_sector: float = 0.5
    diversity_age: float = 0.25
    diversity_programme: float = 0.25
    # Penalty for two candidates sharing a group again in a later round.
    repeat_penalty: float = 2.0
    # A candidate–employer affinity at or above this is a "good match".
    good_match: float = 0.5

    @classmethod
    def from_dict(cls, data: Any, where: str = "weights", language: str = "fr") -> Weights:
        """Build from a JSON object; raise ValueError naming the faulty key (in ``language``)."""
        _ = translator(language)
        if not isinstance(data, dict):
            raise ValueError(_("{where}: an object is expected", where=where))
        known = {f.name for f in fields(cls)}
        values: dict[str, float] = {}
        for key, value in data.items():
            if key not in known:
                raise ValueError(_("{where}: unknown weight", where=f"{where}.{key}"))
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(
                    _("{where}: a number zero or above is expected", where=f"{where}.{key}")
                )
            values[key] = float(value)
        return cls(**values)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)
