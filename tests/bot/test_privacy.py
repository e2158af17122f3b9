"""Data rights: the notice, a readable copy of one's data, and erasure that leaves no trace."""

from __future__ import annotations

import asyncio
import sqlite3

from bot.config import Settings
from bot.sandbox.client import SandboxClient
from tests.bot.test_signup_candidate import (
    CONSENT,
    JOB_Q,
    asked,
    eventually,
    make_event,
    png,
    sign_up_candidate,
    tap,
)
from tests.conftest import BotRunner, Sql


def every_cell(sql: Sql) -> list[tuple[str, str, object]]:
    """(table, column, value) for every cell of every table of the database."""
    with sqlite3.connect(sql.path, timeout=30) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'"
            )
        ]
        cells = []
        for table in tables:
            cursor = connection.execute(f'select * from "{table}"')
            columns = [description[0] for description in cursor.description]
            for row in cursor:
                cells += [
                    (table, column, value) for column, value in zip(columns, row, strict=True)
                ]
    return cells


def traces(sql: Sql, *needles: object) -> list[tuple[str, str, object]]:
    """Cells that hold (or contain, for text and JSON) any of `needles`."""
    found = []
    for table, column, value in every_cell(sql):
        if table == "alembic_version":
            continue
        for needle in needles:
            if value == needle or (
                isinstance(value, str) and isinstance(needle, str) and needle in value
            ):
                found.append((table, column, value))
    return found


async def test_privacy_notice(bot_runner: BotRunner, client: SandboxClient) -> None:
    user = client.user(4001, first_name="Nora")
    await user.command("confidentialite")
    notice = await asked(user, "Vos données chez Passerelle")
    assert "/mesdonnees" in notice.text and "/supprimer" in notice.text


async def test_my_data_file_lists_everything_in_french(
    bot_runner: BotRunner, client: SandboxClient, settings: Settings
) -> None:
    codes = await make_event(settings, sites=("Lille Centre", "Roubaix"))
    omar = client.user(4002, first_name="Omar")
    await omar.command("mesdonnees")
    await asked(omar, "Nous ne gardons rien sur vous")
    await sign_up_candidate(omar, codes.candidate, photo=png(), site="Roubaix")
    await tap(omar, "✅ C'est bon")
    await asked(omar, "vous êtes inscrit·e")
    await omar.command("mesdonnees")
    document = await omar.wait_for(
        lambda m: m.kind == "document" and m.filename is not None and m.filename.endswith(".txt")
    )
    assert document.document is not None
    text = document.document.decode("utf-8")
    for expected in (
        "Prénom : Omar",
        "Âge : 26-35",
        "Secteurs : Santé",
        "Métier visé : Aide-soignante",
        "Compétences : Accueil du public",
        "Savoir-être : Patient·e",
        "Accompagnement : COI",
        "Ose ton projet",
        "Site : Roubaix",
        "Photo : oui",
        "Statut : registered",
    ):
        assert expected in text, expected
    photo = await omar.wait_for(lambda m: m.filename == "ma-photo.jpg")
    assert photo.document and photo.document[:2] == b"\xff\xd8"


async def test_erase_leaves_nothing_about_the_person(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings)
    paula = client.user(4003, first_name="Paulabelle")
    await sign_up_candidate(paula, codes.candidate, photo=png())
    await tap(paula, "✅ C'est bon")
    await asked(paula, "vous êtes inscrit·e")
    person_id = sql.scalar("select id from people where telegram_id = 4003")
    # An employer who wished to meet her, and a message waiting in the outbox for her.
    employer = client.user(4004, first_name="Quentin")
    await employer.command("start", codes.employer)
    await tap(employer, "J'accepte")
    await tap(employer, "C'est bien moi : Quentin")
    for answer in ("Hôpital Nord", "DRH"):
        await asyncio.sleep(0.2)
        await employer.send(answer)
    await tap(employer, "Santé")
    await tap(employer, "➡️ Valider")
    await asked(employer, "Quels métiers")
    await employer.send("Aide-soignant·e")
    await tap(employer, "Lille Centre")
    await tap(employer, "➡️ Valider")
    await tap(employer, "2")
    await tap(employer, "Paulabelle")
    await tap(employer, "➡️ Valider")
    await tap(employer, "✅ C'est bon")
    await asked(employer, "vous êtes inscrit·e")
    assert sql.scalar("select wishes from registrations where role = 'employer'") == (
        f"[{person_id}]"
    )
    await sql.write(
        "insert into outbox (idempotency_key, chat_id, person_id, event_id, kind, payload,"
        " send_after, status, attempts, created_at) values"
        " ('convocation:1', 4003, ?, ?, 'convocation', '{}', '2030-01-01', 'pending', 0,"
        " '2030-01-01')",
        person_id,
        codes.event_id,
    )
    # She starts another sign-up and leaves a draft in the middle.
    other = await make_event(settings, name="Autre événement")
    await paula.command("start", other.candidate)
    await tap(paula, "J'accepte")
    await tap(paula, "C'est bien moi : Paulabelle")
    await tap(paula, "18-25")
    await tap(paula, "Santé")
    await tap(paula, "➡️ Valider")
    await asked(paula, JOB_Q)
    assert await eventually(lambda: bool(traces(sql, "Paulabelle")))

    await paula.command("supprimer")
    await asked(paula, "Voulez-vous vraiment effacer")
    await tap(paula, "Non, garder")
    await asked(paula, "Rien n'a été effacé")
    assert sql.scalar("select count(*) from people where telegram_id = 4003") == 1
    await paula.command("supprimer")
    await tap(paula, "Oui, tout effacer")
    await asked(paula, "toutes vos données sont effacées")
    assert await eventually(lambda: traces(sql, 4003, "Paulabelle", "4003") == [])
    assert sql.scalar("select count(*) from registrations where person_id = ?", person_id) == 0
    assert sql.scalar("select count(*) from candidate_profiles where person_id = ?", person_id) == 0
    assert sql.scalar("select count(*) from outbox where person_id = ?", person_id) == 0
    assert sql.scalar("select wishes from registrations where role = 'employer'") == "[]"
    assert sql("select role, count from deletion_counts") == [("candidate", 1)]
    assert sql.scalar("select count(*) from people where telegram_id = 4004") == 1

    # Her old buttons and the draft are gone; the bot says so and stores nothing again.
    await paula.send("Infirmière")
    await asked(paula, "Cette inscription n'est plus en cours")
    await paula.press_data("erase:yes")
    await asked(paula, "Rien à effacer")
    await asyncio.sleep(0.2)
    assert traces(sql, 4003, "Paulabelle", "4003") == []
    assert sql("select role, count from deletion_counts") == [("candidate", 1)]


async def test_idle_signup_is_closed_politely_and_forgotten(
    client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    """An idle sign-up is closed politely (timeout shortened for the test)."""
    fast = settings.model_copy(update={"conversation_timeout_minutes": 1.5 / 60})
    runner = BotRunner(fast)
    await runner.start()
    try:
        codes = await make_event(fast)
        rita = client.user(4005, first_name="Rita")
        await rita.command("start", codes.candidate)
        await asked(rita, CONSENT)
        await tap(rita, "J'accepte")
        await asked(rita, "Quel est votre prénom")
        closed = await asked(rita, "j'ai donc fermé cette inscription", timeout=6)
        assert "Rien n'a été enregistré" in closed.text
        assert await eventually(
            lambda: sql.scalar("select count(*) from persisted_state where key like '%4005%'") == 0
        )
        assert sql.scalar("select count(*) from people where telegram_id = 4005") == 0
    finally:
        await runner.stop()
