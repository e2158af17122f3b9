"""The engine's texts come from the catalogs: French by default, another language on request."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from matching import Instance, InstanceError, Plan, check_plan, solve
from matching import examples as ex
from matching.cli import summary
from matching.i18n import sector_labels, translator
from matching.model import WITHDRAWN_REASON
from tests.helpers.texts import pattern, t, tn

MATCHING = Path(__file__).resolve().parents[2] / "matching"
FRENCH_LETTERS = set("àâçéèêëîïôûùüÿœ«»")
WAITING = ("Waiting list: {count} person.", "Waiting list: {count} people.")


def _crowded() -> Instance:
    data = ex.cohort(seed=7, n=15)
    data["withdrawn"] = [data["candidates"][0]["id"]]
    return Instance.from_dict(data)


def test_reasons_and_rules_are_french_by_default_and_english_on_request() -> None:
    inst = _crowded()
    french = solve(inst, seed=1)
    english = solve(inst, seed=1, language="en")
    assert [w.id for w in french.waiting] == [w.id for w in english.waiting]
    withdrawn = inst.candidates[0].id
    reasons = {w.id: w.reason for w in french.waiting}
    assert reasons[withdrawn] == t(WITHDRAWN_REASON) != WITHDRAWN_REASON
    assert {w.id: w.reason for w in english.waiting}[withdrawn] == WITHDRAWN_REASON
    others = [w.reason for w in english.waiting if w.id != withdrawn]
    assert others and all("waiting list (rule:" in r and "seed 1" in r for r in others)

    broken = Plan.from_dict(french.to_dict())
    broken.rounds[0].rooms[0].candidates.append(withdrawn)
    has_withdrawn = pattern('{where}: "{person}" has withdrawn', person=withdrawn)
    assert any(has_withdrawn.fullmatch(p) for p in check_plan(inst, broken))
    assert any(
        p.endswith(f'"{withdrawn}" has withdrawn') for p in check_plan(inst, broken, language="en")
    )


def test_instance_errors_and_summary_follow_the_language() -> None:
    data = ex.cohort(seed=1)
    data["candidates"][1]["site"] = "geneve"
    with pytest.raises(InstanceError, match=r'candidates\[1\]\.site: unknown site "geneve"'):
        Instance.from_dict(data, language="en")
    with pytest.raises(InstanceError, match=pattern('{where}: unknown site "{id}"', id="geneve")):
        Instance.from_dict(data)
    assert tn(*WAITING, 2) in summary(solve(_crowded(), seed=1))
    english = solve(_crowded(), seed=1, language="en")
    assert "Waiting list: 2 people." in summary(english, language="en")


def test_plural_forms_and_unknown_languages() -> None:
    fr = translator("fr-CH")
    assert fr.n(*WAITING, 1) == tn(*WAITING, 1) != WAITING[0].format(count=1)
    assert translator("xx")("round {number}", number=3) == "round 3"
    assert dict(sector_labels("fr"))["J"] == "Santé" and len(sector_labels()) == 14


def test_no_french_literal_left_in_the_engine_code() -> None:
    """User text is in `locales/`; only the matching data tables may hold French words."""
    data_modules = {"textnorm.py", "examples.py"}
    found = []
    for path in sorted(MATCHING.glob("*.py")):
        if path.name in data_modules:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and FRENCH_LETTERS & set(node.value)
            ):
                found.append((path.name, node.lineno, node.value))
    assert found == []


def test_the_engine_does_not_import_the_bot() -> None:
    code = (
        "import sys, matching.cli, matching.i18n; "
        "print(any(m.startswith('bot') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=MATCHING.parent,
        check=True,
    )
    assert result.stdout.strip() == "False"
