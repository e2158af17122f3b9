"""Employer sign-up end to end, wishes between both sides, and staff registering someone."""

from __future__ import annotations

import json

from bot.config import Settings
from bot.sandbox.client import SandboxClient
from tests.conftest import STAFF_ID, BotRunner, Sql
from tests.helpers.signup import (
    AGREE,
    ALL,
    COMPANY_Q,
    CONFIRM,
    CONSENT,
    CONSENT_DETAILS,
    CONSTRAINTS_Q,
    DONE,
    EMPLOYER_SECTORS_Q,
    HOW_MANY_Q,
    JOB_Q,
    JOBS_Q,
    NAME_Q,
    NOTHING_TO_REPORT,
    PHOTO_Q,
    QUALITIES_Q,
    REFUSE,
    SIGNED_UP,
    SKILLS_Q,
    SKIP,
    STAFF_CONSENT,
    STAFF_NAME_Q,
    SUMMARY,
    TITLE_Q,
    WHERE_Q,
    WISH_Q,
    asked,
    make_event,
    sign_up_candidate,
    tap,
)
from tests.helpers.texts import contains, t

EMPLOYER_STORED = (
    "• Stored: your name, company, job title, sectors, the jobs you recruit for, your sites and "
    "how many candidates you can meet."
)


async def test_employer_signs_up_and_wishes_to_meet_a_candidate(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings, sites=("Lille Centre", "Roubaix"), remote_site=True)
    alice = client.user(2001, first_name="Alice")
    await sign_up_candidate(alice, codes.candidate, site="Lille Centre")
    await tap(alice, CONFIRM)
    await asked(alice, SIGNED_UP)

    paul = client.user(2002, first_name="Paul")
    await paul.command("start", codes.employer)
    await asked(paul, CONSENT)
    await tap(paul, t("Learn more"))  # the details are one button away
    details = await asked(paul, CONSENT_DETAILS)
    assert contains(details.text, EMPLOYER_STORED)
    await tap(paul, AGREE)
    await asked(paul, NAME_Q)
    await paul.send("Paul, Martin")
    await asked(paul, COMPANY_Q)
    await paul.send("Boulangerie Martin & Fils")
    await asked(paul, TITLE_Q)
    await paul.send("Gérant, vente en boutique")
    question = await asked(paul, EMPLOYER_SECTORS_Q)
    # Six likely sectors for the job given (sales first), the others one button away.
    labels = question.button_labels
    assert labels[0] == "Commerce et vente"
    assert len(labels) == 6 + 2 and labels[-2] == "➕ " + t("Other sectors")
    await tap(paul, "Commerce et vente")
    await tap(paul, "Hôtellerie, restauration, tourisme")
    await tap(paul, DONE)
    await asked(paul, JOBS_Q)
    await paul.send("Boulanger, vendeur")
    where = await asked(paul, WHERE_Q)
    assert "Visio" not in where.button_labels  # the video site is the "remote" choice
    await tap(paul, DONE)  # nothing chosen: refused
    await tap(paul, "Roubaix")
    await tap(paul, t("Remote (video)"))
    await tap(paul, DONE)
    await asked(paul, HOW_MANY_Q)
    await tap(paul, "3")
    wishes = await asked(paul, WISH_Q)
    assert wishes.button_labels[0] == "Alice"
    await tap(paul, "Alice")
    await tap(paul, DONE)
    summary = await asked(paul, SUMMARY)
    assert "Boulangerie Martin & Fils" in summary.text
    await tap(paul, CONFIRM)
    await asked(paul, SIGNED_UP)

    person_id = sql.scalar("select id from people where telegram_id = 2002")
    alice_id = sql.scalar("select id from people where telegram_id = 2001")
    assert sql(
        "select company, job_title, sectors, jobs, max_candidates from employer_profiles"
    ) == [
        (
            "Boulangerie Martin & Fils",
            "Gérant, vente en boutique",
            '["D", "G"]',
            "Boulanger, vendeur",
            3,
        )
    ]
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
    await asked(zoe, "Sign-ups for this event are closed. Thank you for your interest.")
    await zoe.command("start", "e_doesnotexist")
    await asked(zoe, "This invitation link is not valid.")
    assert sql.scalar("select count(*) from people where telegram_id = 2003") == 0


async def test_event_closing_during_signup_stores_nothing(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings)
    yan = client.user(2004, first_name="Yan")
    await sign_up_candidate(yan, codes.candidate)
    await asked(yan, SUMMARY)
    await sql.write("update events set status = 'closed' where id = ?", codes.event_id)
    await tap(yan, CONFIRM)
    await asked(yan, "Sign-ups for this event closed in the meantime. Nothing was stored.")
    assert sql.scalar("select count(*) from registrations") == 0


async def test_staff_registers_someone_who_attaches_their_account_later(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    await make_event(settings, name="Cohorte ESS")
    intruder = client.user(2005, first_name="Max")
    await intruder.command("inscrire")
    await asked(intruder, "This command is for the organising team only.")

    staff = client.user(STAFF_ID, first_name="Sophie")
    await staff.command("inscrire")
    await asked(staff, "Register someone: for which event?")
    await tap(staff, "Cohorte ESS")
    await tap(staff, t("Candidate"))
    consent = await asked(staff, STAFF_CONSENT)
    assert REFUSE not in consent.button_labels
    await tap(staff, t("Yes, they agree"))
    name = await asked(staff, STAFF_NAME_Q)
    assert name.buttons == []  # no "C'est bien moi" for staff
    await staff.send("Nadia")
    await tap(staff, "36-45")
    await tap(staff, "Services à la personne")
    await tap(staff, DONE)
    await asked(staff, JOB_Q)
    await staff.send("Auxiliaire de vie")
    await asked(staff, SKILLS_Q)
    await tap(staff, "Aide aux personnes âgées")
    await tap(staff, ALL)
    await asked(staff, QUALITIES_Q)
    await tap(staff, "À l'écoute")
    await tap(staff, ALL)
    await tap(staff, "RSA")
    await asked(staff, CONSTRAINTS_Q)
    await tap(staff, NOTHING_TO_REPORT)
    await asked(staff, PHOTO_Q)
    await tap(staff, SKIP)
    await tap(staff, CONFIRM)
    done = await asked(staff, "Done: {name} is registered for “{event}”.", name="Nadia")
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
    await asked(nadia, "Welcome {name}! Your registration is now linked to your Telegram account.")
    assert sql("select telegram_id, claim_code from people where id = ?", row[0]) == [(2006, None)]
    other = client.user(2007, first_name="Autre")
    await other.command("start", code)  # one-time link
    await asked(other, "This personal link is not valid or has already been used.")
    await bot_runner.handled(client)
    assert sql.scalar("select count(*) from people where telegram_id = 2007") == 0
