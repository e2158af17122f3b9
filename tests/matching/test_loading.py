"""`matching` loads its solver and its picture on first use (see the package docstring)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys

import matching


def test_import_matching_leaves_scipy_and_matplotlib_for_later() -> None:
    code = (
        "import sys, matching\n"
        "print(sorted(m for m in ('scipy', 'matplotlib', 'networkx') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"


def test_each_public_name_is_what_it_says_even_once_every_module_is_loaded() -> None:
    """A module imported as `matching.x` becomes the package's attribute `x`: a function
    loaded on first use must not share its name with a module."""
    for module in pkgutil.iter_modules(matching.__path__):
        if module.name != "__main__":
            importlib.import_module(f"matching.{module.name}")
    for name in matching.__all__:
        value = getattr(matching, name)
        assert not inspect.ismodule(value), name
