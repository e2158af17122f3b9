"""Passerelle matching engine: who sits with whom, in which room, at which round.

A pure library (no Telegram, no database): build an :class:`Instance`, call :func:`solve`,
check with :func:`check_plan`, show with :func:`render_plan_png`.
"""

from matching.model import Instance, InstanceError, Plan, load_instance
from matching.picture import render_plan_png
from matching.replan import replan
from matching.solver import solve
from matching.validate import check_plan
from matching.weights import Weights

__all__ = [
    "Instance",
    "InstanceError",
    "Plan",
    "Weights",
    "check_plan",
    "load_instance",
    "render_plan_png",
    "replan",
    "solve",
]
