"""The offline demo end to end: the real bot, its own sandbox, the whole event in one run."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from bot.config import Settings
from bot.demo import DEMO_CANDIDATE_ID, DEMO_DATABASE, DEMO_FOLDER, run_demo
from tests.helpers.texts import contains, pattern, pattern_n, t


def _rows(path: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return list(connection.execute(query))


async def test_demo_plays_the_whole_event(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    # A previous run's leftovers (here: not even a database) must not get in the way.
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / DEMO_DATABASE).write_bytes(b"not a database")
    (settings.data_dir / DEMO_FOLDER).mkdir()
    (settings.data_dir / DEMO_FOLDER / "old.png").write_bytes(b"old")

    assert await run_demo(settings) == 0
    out = capsys.readouterr().out

    event = "Ose ton projet"
    # The transcript's own marks ("👤 name : action") are the demo's layout, not catalog lines.
    expected: list[str | re.Pattern[str]] = [
        pattern(
            "Demo database: {database} (deleted at each start; the bot's own database, "
            "{normal}, is not touched)."
        ),
        "👤 Sophie : /evenement",
        t("✅ The event “{name}” is created.", name=event),
        pattern(
            "For candidates: {link}",
            link=re.compile(r"https://t\.me/passerelle_bot\?start=c_[\w-]+"),
        ),
        "👤 Amina : /start c_",
        t("Thank you {name}, you are signed up for “{event}”!", name="Amina", event=event),
        pattern(
            "{candidates} more candidates ({names}) and {employers} employers ({companies}) "
            "signed up the same way, from the links ({seconds:.0f} s, not shown).",
            candidates=3,
        ),
        "👤 Amina : /profil",
        "👤 Sophie : /plan",
        pattern_n(
            "Published: {count} convocation is on its way.",
            "Published: {count} convocations are on their way.",
            8,
        ),
        t("<b>Your convocation: {event}</b>", event=event),
        f"👤 Amina : [{t('I confirm I will come')}]",
        t("Thank you! Your attendance is confirmed for {event}. See you soon.", event=event),
        t(
            "People: {candidates} candidates, {employers} employers, {staff} staff",
            candidates=4,
            employers=4,
            staff=1,
        ),
        pattern("Demo finished in {seconds:.0f} s."),
    ]

    def position(text: str | re.Pattern[str]) -> int:
        if isinstance(text, str):
            return out.find(text)
        found = text.search(out)
        return found.start() if found else -1

    positions = [position(text) for text in expected]
    assert all(position >= 0 for position in positions), [
        text for text, position in zip(expected, positions, strict=True) if position < 0
    ]
    assert positions == sorted(positions)  # in the order a newcomer reads them
    assert t("<b>Please check your answers</b>") in out  # Amina's sign-up is printed in full...
    assert "Boulangerie du Lac" in out and not contains(
        out, "What is the name of your company or organisation?"
    )  # ...not the rest

    database = settings.data_dir / DEMO_DATABASE
    # The bot's own database and files are untouched: the demo keeps to its own.
    assert sorted(path.name for path in settings.data_dir.iterdir()) == [DEMO_FOLDER, DEMO_DATABASE]
    assert _rows(database, "select role, count(*) from people group by role order by role") == [
        ("candidate", 4),
        ("employer", 4),
        ("staff", 1),
    ]
    assert _rows(database, "select name, status from events") == [("Ose ton projet", "open")]
    assert _rows(database, "select name, rooms from sites") == [("Espace Riponne", 2)]
    assert _rows(database, "select count(*) from registrations") == [(8,)]
    assert _rows(
        database,
        "select r.status from registrations r join people p on p.id = r.person_id "
        f"where p.telegram_id = {DEMO_CANDIDATE_ID}",
    ) == [("confirmed",)]
    assert _rows(database, "select count(*) from plans where published_at is not null") == [(1,)]
    assert _rows(
        database, "select count(*) from outbox where kind = 'convocation' and status = 'sent'"
    ) == [(8,)]

    folder = settings.data_dir / DEMO_FOLDER
    files = {path.name for path in folder.iterdir()}
    assert {"qr-candidats.png", "qr-employeurs.png", "fiche-amina.png", "plan.png"} <= files
    assert "old.png" not in files
    for name in ("qr-candidats.png", "fiche-amina.png", "plan.png"):
        assert (folder / name).read_bytes().startswith(b"\x89PNG")
        assert str(folder / name) in out
