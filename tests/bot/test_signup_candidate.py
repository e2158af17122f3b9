"""Candidate sign-up end to end through the sandbox: links, consent, bad input, restarts."""

from __future__ import annotations

import asyncio
import io
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from PIL import Image

from bot.config import Settings
from bot.db.base import utcnow
from bot.db.models.events import EligibilityQuestion, Event, Site
from bot.db.session import Database
from bot.sandbox.client import BotMessage, SandboxClient, User
from tests.conftest import BotRunner, Sql

CONSENT = "Avant de commencer"
NAME_Q = "Quel est votre prénom"
AGE_Q = "Quel âge avez-vous"
SECTORS_Q = "Quels secteurs vous intéressent"
JOB_Q = "Quel métier visez-vous"
SKILLS_Q = "Quelles sont vos compétences"
QUALITIES_Q = "Quelles sont vos qualités"
PROGRAMME_Q = "Quel accompagnement"
SITE_Q = "Quel site"
CONSTRAINTS_Q = "Y a-t-il quelque chose"
PHOTO_Q = "ajouter une photo"
SUMMARY = "Vérifiez vos réponses"
DONE = "➡️ Valider"
ALL = "➡️ C'est tout"


@dataclass(frozen=True)
class Codes:
    event_id: int
    candidate: str
    employer: str


async def make_event(
    settings: Settings,
    *,
    sites: tuple[str, ...] = ("Lille Centre",),
    questions: tuple[tuple[str, bool], ...] = (),
    remote_site: bool = False,
    name: str = "Ose ton projet",
) -> Codes:
    """An open event row written with our own models, as staff would have created it."""
    database = Database(settings.resolved_database_url)
    await database.migrate()
    token = secrets.token_urlsafe(8)
    try:
        async with database.session() as session:
            event = Event(
                name=name,
                starts_at=utcnow() + timedelta(days=10),
                candidate_code=f"c_{token}",
                employer_code=f"e_{token}",
            )
            event.sites = [Site(name=site, position=i) for i, site in enumerate(sites)]
            if remote_site:
                event.sites.append(Site(name="Visio", position=len(sites), remote=True))
            event.questions = [
                EligibilityQuestion(text=text, admitting_answer=admitting, position=i)
                for i, (text, admitting) in enumerate(questions)
            ]
            session.add(event)
            await session.flush()
            return Codes(event.id, event.candidate_code, event.employer_code)
    finally:
        await database.dispose()


async def asked(user: User, fragment: str, timeout: float = 5) -> BotMessage:
    return await user.wait_for(lambda m: fragment in m.text, timeout=timeout)


async def tap(user: User, label: str, timeout: float = 5) -> None:
    """Press `label` once a bot message shows it (the bot answers asynchronously)."""
    await user.wait_for(
        lambda m: any(text == label for row in m.buttons for text, _data in row), timeout
    )
    await user.press(label)


async def count_of(user: User, fragment: str, expected: int | None = None) -> int:
    """How many bot messages contain `fragment` (waiting a little for `expected`)."""
    for _attempt in range(40):
        count = len([m for m in await user.received() if fragment in m.text])
        if expected is None or count >= expected:
            return count
        await asyncio.sleep(0.05)
    return count


async def answers_texts(user: User) -> list[str]:
    return [answer.get("text") or "" for answer in await user.callback_answers()]


async def eventually(check: Callable[[], bool], timeout: float = 3.0) -> bool:
    """The bot writes its state right after replying: poll instead of sleeping blindly."""
    for _attempt in range(int(timeout / 0.05)):
        if check():
            return True
        await asyncio.sleep(0.05)
    return check()


def png(colour: tuple[int, int, int] = (200, 30, 30), size: int = 300) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, format="PNG")
    return out.getvalue()


async def sign_up_candidate(
    user: User, code: str, *, photo: bytes | None = None, site: str | None = None
) -> None:
    """The shortest path: every question answered with its first button or a short text."""
    await user.command("start", code)
    await asked(user, CONSENT)
    await tap(user, "J'accepte")
    await asked(user, NAME_Q)
    await tap(user, f"C'est bien moi : {user.first_name}")
    await asked(user, AGE_Q)
    await tap(user, "26-35")
    await asked(user, SECTORS_Q)
    await tap(user, "Santé")
    await tap(user, DONE)
    await asked(user, JOB_Q)
    await user.send("Aide-soignante")
    await asked(user, SKILLS_Q)
    await tap(user, "Accueil du public")
    await tap(user, ALL)
    await asked(user, QUALITIES_Q)
    await tap(user, "Patient·e")
    await tap(user, ALL)
    await asked(user, PROGRAMME_Q)
    await tap(user, "COI")
    if site:
        await asked(user, SITE_Q)
        await tap(user, site)
    await asked(user, CONSTRAINTS_Q)
    await tap(user, "Rien à signaler")
    await asked(user, PHOTO_Q)
    if photo:
        await user.send_photo(photo)
    else:
        await tap(user, "Passer")


async def test_candidate_signs_up_from_link_end_to_end(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings, sites=("Lille Centre", "Roubaix"))
    alice = client.user(1001, first_name="Alice", language_code="fr")
    await sign_up_candidate(alice, codes.candidate, photo=png(), site="Roubaix")
    summary = await asked(alice, SUMMARY)
    assert "Aide-soignante" in summary.text and "Roubaix" in summary.text
    assert "Photo : oui" in summary.text
    assert sql.scalar("select count(*) from registrations") == 0  # nothing before "C'est bon"
    await tap(alice, "✅ C'est bon")
    await asked(alice, "vous êtes inscrit·e à « Ose ton projet »")

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
    await tap(bob, "Je refuse")
    refusal = await asked(bob, "rien n'a été enregistré")
    assert "rouvrez le lien" in refusal.text
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
    await asked(carla, "Appuyez sur un des boutons")
    assert await count_of(carla, CONSENT, 2) == 2  # asked again
    await tap(carla, "J'accepte")
    await asked(carla, NAME_Q)
    await carla.send("   ")
    await asked(carla, "Votre réponse est vide")
    await carla.send("<b>Carla</b> & Co, Dupont")
    await asked(carla, AGE_Q)
    await carla.send_photo(png())
    await asked(carla, "Appuyez sur un des boutons")
    await carla.press_data("su:zzzz:age:0")  # forged nonce
    await carla.press_data("su:" + (await carla.last()).buttons[0][0][1].split(":")[1] + ":age:9")
    await asyncio.sleep(0.3)
    texts = await answers_texts(carla)
    assert any("question précédente" in text for text in texts)
    assert any("pas valable" in text for text in texts)
    await tap(carla, "18-25")
    await asked(carla, SECTORS_Q)
    await tap(carla, DONE)  # nothing chosen yet
    await asyncio.sleep(0.2)
    assert any("au moins un secteur" in text for text in await answers_texts(carla))
    await tap(carla, "Commerce et vente")
    await tap(carla, DONE)
    await asked(carla, JOB_Q)
    await carla.send("x" * 5000)
    too_long = await asked(carla, "C'est trop long")
    assert "200 caractères" in too_long.text
    await carla.send_photo(png())
    await asked(carla, "Répondez par un message écrit")
    assert sql.scalar("select count(*) from people where telegram_id = 1003") == 0
    await carla.send("Vendeuse")
    await asked(carla, SKILLS_Q)
    await carla.send("Vente & conseil")
    await carla.send("Caisse")
    await carla.send("Mise en rayon")  # third item ends the step
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
    await asked(carla, "Envoyez une photo")
    await tap(carla, "Passer")
    summary = await asked(carla, SUMMARY)
    assert "&lt;b&gt;" not in summary.text  # the client shows rendered text
    assert "<b>Carla</b> & Co Dupont" in summary.text
    assert summary.parse_mode == "HTML"
    await tap(carla, "✅ C'est bon")
    await asked(carla, "vous êtes inscrit·e")
    row = sql("select first_name, last_name from people where telegram_id = 1003")
    assert row == [("<b>Carla</b> & Co", "Dupont")]
    profile = sql("select strengths, constraints from candidate_profiles")[0]
    assert json.loads(profile[0]) == ["Vente & conseil", "Caisse", "Mise en rayon"]
    assert profile[1] == "Garde d'enfants <après 16h>"


async def test_double_press_on_confirm_makes_one_registration(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings)
    dan = client.user(1004, first_name="Dan")
    await sign_up_candidate(dan, codes.candidate)
    summary = await asked(dan, SUMMARY)
    confirm = next(data for row in summary.buttons for label, data in row if "C'est bon" in label)
    await dan.press_data(str(confirm), message_id=summary.message_id)
    await dan.press_data(str(confirm), message_id=summary.message_id)
    await asked(dan, "vous êtes inscrit·e")
    await asyncio.sleep(0.3)
    assert sql.scalar("select count(*) from registrations") == 1
    assert await count_of(dan, "vous êtes inscrit·e") == 1
    assert any("plus valable" in text for text in await answers_texts(dan))
    # Opening the link again says so instead of signing up twice.
    await dan.command("start", codes.candidate)
    await asked(dan, "déjà inscrit·e")
    assert sql.scalar("select count(*) from registrations") == 1


async def test_restart_mid_signup_resumes_at_the_same_step(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings)
    eve = client.user(1005, first_name="Eve")
    await eve.command("start", codes.candidate)
    await asked(eve, CONSENT)
    await tap(eve, "J'accepte")
    await asked(eve, NAME_Q)
    await tap(eve, "C'est bien moi : Eve")
    await asked(eve, AGE_Q)
    await tap(eve, "46-55")
    await asked(eve, SECTORS_Q)
    await tap(eve, "Industrie")
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
    await tap(eve, "Rien à signaler")
    await asked(eve, PHOTO_Q)
    await tap(eve, "Passer")
    summary = await asked(eve, SUMMARY)
    assert "46-55" in summary.text and "Industrie" in summary.text and "Soudeuse" in summary.text
    await tap(eve, "✅ C'est bon")
    await asked(eve, "vous êtes inscrit·e")
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
    await tap(fay, "J'accepte")
    await tap(gus, "J'accepte")
    await asked(fay, NAME_Q)
    await asked(gus, NAME_Q)
    await gus.send("Gustave")
    await tap(fay, "C'est bien moi : Fay")
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
        await tap(user, "Rien à signaler")
        await asked(user, PHOTO_Q)
        await tap(user, "Passer")
        await asked(user, SUMMARY)
        await tap(user, "✅ C'est bon")
        await asked(user, "vous êtes inscrit·e")
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
        questions=(("Avez-vous un diplôme de moins de deux ans ?", True),),
    )
    hugo = client.user(1008, first_name="Hugo")
    await hugo.command("start", codes.candidate)
    await tap(hugo, "J'accepte")
    await asked(hugo, NAME_Q)
    await tap(hugo, "C'est bien moi : Hugo")
    await asked(hugo, AGE_Q)
    await tap(hugo, "26-35")
    await asked(hugo, SECTORS_Q)
    await tap(hugo, "Industrie")
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
    question = await asked(hugo, "diplôme de moins de deux ans")
    await tap(hugo, "Non")
    ending = await asked(hugo, "Vous ne pouvez donc pas vous y inscrire")
    assert "diplôme de moins de deux ans" in ending.text
    assert sql("select status, eligibility_answers from registrations") == [
        ("ineligible", '{"' + question.buttons[0][0][1].split(":")[3] + '": false}')
    ]
    await hugo.send("encore")  # the conversation is over: nothing happens to the data
    await asyncio.sleep(0.3)
    assert sql.scalar("select count(*) from registrations") == 1


async def test_plain_start_offers_open_events_then_corrections_from_summary(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    await make_event(settings, name="Job dating Lille")
    ines = client.user(1009, first_name="Inès")
    await ines.command("start")
    await asked(ines, "Bienvenue")
    await tap(ines, "Candidat·e")
    await asked(ines, "À quel événement")
    await tap(ines, "Job dating Lille")
    await asked(ines, CONSENT)
    await tap(ines, "J'accepte")
    await asked(ines, NAME_Q)
    await tap(ines, "C'est bien moi : Inès")
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
    await tap(ines, "Rien à signaler")
    await asked(ines, PHOTO_Q)
    await tap(ines, "Passer")
    await asked(ines, SUMMARY)
    await tap(ines, "✏️ Métier visé")
    await asked(ines, JOB_Q)
    assert await count_of(ines, JOB_Q, 2) == 2
    await ines.send("Cheffe de cuisine")
    summary = await ines.wait_for(lambda m: SUMMARY in m.text and "Cheffe" in m.text)
    assert "Cuisine" in summary.text
    await ines.command("annuler")
    await asked(ines, "C'est annulé")
    assert sql.scalar("select count(*) from registrations") == 0
    assert sql.scalar("select count(*) from candidate_profiles") == 0
