"""Employer sign-up end to end, wishes between both sides, and staff registering someone."""

from __future__ import annotations

import asyncio
import json

from bot.config import Settings
from bot.sandbox.client import SandboxClient
from tests.bot.test_signup_candidate import (
    CONSENT,
    DONE,
    NAME_Q,
    SUMMARY,
    asked,
    make_event,
    sign_up_candidate,
    tap,
)
from tests.conftest import STAFF_ID, BotRunner, Sql

COMPANY_Q = "nom de votre entreprise"
TITLE_Q = "Quelle est votre fonction"
SECTORS_Q = "Dans quels secteurs travaillez-vous"
JOBS_Q = "Quels métiers recrutez-vous"
WHERE_Q = "Où pouvez-vous venir"
HOW_MANY_Q = "Combien de candidat·e·s"
WISH_Q = "Voulez-vous rencontrer"


async def test_employer_signs_up_and_wishes_to_meet_a_candidate(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings, sites=("Lille Centre", "Roubaix"), remote_site=True)
    alice = client.user(2001, first_name="Alice")
    await sign_up_candidate(alice, codes.candidate, site="Lille Centre")
    await tap(alice, "✅ C'est bon")
    await asked(alice, "vous êtes inscrit·e")

    paul = client.user(2002, first_name="Paul")
    await paul.command("start", codes.employer)
    consent = await asked(paul, CONSENT)
    assert "entreprise" in consent.text
    await tap(paul, "J'accepte")
    await asked(paul, NAME_Q)
    await paul.send("Paul, Martin")
    await asked(paul, COMPANY_Q)
    await paul.send("Boulangerie Martin & Fils")
    await asked(paul, TITLE_Q)
    await paul.send("Gérant")
    await asked(paul, SECTORS_Q)
    await tap(paul, "Commerce et vente")
    await tap(paul, "Hôtellerie, restauration, tourisme")
    await tap(paul, DONE)
    await asked(paul, JOBS_Q)
    await paul.send("Boulanger, vendeur")
    where = await asked(paul, WHERE_Q)
    assert "Visio" not in where.button_labels  # the video site is the "remote" choice
    await tap(paul, DONE)  # nothing chosen: refused
    await tap(paul, "Roubaix")
    await tap(paul, "À distance (vidéo)")
    await tap(paul, DONE)
    await asked(paul, HOW_MANY_Q)
    await tap(paul, "3")
    wishes = await asked(paul, WISH_Q)
    assert wishes.button_labels[0] == "Alice"
    await tap(paul, "Alice")
    await tap(paul, DONE)
    summary = await asked(paul, SUMMARY)
    assert "Boulangerie Martin & Fils" in summary.text
    await tap(paul, "✅ C'est bon")
    await asked(paul, "vous êtes inscrit·e")

    person_id = sql.scalar("select id from people where telegram_id = 2002")
    alice_id = sql.scalar("select id from people where telegram_id = 2001")
    assert sql(
        "select company, job_title, sectors, jobs, max_candidates from employer_profiles"
    ) == [("Boulangerie Martin & Fils", "Gérant", '["D", "G"]', "Boulanger, vendeur", 3)]
    registration = sql(
        "select role, status, accepted_site_ids, remote, wishes from registrations"
        " where person_id = ?",
        person_id,
    )[0]
    roubaix = sql.scalar("select id from sites where name = 'Roubaix'")
    assert registration[:2] == ("employer", "registered")
    assert json.loads(registration[2]) == [roubaix]
    assert registration[3] == 1
    assert json.loads(registration[4]) == [alice_id]
    assert sql.scalar("select last_name from people where id = ?", person_id) == "Martin"


async def test_closed_or_unknown_links_store_nothing(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings)
    await sql.write("update events set status = 'closed' where id = ?", codes.event_id)
    zoe = client.user(2003, first_name="Zoé")
    await zoe.command("start", codes.employer)
    await asked(zoe, "sont closes")
    await zoe.command("start", "e_doesnotexist")
    await asked(zoe, "n'est pas valable")
    assert sql.scalar("select count(*) from people where telegram_id = 2003") == 0


async def test_event_closing_during_signup_stores_nothing(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings)
    yan = client.user(2004, first_name="Yan")
    await sign_up_candidate(yan, codes.candidate)
    await asked(yan, SUMMARY)
    await sql.write("update events set status = 'closed' where id = ?", codes.event_id)
    await tap(yan, "✅ C'est bon")
    await asked(yan, "ont fermé entre-temps")
    assert sql.scalar("select count(*) from registrations") == 0


async def test_staff_registers_someone_who_attaches_their_account_later(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    await make_event(settings, name="Cohorte ESS")
    intruder = client.user(2005, first_name="Max")
    await intruder.command("inscrire")
    await asked(intruder, "réservée à l'équipe")

    staff = client.user(STAFF_ID, first_name="Sophie")
    await staff.command("inscrire")
    await asked(staff, "pour quel événement")
    await tap(staff, "Cohorte ESS")
    await tap(staff, "Candidat·e")
    consent = await asked(staff, "La personne a-t-elle lu ce texte")
    assert "Je refuse" not in consent.button_labels
    await tap(staff, "Oui, elle est d'accord")
    name = await asked(staff, "Quel est le prénom de la personne")
    assert name.buttons == []  # no "C'est bien moi" for staff
    await staff.send("Nadia")
    await tap(staff, "36-45")
    await tap(staff, "Services à la personne")
    await tap(staff, DONE)
    await asked(staff, "Quel métier visez-vous")
    await staff.send("Auxiliaire de vie")
    await asked(staff, "Quelles sont vos compétences")
    await tap(staff, "Aide aux personnes âgées")
    await tap(staff, "➡️ C'est tout")
    await asked(staff, "Quelles sont vos qualités")
    await tap(staff, "À l'écoute")
    await tap(staff, "➡️ C'est tout")
    await tap(staff, "RSA")
    await asked(staff, "Y a-t-il quelque chose")
    await tap(staff, "Rien à signaler")
    await asked(staff, "ajouter une photo")
    await tap(staff, "Passer")
    await tap(staff, "✅ C'est bon")
    done = await asked(staff, "Nadia est inscrit·e")
    code = done.text.rsplit("start=", 1)[1].strip()
    staff_id = sql.scalar("select id from people where telegram_id = ?", STAFF_ID)
    row = sql(
        "select id, telegram_id, consent_recorded_by, claim_code from people "
        "where first_name = 'Nadia'"
    )[0]
    assert row[1] < 0 and row[2] == staff_id and row[3] == code
    assert sql.scalar("select registered_by from registrations where person_id = ?", row[0]) == (
        staff_id
    )

    nadia = client.user(2006, first_name="Nadia")
    await nadia.command("start", code)
    await asked(nadia, "reliée à votre compte Telegram")
    assert sql("select telegram_id, claim_code from people where id = ?", row[0]) == [(2006, None)]
    other = client.user(2007, first_name="Autre")
    await other.command("start", code)  # one-time link
    await asked(other, "déjà servi")
    await asyncio.sleep(0.1)
    assert sql.scalar("select count(*) from people where telegram_id = 2007") == 0
