"""The plan picture and the command line."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.patches import FancyBboxPatch
from matplotlib.text import Text
from PIL import Image

from matching import Instance, render_plan_png, solve
from matching import examples as ex
from matching.cli import main
from matching.picture import plan_figure
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


NAMES = {
    "e1": "Marie-Christine (Boulangerie Pâtisserie du Vieux-Lille)",
    "e2": "Jean-Baptiste (Clinique des Alpes)",
    "e3": "Nora (Garage Central)",
    "c1": "Éloïse",
    "c2": "Maximilien-Alexandre",
    "c3": "Anne-Sophie",
    "c4": "Awa",
    "c5": "Kévin",
    "c6": "Wladyslawaleksandrowiczowna-Brzęczyszczykiewicz",  # longer than any line
}
SITES = {"s1": "Lille Centre", "s2": "Roubaix"}
STARTS = datetime(2027, 3, 12, 12, 30, tzinfo=UTC)  # 13 h 30 in Paris


def _named_instance() -> Instance:
    sectors = {"e1": ["E"], "e2": ["C"], "c1": ["E"], "c2": ["C"], "c3": ["D"]}
    return Instance.from_dict(
        {
            "event": {
                "employers_per_room": 1,
                "candidates_per_room": 2,
                "rounds": 2,
                "sites": [{"id": "s1", "rooms": 2}, {"id": "s2", "rooms": 1}],
            },
            "employers": [
                {"id": e, "sites": ["s1", "s2"], "sectors": sectors.get(e, []), "name": NAMES[e]}
                for e in ("e1", "e2", "e3")
            ],
            "candidates": [
                {"id": c, "site": "s1" if c < "c4" else "s2", "sectors": sectors.get(c, [])}
                | {"name": NAMES[c]}
                for c in ("c1", "c2", "c3", "c4", "c5", "c6")
            ],
        }
    )


def test_picture_title_sites_full_names_and_sector_numbers() -> None:
    instance = _named_instance()
    plan = solve(instance, time_limit=2)
    heading: dict[str, Any] = {
        "event_name": "Ose ton projet",
        "starts_at": STARTS,
        "timezone": "Europe/Paris",
        "round_minutes": 30,
        "site_names": SITES,
    }
    figure = plan_figure(instance, plan, **heading)
    FigureCanvasAgg(figure)
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    figure.draw(renderer)
    # In drawing order: title first, then each box whole, so wrapped lines follow each other.
    texts = [text for text in figure.findobj(Text) if text.get_text()]
    strings = [text.get_text().replace("\n", " ") for text in texts]

    moment = t("{day} at {hour} h {minute:02d}", day="vendredi 12 mars 2027", hour=13, minute=30)
    assert strings[0] == t("{event} — {moment}", event="Ose ton projet", moment=moment)
    assert t("from {start} to {end}", start="13 h 30", end="14 h 00") in strings
    assert t("from {start} to {end}", start="14 h 00", end="14 h 30") in strings

    room_titles = [s for s in strings if contains(s, "{site} · room {room}")]
    # A title too long for the box wraps onto two lines: join those back to read it.
    joined = " ".join(strings)
    for site in SITES.values():
        assert t("{site} · room {room}", site=site, room=1) in joined
    assert not any(s.startswith(("s1 ", "s2 ")) for s in strings), room_titles

    # Every name is whole (wrapped between words, never cut), except a word longer than a line.
    for key, name in NAMES.items():
        if key != "c6" and plan.rooms_of(key):
            assert name in joined, name
    long_name = [s for s in strings if s.startswith("Wladyslaw")]
    assert long_name and all(s.endswith("…") and len(s) < len(NAMES["c6"]) for s in long_name)
    assert [s for s in strings if "…" in s] == long_name

    # Sector marks are numbers (key at the bottom): only role marks are the letters E and C.
    letters = [s for s in strings if len(s) == 1 and s.isalpha()]
    assert set(letters) <= {"E", "C"}
    seats = [(key, rp.round) for rp in plan.rounds for room in rp.rooms for key in room.employers]
    assert letters.count("E") == len(seats)
    assert "5" in strings and "3" in strings  # Communication (E) and Banque (C) as numbers
    assert contains(
        joined, "E = employer (in bold), C = candidate · Number in the square = sector (ROME):"
    )

    # Large type: a name line is at least 18 pixels high; each name stays inside its box.
    boxes = [patch.get_window_extent(renderer) for patch in figure.findobj(FancyBboxPatch)]
    name_lines = [
        text
        for text in texts
        if len(text.get_text()) > 2
        and any(text.get_text().replace("\n", " ") in name for name in NAMES.values())
    ]
    assert len(name_lines) >= len(NAMES) - 1  # everyone seated, in one or two rounds
    assert any("\n" in text.get_text() for text in name_lines)  # a long name wraps
    for text in name_lines:
        extent = text.get_window_extent(renderer)
        assert extent.height >= 18, (text.get_text(), extent.height)
        box = next(b for b in boxes if b.x0 <= extent.x0 <= b.x1 and b.y0 <= extent.y0 <= b.y1)
        assert extent.x1 <= box.x1 and extent.y0 >= box.y0, text.get_text()

    png = render_plan_png(instance, plan, **heading)
    image = Image.open(io.BytesIO(png))
    width, height = figure.get_size_inches() * figure.dpi
    assert image.size == (round(width), round(height))  # drawn at full size, not shrunk
    assert image.width >= 760


def test_picture_long_title_wraps_and_dollars_stay_text(minimal_dict) -> None:
    minimal_dict["candidates"][0]["name"] = "Awa $x$"
    instance = Instance.from_dict(minimal_dict)
    name = "Forum de l'emploi et de l'alternance des quartiers nord, édition de printemps " * 2
    figure = plan_figure(instance, solve(instance), event_name=name.strip(), starts_at=STARTS)
    title = next(text for text in figure.findobj(Text) if text.get_text())
    assert "\n" in title.get_text()  # wrapped onto several lines, not a wider picture
    assert title.get_text().replace("\n", " ").startswith(name.strip())
    assert figure.get_size_inches()[0] * figure.dpi <= 1100
    names = [text for text in figure.findobj(Text) if text.get_text() == "Awa $x$"]
    assert names and not any(text.get_parse_math() for text in names)
