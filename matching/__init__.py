"""Passerelle matching engine: who sits with whom, in which room, at which round.

A pure library (no Telegram, no database): build an :class:`Instance`, call :func:`solve`,
check with :func:`check_plan`, show with :func:`render_plan_png`.

The solver (SciPy, NetworkX) and the picture (matplotlib) are loaded the first time they
are used, not on `import matching`: they take about a second to load, and the bot, which
needs them only to plan, starts that much sooner (after a crash, too). Use them as
`matching.solve(...)`; `from matching import solve` loads them at once.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from matching.model import Instance, InstanceError, Plan, load_instance
from matching.validate import check_plan
from matching.weights import Weights

if TYPE_CHECKING:
    from matching.picture import render_plan_png
    from matching.replanning import replan
    from matching.score import score_plan
    from matching.solver import solve

_LOADED_ON_USE = {
    "render_plan_png": "matching.picture",
    "replan": "matching.replanning",
    "score_plan": "matching.score",
    "solve": "matching.solver",
}

__all__ = [
    "Instance",
    "InstanceError",
    "Plan",
    "Weights",
    "check_plan",
    "load_instance",
    "render_plan_png",
    "replan",
    "score_plan",
    "solve",
]


def __getattr__(name: str) -> object:
    """`matching.solve` and the others of `_LOADED_ON_USE`, loaded on first use."""
    module = _LOADED_ON_USE.get(name)
    if module is None:
        raise AttributeError(f"module 'matching' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
