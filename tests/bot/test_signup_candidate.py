"""Candidate sign-up end to end through the sandbox: links, consent, bad input, restarts."""

from __future__ import annotations

import json

from bot.config import Settings
from bot.engine.steps import FULL_CHOICE, TOO_MANY
from bot.handlers.signup.shared import NAME_PROBLEMS
from bot.sandbox.client import SandboxClient
from tests.conftest import BotRunner, Sql
from tests.helpers.signup import (
    AGE_Q,
    AGREE,
    ALL,
    CONFIRM,
    CONSENT,
    CONSTRAINTS_Q,
    DONE,
    JOB_Q,
    NAME_Q,
    NOTHING_TO_REPORT,
    PHOTO_Q,
    PROGRAMME_Q,
    QUALITIES_Q,
    REFUSE,
    SECTORS_Q,
    SIGNED_UP,
    SKILLS_Q,
    SKIP,
    SUMMARY,
    answers_texts,
    asked,
    count_of,
    edit,
    its_me,
    make_event,
    png,
    sign_up_candidate,
    tap,
    tap_sector,
)
from tests.helpers.texts import contains, says, t
from tests.helpers.waiting import eventually

PRESS_A_BUTTON = "Please press one of the buttons."
OLDER_QUESTION = "This button belongs to an older question. Please use the latest message."
TOO_LONG = "This is too long: {limit} characters at most (you wrote {count})."
DIPLOMA = "Avez-vous un diplôme de moins de deux ans ?"  # the event's own question (data)


async def test_candidate_signs_up_from_link_end_to_end(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings, sites=("Lille Centre", "Roubaix"))
    alice = client.user(1001, first_name="Alice", language_code="fr")
    await sign_up_candidate(alice, codes.candidate, photo=png(), site="Roubaix")
    summary = await asked(alice, SUMMARY)
    assert "Aide-soignante" in summary.text and "Roubaix" in summary.text
    assert contains(summary.text, "Photo: {value}", value=t("yes"))
    assert sql.scalar("select count(*) from registrations") == 0  # nothing before "C'est bon"
    await tap(alice, CONFIRM)
    await asked(alice, SIGNED_UP, event="Ose ton projet")

    person = sql("select id, first_name, role, consent_at from people where telegram_id = 1001")
    assert person and person[0][1:3] == ("Alice", "candidate") and person[0][3] is not None
    person_id = person[0][0]
    profile = sql(
        "select age_band, sectors, target_job, strengths, qualities, programme, constraints,"
        " length(photo) from candidate_profiles where person_id = ?",
        person_id,
    )[0]
    assert profile[:3] == ("26-35", '["J"]', "Aide-soignante")
    assert json.loads(profile[3]) == ["Accueil du public"]
    assert json.loads(profile[4]) == ["Patient·e"]
    assert profile[5:7] == ("COI", None)
    assert profile[7] > 1000
    registration = sql(
        "select r.status, s.name, r.role from registrations r join sites s on s.id = r.site_id"
        " where r.person_id = ?",
        person_id,
    )
    assert registration == [("registered", "Roubaix", "candidate")]
    # The conversation and its draft are gone once done.
    assert await eventually(
        lambda: sql("select namespace, key from persisted_state where key like '%1001%'") == []
    )


async def test_refusing_consent_stores_nothing(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings)
    bob = client.user(1002, first_name="Bob")
    await bob.command("start", codes.candidate)
    await asked(bob, CONSENT)
    await tap(bob, REFUSE)
    refusal = await asked(bob, "All right, nothing has been stored.")
    assert contains(
        refusal.text, "If you change your mind, open the invitation link again or type /start."
    )
    assert sql.scalar("select count(*) from people where telegram_id = 1002") == 0
    assert sql.scalar("select count(*) from registrations") == 0
    assert sql.scalar("select count(*) from candidate_profiles") == 0
    assert await eventually(
        lambda: sql.scalar("select count(*) from persisted_state where key like '%1002%'") == 0
    )


async def test_bad_inputs_are_refused_in_french_and_nothing_is_lost(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings)
    carla = client.user(1003, first_name="Carla")
    await carla.command("start", codes.candidate)
    await asked(carla, CONSENT)
    await carla.send("oui")  # text where a button is expected
    await asked(carla, PRESS_A_BUTTON)
    assert await count_of(carla, CONSENT, 2) == 2  # asked again
    await tap(carla, AGREE)
    await asked(carla, NAME_Q)
    await carla.send("   ")
    await asked(carla, "Your answer is empty. Please write a few words.")
    await carla.send("bonjour")  # a greeting at the wrong step is not a name
    await asked(carla, NAME_PROBLEMS["greeting"])
    await carla.send("je cherche du travail dans la vente")
    await asked(carla, NAME_PROBLEMS["sentence"])
    await carla.send("\u200b\ufeff\u3164")  # invisible only: empty
    await asked(carla, "Your answer is empty. Please write a few words.", timeout=5)
    await carla.send("<b>Carla</b> & Co, Dupont")
    await asked(carla, AGE_Q)
    await carla.send_photo(png())
    assert await count_of(carla, PRESS_A_BUTTON, 2) == 2  # (the first was at the consent)
    await carla.press_data("su:zzzz:age:0")  # forged nonce
    question = next(m for m in reversed(await carla.received()) if m.buttons)
    await carla.press_data("su:" + question.buttons[0][0][1].split(":")[1] + ":age:9")
    await bot_runner.handled(client)
    texts = await answers_texts(carla)
    assert t(OLDER_QUESTION) in texts
    assert t("This button is not valid.") in texts
    await tap(carla, "18-25")
    await asked(carla, SECTORS_Q)
    await tap(carla, DONE)  # nothing chosen yet
    await bot_runner.handled(client)
    assert t("Choose at least one sector.") in await answers_texts(carla)
    await tap(carla, "Commerce et vente")
    await tap(carla, DONE)
    await asked(carla, JOB_Q)
    await carla.send("x" * 5000)
    too_long = await asked(carla, TOO_LONG)
    assert contains(too_long.text, TOO_LONG, limit=200)
    await carla.send_photo(png())
    await asked(carla, "Please answer with a text message.")
    assert sql.scalar("select count(*) from people where telegram_id = 1003") == 0
    await carla.send("Ven\u200bdeuse\u202e\x07")  # invisible and control characters dropped
    await asked(carla, SKILLS_Q)
    await carla.send("Vente & conseil")
    await carla.send("Caisse et mise en rayon")  # a typed list is split: two items
    await carla.send("Ménage, repassage")  # five in all: refused, nothing added
    await asked(carla, TOO_MANY, given=5, count=3)
    await tap(carla, "Accueil du public")  # a fourth tick: refused, nothing moves on
    await bot_runner.handled(client)
    assert t(FULL_CHOICE, count=3) in await answers_texts(carla)
    await tap(carla, ALL)  # the person says when they are done
    await asked(carla, QUALITIES_Q)
    await tap(carla, "Souriant·e")
    await tap(carla, ALL)
    await carla.press_data("su:zzzz:prg:0")
    await asked(carla, PROGRAMME_Q)
    await tap(carla, "RSA")
    await asked(carla, CONSTRAINTS_Q)
    await carla.send("Garde d'enfants <après 16h>")
    await asked(carla, PHOTO_Q)
    await carla.send("voici")
    await asked(carla, "Please send a photo, or press “Skip”.")
    await tap(carla, SKIP)
    summary = await asked(carla, SUMMARY)
    assert "&lt;b&gt;" not in summary.text  # the client shows rendered text
    assert "<b>Carla</b> & Co Dupont" in summary.text
    assert summary.parse_mode == "HTML"
    await tap(carla, CONFIRM)
    await asked(carla, SIGNED_UP)
    row = sql("select first_name, last_name from people where telegram_id = 1003")
    assert row == [("<b>Carla</b> & Co", "Dupont")]
    assert sql.scalar("select target_job from candidate_profiles") == "Vendeuse"
    profile = sql("select strengths, constraints from candidate_profiles")[0]
    assert json.loads(profile[0]) == ["Vente & conseil", "Caisse", "mise en rayon"]
    assert profile[1] == "Garde d'enfants <après 16h>"


async def test_double_press_on_confirm_makes_one_registration(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings)
    dan = client.user(1004, first_name="Dan")
    await sign_up_candidate(dan, codes.candidate)
    summary = await asked(dan, SUMMARY)
    confirm = next(data for row in summary.buttons for label, data in row if label == CONFIRM)
    await dan.press_data(str(confirm), message_id=summary.message_id)
    await dan.press_data(str(confirm), message_id=summary.message_id)
    await asked(dan, SIGNED_UP)
    await bot_runner.handled(client)  # both presses are handled: nothing more is coming
    assert sql.scalar("select count(*) from registrations") == 1
    assert await count_of(dan, SIGNED_UP) == 1
    stale = "This button is no longer valid. To sign up, open your invitation link again."
    assert t(stale) in await answers_texts(dan)
    # Opening the link again says so instead of signing up twice.
    await dan.command("start", codes.candidate)
    await asked(dan, "You are already signed up for “{event}”.", event="Ose ton projet")
    assert sql.scalar("select count(*) from registrations") == 1


async def test_restart_mid_signup_resumes_at_the_same_step(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings)
    eve = client.user(1005, first_name="Eve")
    await eve.command("start", codes.candidate)
    await asked(eve, CONSENT)
    await tap(eve, AGREE)
    await asked(eve, NAME_Q)
    await tap(eve, its_me(eve))
    await asked(eve, AGE_Q)
    await tap(eve, "46-55")
    await asked(eve, SECTORS_Q)
    await tap_sector(eve, "Industrie")
    await tap(eve, DONE)
    await asked(eve, JOB_Q)
    await bot_runner.restart()
    await eve.send("Soudeuse")
    await asked(eve, SKILLS_Q)
    await tap(eve, "Manutention")  # a button of a message sent before the restart works too
    await tap(eve, ALL)
    await asked(eve, QUALITIES_Q)
    await bot_runner.restart()
    await tap(eve, "Fiable")
    await tap(eve, ALL)
    await asked(eve, PROGRAMME_Q)
    await tap(eve, "COFA")
    await asked(eve, CONSTRAINTS_Q)
    await tap(eve, NOTHING_TO_REPORT)
    await asked(eve, PHOTO_Q)
    await tap(eve, SKIP)
    summary = await asked(eve, SUMMARY)
    assert "46-55" in summary.text and "Industrie" in summary.text and "Soudeuse" in summary.text
    await tap(eve, CONFIRM)
    await asked(eve, SIGNED_UP)
    assert sql.scalar("select target_job from candidate_profiles") == "Soudeuse"


async def test_two_candidates_interleaved_never_mix(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings)
    fay = client.user(1006, first_name="Fay")
    gus = client.user(1007, first_name="Gus")
    for user in (fay, gus):
        await user.command("start", codes.candidate)
        await asked(user, CONSENT)
    await tap(fay, AGREE)
    await tap(gus, AGREE)
    await asked(fay, NAME_Q)
    await asked(gus, NAME_Q)
    await gus.send("Gustave")
    await tap(fay, its_me(fay))
    for user, age in ((fay, "18-25"), (gus, "56+")):
        await asked(user, AGE_Q)
        await tap(user, age)
    for user, sector in ((gus, "Transport et logistique"), (fay, "Santé")):
        await asked(user, SECTORS_Q)
        await tap(user, sector)
        await tap(user, DONE)
    await asked(fay, JOB_Q)
    await asked(gus, JOB_Q)
    await fay.send("Infirmière")
    await gus.send("Chauffeur")
    for user in (fay, gus):
        await asked(user, SKILLS_Q)
        await tap(user, "Conduite (permis B)")
        await tap(user, ALL)
        await asked(user, QUALITIES_Q)
        await tap(user, "Calme")
        await tap(user, ALL)
        await asked(user, PROGRAMME_Q)
        await tap(user, "Autre")
        await asked(user, CONSTRAINTS_Q)
        await tap(user, NOTHING_TO_REPORT)
        await asked(user, PHOTO_Q)
        await tap(user, SKIP)
        await asked(user, SUMMARY)
        await tap(user, CONFIRM)
        await asked(user, SIGNED_UP)
    rows = sql(
        "select p.first_name, c.age_band, c.target_job, c.sectors from people p"
        " join candidate_profiles c on c.person_id = p.id order by p.telegram_id"
    )
    assert [(*row[:3], json.loads(row[3])) for row in rows] == [
        ("Fay", "18-25", "Infirmière", ["J"]),
        ("Gustave", "56+", "Chauffeur", ["N"]),
    ]


async def test_ineligible_answer_ends_politely_and_is_recorded(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(
        settings,
        questions=((DIPLOMA, True),),
    )
    hugo = client.user(1008, first_name="Hugo")
    await hugo.command("start", codes.candidate)
    await tap(hugo, AGREE)
    await asked(hugo, NAME_Q)
    await tap(hugo, its_me(hugo))
    await asked(hugo, AGE_Q)
    await tap(hugo, "26-35")
    await asked(hugo, SECTORS_Q)
    await tap_sector(hugo, "Industrie")
    await tap(hugo, DONE)
    await asked(hugo, JOB_Q)
    await hugo.send("Technicien")
    await asked(hugo, SKILLS_Q)
    await tap(hugo, "Bricolage")
    await tap(hugo, ALL)
    await asked(hugo, QUALITIES_Q)
    await tap(hugo, "Curieux·se")
    await tap(hugo, ALL)
    await asked(hugo, PROGRAMME_Q)
    await tap(hugo, "Coaching+")
    question = await hugo.wait_for(lambda m: DIPLOMA in m.text)
    await tap(hugo, t("No"))
    ending = await asked(
        hugo, "So you cannot sign up for it this time. Your adviser can suggest other events."
    )
    assert contains(
        ending.text,
        "This event is for people who answer the other way to: “{question}”.",
        question=DIPLOMA,
    )
    assert sql("select status, eligibility_answers from registrations") == [
        ("ineligible", '{"' + question.buttons[0][0][1].split(":")[3] + '": false}')
    ]
    await hugo.send("encore")  # the conversation is over: nothing happens to the data
    await bot_runner.handled(client)
    assert sql.scalar("select count(*) from registrations") == 1


async def test_plain_start_offers_open_events_then_corrections_from_summary(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    await make_event(settings, name="Job dating Lille")
    ines = client.user(1009, first_name="Inès")
    await ines.command("start")
    await asked(ines, "Hello {name}! Welcome to Passerelle.", name="Inès")
    await tap(ines, t("Candidate"))
    await asked(ines, "Which event do you want to sign up for?")
    await tap(ines, "Job dating Lille")
    await asked(ines, CONSENT)
    await tap(ines, AGREE)
    await asked(ines, NAME_Q)
    await tap(ines, its_me(ines))
    await asked(ines, AGE_Q)
    await tap(ines, "36-45")
    await asked(ines, SECTORS_Q)
    await tap(ines, "Santé")
    await tap(ines, DONE)
    await asked(ines, JOB_Q)
    await ines.send("Cuisinière")
    await asked(ines, SKILLS_Q)
    await tap(ines, "Cuisine")
    await tap(ines, ALL)
    await asked(ines, QUALITIES_Q)
    await tap(ines, "Organisé·e")
    await tap(ines, ALL)
    await asked(ines, PROGRAMME_Q)
    await tap(ines, "RSA")
    await asked(ines, CONSTRAINTS_Q)
    await tap(ines, NOTHING_TO_REPORT)
    await asked(ines, PHOTO_Q)
    await tap(ines, SKIP)
    await asked(ines, SUMMARY)
    await tap(ines, edit("Job"))
    await asked(ines, JOB_Q)
    assert await count_of(ines, JOB_Q, 2) == 2
    await ines.send("Cheffe de cuisine")
    summary = await ines.wait_for(lambda m: says(SUMMARY)(m) and "Cheffe" in m.text)
    assert "Cuisine" in summary.text
    await ines.command("annuler")
    await asked(ines, "Cancelled. Nothing has been stored.")
    assert sql.scalar("select count(*) from registrations") == 0
    assert sql.scalar("select count(*) from candidate_profiles") == 0
