"""Layer direction, read from the source (the AST), so a wrong import fails here, not in review.

- `matching` imports nothing of `bot`: it is a pure optimisation library.
- `bot.services` never imports `bot.handlers`: handlers call services, not the reverse.
- `bot.outbox` and `bot.db` import neither `bot.services` nor `bot.handlers`: services call
  the outbox and the database, never the reverse.
- `bot.callbacks` (the button codec, shared by handlers and services) imports neither.
- Under `bot/` and `matching/`, imports sit at module level: none inside a function or class
  (an `if TYPE_CHECKING:` block at module level is fine), so the rules above see every one.
- No import of our own code is guarded by `try/except ImportError` (or anything catching it),
  and there is no dynamic import (`importlib.import_module`, `__import__`): a missing module
  must fail loudly, and a cycle must be fixed, not hidden. One form is allowed, loading on
  first use what is slow to load (`matching.solve`): a package's module-level `__getattr__`
  (PEP 562) may import modules named by literal strings, each also imported under
  `if TYPE_CHECKING:` in that file, so the rules above and the type checker see it.

Each failure lists `file:line` and the import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "matching")
OUR_CODE = ("bot", "matching")

# (importing package, packages it must not import, why)
RULES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("matching", ("bot",), "the matching engine is a pure library"),
    ("bot.services", ("bot.handlers",), "handlers call services, never the reverse"),
    ("bot.outbox", ("bot.services", "bot.handlers"), "services call the outbox, not the reverse"),
    ("bot.db", ("bot.services", "bot.handlers"), "services call the database, not the reverse"),
    ("bot.callbacks", ("bot.services", "bot.handlers"), "the codec sits below both"),
)

# Files of other work in progress that still import inside a function. Each entry is an
# exception to `test_imports_sit_at_module_level` only; remove it when its file is fixed
# (`test_allow_list_has_no_stale_entry` fails until then). The goal is an empty dict.
NESTED_IMPORTS_ALLOWED: dict[str, str] = {}

NESTING = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}
DYNAMIC = {"import_module", "__import__"}


@dataclass(frozen=True)
class Found:
    path: str  # relative to the repository, with `/`
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


@dataclass(frozen=True)
class Import:
    path: str
    line: int
    module: str  # the importing module, dotted
    targets: tuple[str, ...]  # what it may import: `from a import b` gives `a` and `a.b`
    nested: bool  # inside a function or a class body
    source: str


def _module_of(path: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> tuple[str, ...]:
    if isinstance(node, ast.Import):
        return tuple(alias.name for alias in node.names)
    base = _resolve(node, module, is_package)
    return (base, *(f"{base}.{alias.name}" for alias in node.names))


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _is_ours(name: str) -> bool:
    return any(_within(name, package) for package in OUR_CODE)


@cache
def _sources() -> tuple[tuple[str, Path, ast.Module], ...]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            found.append((relative, path, ast.parse(path.read_text("utf-8"), relative)))
    return tuple(found)


def _walk(node: ast.AST, nested: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(node):
        yield child, nested
        yield from _walk(child, nested or isinstance(child, NESTING))


@cache
def imports() -> tuple[Import, ...]:
    found = []
    for relative, path, tree in _sources():
        module, is_package = _module_of(path)
        for node, nested in _walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.append(
                    Import(
                        relative,
                        node.lineno,
                        module,
                        _targets(node, module, is_package),
                        nested,
                        ast.unparse(node),
                    )
                )
    return tuple(found)


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    names = {
        kind.attr if isinstance(kind, ast.Attribute) else getattr(kind, "id", "") for kind in kinds
    }
    return bool(names & IMPORT_ERRORS)


def _report(found: list[Found], rule: str) -> None:
    assert not found, f"{rule}:\n" + "\n".join(f"  {item}" for item in found)


# -- the tests ------------------------------------------------------------------------------


def test_layers_point_down() -> None:
    found = [
        Found(item.path, item.line, f"{item.source}  ({why})")
        for item in imports()
        for package, forbidden, why in RULES
        if _within(item.module, package)
        and any(_within(target, banned) for target in item.targets for banned in forbidden)
    ]
    _report(found, "Imports against the layer direction")


def test_imports_sit_at_module_level() -> None:
    found = [
        Found(item.path, item.line, item.source)
        for item in imports()
        if item.nested and item.path not in NESTED_IMPORTS_ALLOWED
    ]
    _report(found, "Imports inside a function or class (move them to the top of the module)")


def _loads_on_first_use(relative: str, tree: ast.Module, call: ast.Call) -> bool:
    """`call` sits in a package's module-level `__getattr__`, and every module of ours that
    the file names in a string is also imported there (under `if TYPE_CHECKING:`)."""
    getattrs = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__"
    ]
    if not relative.endswith("/__init__.py") or not any(
        call in ast.walk(function) for function in getattrs
    ):
        return False
    named = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _is_ours(node.value)
    }
    imported = {target for item in imports() if item.path == relative for target in item.targets}
    return bool(named) and named <= imported


def test_no_import_fallbacks_or_dynamic_imports() -> None:
    found: list[Found] = []
    for relative, _path, tree in _sources():
        for node, _nested in _walk(tree):
            if isinstance(node, ast.Try | ast.TryStar) and any(
                _catches_import_error(handler) for handler in node.handlers
            ):
                guarded = [
                    inner
                    for statement in node.body
                    for inner in ast.walk(statement)
                    if isinstance(inner, ast.Import | ast.ImportFrom)
                ]
                for inner in guarded:
                    if isinstance(inner, ast.ImportFrom):
                        ours = bool(inner.level) or _is_ours(inner.module or "")
                    else:
                        ours = any(_is_ours(alias.name) for alias in inner.names)
                    if ours:
                        found.append(
                            Found(relative, inner.lineno, f"{ast.unparse(inner)} (guarded by try)")
                        )
            if isinstance(node, ast.Call):
                callee = node.func
                name = (
                    callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
                )
                if name in DYNAMIC and not _loads_on_first_use(relative, tree, node):
                    found.append(Found(relative, node.lineno, f"{ast.unparse(node)} (dynamic)"))
    _report(found, "Imports of our code that may silently fail, or that this test cannot see")


def test_allow_list_has_no_stale_entry() -> None:
    nested = {item.path for item in imports() if item.nested}
    stale = sorted(path for path in NESTED_IMPORTS_ALLOWED if path not in nested)
    assert not stale, f"No nested import left: remove from NESTED_IMPORTS_ALLOWED: {stale}"


def test_the_checks_see_imports() -> None:
    """Guards the test itself: it parses every module and resolves relative imports."""
    modules = {item.module for item in imports()}
    assert {"bot.services.attendance", "bot.handlers.plan", "matching.solver"} <= modules
    tree = ast.parse("from . import store\nfrom ..services import people\n")
    first, second = tree.body
    assert isinstance(first, ast.ImportFrom) and isinstance(second, ast.ImportFrom)
    assert _targets(first, "bot.outbox", True) == ("bot.outbox", "bot.outbox.store")
    assert _targets(second, "bot.outbox.store", False) == ("bot.services", "bot.services.people")
