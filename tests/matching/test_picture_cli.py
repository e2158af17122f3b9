"""The plan picture and the command line."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from matching import Instance, render_plan_png, solve
from matching import examples as ex
from matching.cli import main
from tests.helpers.texts import contains, pattern, t


@pytest.mark.parametrize(
    "data",
    [
        ex.ose_ton_projet(seed=1),
        ex.emploi_booster(seed=1),
        ex.random_instance(
            240,
            60,
            employers_per_room=1,
            candidates_per_room=1,
            rounds=8,
            sites=[("a", 30), ("b", 30)],
            seed=1,
            explicit_affinity=True,
        ),
    ],
    ids=["ose", "booster", "8-rounds-60-rooms"],
)
def test_picture_decodes_and_is_not_blank(data: dict) -> None:
    inst = Instance.from_dict(data)
    plan = solve(inst, time_limit=3)
    png = render_plan_png(inst, plan)
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG"
    assert 600 <= image.width <= 4000 and 300 <= image.height <= 4000
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 20


def test_picture_uses_names(minimal_dict) -> None:
    minimal_dict["candidates"][0]["name"] = "Awa"
    inst = Instance.from_dict(minimal_dict)
    assert render_plan_png(inst, solve(inst)) != render_plan_png(
        Instance.from_dict(
            {
                **minimal_dict,
                "candidates": [{**c, "name": None} for c in minimal_dict["candidates"]],
            }
        ),
        solve(inst),
    )


def _write(tmp_path: Path, data: object, name: str = "inst.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["candidates"][1].update(site="geneve"),
            pattern('{where}: unknown site "{id}"', where="candidates[1].site", id="geneve"),
        ),
        (
            lambda d: d["employers"].append({"id": "e1", "sites": ["*"]}),
            pattern('{where}: duplicate identifier "{id}"', where="employers[2].id"),
        ),
        (lambda d: d["event"]["sites"][0].update(rooms=-2), "event.sites[0].rooms"),
        (lambda d: d["candidates"][0].update(wishes=["e42"]), "candidates[0].wishes[0]"),
        (lambda d: d["affinity"]["c1"].update(e1=2), "affinity.c1.e1"),
        (
            lambda d: d["employers"][0].pop("sites"),
            pattern("{where}: required field missing", where="employers[0].sites"),
        ),
    ],
)
def test_cli_refuses_malformed_files(
    tmp_path, capsys, minimal_dict, mutate, expected: str | re.Pattern[str]
) -> None:
    mutate(minimal_dict)
    code = main([str(_write(tmp_path, minimal_dict))])
    err = capsys.readouterr().err
    assert code == 2
    # A path in the file (data), or the engine's message about it (through the catalogs).
    assert expected.search(err) if isinstance(expected, re.Pattern) else expected in err
    assert "Traceback" not in err


def test_cli_refuses_bad_json_and_missing_file(tmp_path, capsys) -> None:
    assert main([str(_write(tmp_path, "{nope"))]) == 2
    bad_json = "{where}: invalid JSON line {line}, column {column} ({error})"
    assert contains(capsys.readouterr().err, bad_json)
    assert main([str(tmp_path / "absent.json")]) == 2
    assert contains(capsys.readouterr().err, "{where}: cannot read the file ({error})")


def test_cli_writes_plan_and_picture(tmp_path, capsys) -> None:
    instance = _write(tmp_path, ex.emploi_booster(seed=2))
    out, pic = tmp_path / "plan.json", tmp_path / "plan.png"
    code = main([str(instance), "-o", str(out), "--seed", "3", "--picture", str(pic)])
    assert code == 0
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert {"rounds", "waiting", "score"} <= set(plan)
    assert plan["rounds"][0]["rooms"][0]["employers"]
    assert pic.read_bytes().startswith(b"\x89PNG")
    summary = capsys.readouterr().out
    ready = "Plan ready: {rounds} round(s), {rooms} room(s), {people} person(s) convened."
    assert contains(summary, ready) and contains(summary, "Score: {score}.")


def test_python_dash_m_matching(tmp_path) -> None:
    instance = _write(tmp_path, ex.cohort(seed=1))
    bad = _write(tmp_path, {"event": {}}, "bad.json")
    ok = subprocess.run(
        [sys.executable, "-m", "matching", str(instance)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert ok.returncode == 0 and t("Everyone has a seat.") in ok.stdout
    ko = subprocess.run(
        [sys.executable, "-m", "matching", str(bad)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert ko.returncode == 2 and "event.employers_per_room" in ko.stderr
