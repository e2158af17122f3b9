"""The offline demo end to end: the real bot, its own sandbox, the whole event in one run."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.config import Settings
from bot.demo import DEMO_CANDIDATE_ID, DEMO_DATABASE, DEMO_FOLDER, run_demo


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

    expected = [
        "Base de la démo :",
        "👤 Sophie : /evenement",
        "L'événement « Ose ton projet » est créé.",
        "Pour les candidat·e·s : https://t.me/passerelle_bot?start=c_",
        "👤 Amina : /start c_",
        "Merci Amina, vous êtes inscrit·e à « Ose ton projet »",
        "3 autres candidat·e·s",
        "👤 Amina : /profil",
        "👤 Sophie : /plan",
        "Publié : 8 convocations partent.",
        "Votre convocation : Ose ton projet",
        "👤 Amina : [Je confirme ma présence]",
        "Votre présence est confirmée",
        "Personnes : 4 candidat·e·s, 4 employeur·se·s, 1 de l'équipe",
        "Démo terminée",
    ]
    positions = [out.find(text) for text in expected]
    assert all(position >= 0 for position in positions), [
        text for text, position in zip(expected, positions, strict=True) if position < 0
    ]
    assert positions == sorted(positions)  # in the order a newcomer reads them
    assert "Vérifiez vos réponses" in out  # Amina's sign-up is printed in full...
    assert (
        "Boulangerie du Lac" in out and "Quel est le nom de votre entreprise" not in out
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
