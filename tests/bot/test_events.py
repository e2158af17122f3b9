"""Staff create events through the real bot: every step, bad answers, restarts, links and QR."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from PIL import Image

from bot import clock
from bot.context import services
from bot.sandbox.client import BotMessage, SandboxClient, User
from bot.services.events import cancel_event
from bot.services.invitations import Invitation, find_invitation
from tests.conftest import STAFF_ID, BotRunner, Sql

YEAR = date.today().year + 1
START = f"12 mars {YEAR} à 13h30"


async def step(user: User, act: Callable[[], Awaitable[object]], expect: str) -> BotMessage:
    """Do `act` and wait for a NEW bot message containing `expect`."""
    seen = max((m.message_id for m in await user.received()), default=0)
    await act()
    return await user.wait_for(lambda m: m.message_id > seen and expect in m.text)


async def say(user: User, text: str, expect: str) -> BotMessage:
    return await step(user, lambda: user.send(text), expect)


async def press(user: User, label: str, expect: str) -> BotMessage:
    return await step(user, lambda: user.press(label), expect)


async def quick_event(staff: User, name: str = "Cohorte test") -> BotMessage:
    """The shortest creation: one site, a cohort (no employers), no question; the summary."""
    await step(staff, lambda: staff.command("evenement"), "nom de l'événement")
    await say(staff, name, "Quand commence")
    await say(staff, START, "Combien de temps")
    await press(staff, "3h", "fuseau")
    await press(staff, "Europe/Paris", "sur place ou à distance")
    await press(staff, "Sur place", "nom du site")
    await say(staff, "Maison de l'emploi", "adresse")
    await say(staff, "Rue du Lac 1, Lausanne", "Combien de salles")
    await press(staff, "1", "Sites pour l'instant")
    await press(staff, "C'est tout", "format de salle")
    await press(staff, "Cohorte 0+12", "Combien de tours")
    await press(staff, "1", "candidat·e·s au maximum")
    await press(staff, "12", "Jusqu'à quand")
    await press(staff, "La veille à 18h", "question oui/non")
    return await press(staff, "Pas de question", "Voici votre événement")


async def test_staff_creates_an_event_end_to_end(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    await step(staff, lambda: staff.command("evenement"), "nom de l'événement")
    await say(staff, "Ose ton projet <b>printemps</b> & co", "Quand commence")
    await say(staff, START, "Combien de temps")
    await press(staff, "3h", "fuseau")
    await press(staff, "Europe/Zurich", "sur place ou à distance")
    await press(staff, "Sur place", "nom du site")
    await say(staff, "Maison de l'emploi", "adresse")
    await say(staff, "Rue du Lac 1, Lausanne", "Combien de salles")
    await press(staff, "4", "Sites pour l'instant : Maison de l'emploi")
    await press(staff, "Ajouter un autre site", "Site 2")
    await press(staff, "À distance (vidéo)", "lien de la visio")
    await say(staff, "https://meet.example.org/passerelle", "Combien de salles")
    await say(staff, "2", "Sites pour l'instant")
    await press(staff, "C'est tout", "format de salle")
    await press(staff, "Ose ton projet 2+2", "Combien de tours")
    await press(staff, "1", "Avec vos salles : 12 places")
    await press(staff, "12", "employeur·se·s au maximum")
    await say(staff, "10", "Jusqu'à quand")
    await press(staff, "La veille à 18h", "question oui/non")
    await press(staff, "Ajouter une question", "Écrivez la question")
    question = "Avez-vous obtenu votre diplôme il y a moins de deux ans ?"
    await say(staff, question, "Quelle réponse permet")
    await press(staff, "Oui", "1 question pour l'instant")
    summary = await press(staff, "C'est tout", "Voici votre événement")
    assert "Ose ton projet <b>printemps</b> & co" in summary.text  # escaped, shown literally
    assert f"vendredi 12 mars {YEAR} à 13h30 (Europe/Zurich)" in summary.text
    assert "Maison de l'emploi — Rue du Lac 1, Lausanne — 4 salles" in summary.text
    assert summary.button_labels == ["Créer", "Corriger", "Annuler"]

    await press(staff, "Créer", "est créé")
    photos = await _wait_photos(staff, 2)

    rows = sql(
        "select id, name, timezone, employers_per_room, candidates_per_room, rounds, "
        "max_candidates, max_employers, candidate_code, employer_code, status, format_key, "
        "starts_at, registration_deadline, duration_minutes from events"
    )
    assert len(rows) == 1
    (
        event_id,
        name,
        zone,
        epr,
        cpr,
        rounds,
        maxc,
        maxe,
        ccode,
        ecode,
        status,
        fmt,
        starts,
        deadline,
        duration,
    ) = rows[0]
    assert name == "Ose ton projet <b>printemps</b> & co"
    assert (zone, epr, cpr, rounds, maxc, maxe, status, fmt, duration) == (
        "Europe/Zurich",
        2,
        2,
        1,
        12,
        10,
        "open",
        "ose",
        180,
    )
    assert starts.startswith(f"{YEAR}-03-12 12:30")  # 13:30 in Zurich, stored as UTC
    assert deadline.startswith(f"{YEAR}-03-11 17:00")  # the day before, 18:00 in Zurich
    assert ccode.startswith("c_") and ecode.startswith("e_")
    assert 8 <= len(ccode) <= 32 and ccode != ecode
    assert sql("select name, address, rooms, remote, video_url from sites order by position") == [
        ("Maison de l'emploi", "Rue du Lac 1, Lausanne", 4, 0, None),
        ("À distance", None, 2, 1, "https://meet.example.org/passerelle"),
    ]
    assert sql("select text, admitting_answer from eligibility_questions") == [(question, 1)]
    assert sql.scalar("select created_by from events") == sql.scalar(
        "select id from people where telegram_id = ?", STAFF_ID
    )

    links = await staff.wait_for(lambda m: "Liens d'invitation" in m.text)
    assert f"https://t.me/passerelle_bot?start={ccode}" in links.text
    assert f"https://t.me/passerelle_bot?start={ecode}" in links.text
    assert "candidat·e·s" in photos[0].text and ccode in photos[0].text
    assert "employeur·se·s" in photos[1].text and ecode in photos[1].text
    for photo in photos:
        assert photo.photo is not None
        image = Image.open(io.BytesIO(photo.photo))
        assert image.width == image.height and 200 <= image.width <= 1200
        colours = set(image.convert("L").tobytes())
        assert colours <= {0, 255} and colours == {0, 255}

    assert event_id == 1
    assert sql.scalar("select count(*) from persisted_state where key like '%event_draft%'") == 0


async def _wait_photos(user: User, count: int) -> list[BotMessage]:
    for _attempt in range(100):
        photos = [m for m in await user.received() if m.kind == "photo"]
        if len(photos) >= count:
            return photos
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} photos")


async def test_bad_answers_are_refused_in_french_and_nothing_is_lost(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    await step(staff, lambda: staff.command("evenement"), "nom de l'événement")
    await say(staff, "   ", "Votre réponse est vide")
    await say(staff, "x" * 5000, "trop long : 200 caractères au maximum")
    await step(staff, lambda: staff.send_photo(_png()), "Répondez avec du texte")
    await say(staff, "Job dating & <i>emploi</i>", "Quand commence")
    await say(staff, "bientôt", "Je ne comprends pas cette date. Écrivez-la comme ceci")
    await say(staff, "x" * 5000, "Je ne comprends pas cette date")
    await say(staff, "12/03/2020 13h30", "Cette date est déjà passée")
    await say(staff, f"12/03/{YEAR}", "Ajoutez l'heure de début")
    await say(staff, "31/02/2099 13h", "Je ne comprends pas cette date")
    await say(staff, f"12/03/{YEAR} 9h", "Combien de temps")
    await say(staff, "abc", "Merci d'écrire une durée")
    await say(staff, "5 min", "trop court")
    await say(staff, "2h30", "fuseau")
    await press(staff, "Autre", "Écrivez le fuseau horaire")
    await say(staff, "Mars/Olympus", "Je ne connais pas ce fuseau")
    await say(staff, "europe/brussels", "sur place ou à distance")
    await say(staff, "sur place", "Appuyez sur un bouton ci-dessous")
    await press(staff, "Sur place", "nom du site")
    await say(staff, "Site <b>A</b>", "adresse")
    await say(staff, "Rue 1", "Combien de salles")
    await say(staff, "abc", "Merci d'écrire un nombre")
    await say(staff, "0", "au moins 1")
    await say(staff, "-3", "au moins 1")
    await say(staff, "99999", "C'est trop : 200 au maximum")
    await say(staff, "3", "Sites pour l'instant")
    await press(staff, "C'est tout", "format de salle")
    await say(staff, "n'importe quoi", "écrivez le format comme ceci : 2+2")
    await say(staff, "1+3", "Combien de tours")
    await say(staff, "0", "au moins 1")
    await say(staff, "6", "Combien de temps dure chaque tour")
    await say(staff, "30", "ne tiennent pas en 2h30")
    await press(staff, "20 min", "candidat·e·s au maximum")
    await say(staff, "0", "au moins 1")
    await say(staff, "9", "employeur·se·s au maximum")
    await say(staff, "3", "Jusqu'à quand")
    await say(staff, f"13/03/{YEAR}", "doit être avant le début")
    await say(staff, "01/01/2020", "déjà passée")
    await say(staff, f"10/03/{YEAR}", "question oui/non")
    summary = await press(staff, "Pas de question", "Voici votre événement")
    assert "Job dating &amp;" not in summary.text
    assert "Job dating & <i>emploi</i>" in summary.text
    assert "Site <b>A</b> — Rue 1 — 3 salles" in summary.text
    assert "6 tours de 20 min" in summary.text
    assert sql.scalar("select count(*) from events") == 0  # nothing before "Créer"

    # "Corriger" re-runs one section and comes back to the summary.
    await press(staff, "Corriger", "Que voulez-vous corriger")
    await press(staff, "Nombre de places", "candidat·e·s au maximum")
    await say(staff, "18", "employeur·se·s au maximum")
    fixed = await say(staff, "6", "Voici votre événement")
    assert "Au maximum 18 candidat·e·s et 6 employeur·se·s" in fixed.text
    await press(staff, "Créer", "est créé")
    assert sql(
        "select name, max_candidates, max_employers, rounds, round_minutes, timezone, "
        "candidates_per_room, format_key from events"
    ) == [("Job dating & <i>emploi</i>", 18, 6, 6, 20, "Europe/Brussels", 3, None)]
    assert sql.scalar(
        "select deadline from (select registration_deadline as deadline from events)"
    ).startswith(f"{YEAR}-03-10 22:59")  # 23:59 Brussels


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return buffer.getvalue()


async def test_double_press_on_create_makes_one_event(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    summary = await quick_event(staff)
    create_data = dict(pair for row in summary.buttons for pair in row)["Créer"]
    assert create_data is not None
    await staff.press_data(create_data, message_id=summary.message_id)
    await staff.press_data(create_data, message_id=summary.message_id)
    await staff.wait_for(lambda m: "est créé" in m.text)
    await _wait_photos(staff, 2)
    await asyncio.sleep(0.3)
    answers = [answer.get("text") or "" for answer in await staff.callback_answers()]
    assert any("déjà créé" in text for text in answers)
    assert sql.scalar("select count(*) from events") == 1
    assert len([m for m in await staff.received() if "est créé" in m.text]) == 1


async def test_restart_in_the_middle_resumes_at_the_same_step(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    await step(staff, lambda: staff.command("evenement"), "nom de l'événement")
    await say(staff, "Speed job dating", "Quand commence")
    await say(staff, START, "Combien de temps")
    await bot_runner.restart()
    await say(staff, "4h", "fuseau")  # the duration step, answered after the restart
    await press(staff, "Europe/Paris", "sur place ou à distance")
    await bot_runner.restart()
    await press(staff, "Sur place", "nom du site")
    await say(staff, "Lille", "adresse")
    await say(staff, "Place de la République", "Combien de salles")
    await press(staff, "8", "Sites pour l'instant")
    await press(staff, "C'est tout", "format de salle")
    await press(staff, "Speed job dating 1+3", "Combien de tours")
    await press(staff, "4", "Combien de temps dure chaque tour")
    await press(staff, "45 min", "Avec vos salles : 24 places")
    await press(staff, "24", "Avec vos salles : 8 places")
    await press(staff, "8", "Jusqu'à quand")
    await press(staff, "Une semaine avant, 18h", "question oui/non")
    await press(staff, "Pas de question", "Voici votre événement")
    await press(staff, "Créer", "est créé")
    assert sql("select name, duration_minutes, rounds, round_minutes from events") == [
        ("Speed job dating", 240, 4, 45)
    ]


async def test_cancel_stops_without_creating(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    await step(staff, lambda: staff.command("evenement"), "nom de l'événement")
    await say(staff, "Brouillon", "Quand commence")
    await step(staff, lambda: staff.command("annuler"), "Création arrêtée")
    seen = len(await staff.received())
    await staff.send(START)  # no longer in the conversation: the answer starts nothing
    await asyncio.sleep(0.3)
    assert len(await staff.received()) == seen
    assert sql.scalar("select count(*) from events") == 0
    summary = await quick_event(staff, "Deuxième essai")
    await step(staff, lambda: staff.press("Annuler"), "Création arrêtée")
    assert summary.message_id
    assert sql.scalar("select count(*) from events") == 0


async def test_non_staff_is_refused_everywhere(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    await quick_event(staff, "Réservé")
    await press(staff, "Créer", "est créé")

    bob = client.user(1002, first_name="Bob")
    await step(bob, lambda: bob.command("start"), "Bienvenue")
    await bob.press("Candidat·e")
    await step(bob, lambda: bob.command("evenement"), "réservée à l'équipe")
    await step(bob, lambda: bob.command("evenements"), "réservée à l'équipe")
    await step(bob, lambda: bob.command("inscrits"), "réservée à l'équipe")
    for forged in (
        "evn:create:abcd",
        "evt:cancelok:1",
        "evt:links:1",
        "evt:field:1:name",
        "evt:new",
        "insc:csv:1",
        "insc:ev:1",
        "insc:card:1",
    ):
        await bob.press_data(forged)
    await asyncio.sleep(0.4)
    answers = [answer.get("text") or "" for answer in await bob.callback_answers()][-8:]
    assert len(answers) == 8 and all("réservé" in text for text in answers), answers
    assert sql("select name, status from events") == [("Réservé", "open")]
    assert not [m for m in await bob.received() if m.kind in ("photo", "document")]
    assert not [m for m in await bob.received() if "nom de l'événement" in m.text]


async def test_list_edit_cancel_and_links_again(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    await quick_event(staff, "Cohorte <printemps>")
    await press(staff, "Créer", "est créé")
    listing = await step(staff, lambda: staff.command("evenements"), "Vos événements")
    label = next(label for label in listing.button_labels if "Cohorte" in label)
    assert "Cohorte <printemps>" in label
    details = await press(staff, label, "Inscrit·e·s : 0 candidat·e·s")
    assert details.button_labels == [
        "Modifier",
        "Inscrit·e·s",
        "Liens et QR codes",
        "Annuler l'événement",
    ]

    await press(staff, "Modifier", "Que voulez-vous modifier")
    await press(staff, "Nom", "Écrivez le nouveau nom")
    await say(staff, " ", "Votre réponse est vide")
    await say(staff, "Cohorte d'automne", "C'est enregistré")
    assert sql.scalar("select name from events") == "Cohorte d'automne"

    await press(staff, "Modifier", "Que voulez-vous modifier")
    await press(staff, "Date limite d'inscription", "nouvelle date limite")
    await say(staff, f"20/03/{YEAR}", "doit être avant le début")
    await say(staff, f"05/03/{YEAR} 12h", "C'est enregistré")
    assert sql.scalar("select registration_deadline from events").startswith(f"{YEAR}-03-05 11:00")

    await press(staff, "Modifier", "Que voulez-vous modifier")
    await press(staff, "Date et heure", "nouvelle date")
    await say(staff, f"01/03/{YEAR} 10h", "doit être avant le début")  # deadline is 5 March
    await say(staff, f"19 mars {YEAR} 14h", "C'est enregistré")
    assert sql.scalar("select starts_at from events").startswith(f"{YEAR}-03-19 13:00")

    photos_before = len([m for m in await staff.received() if m.kind == "photo"])
    await press(staff, "Liens et QR codes", "Liens d'invitation")
    await _wait_photos(staff, photos_before + 2)

    await press(staff, "Annuler l'événement", "Voulez-vous vraiment annuler")
    confirm = await staff.last()
    data = dict(pair for row in confirm.buttons for pair in row)["Oui, annuler l'événement"]
    await press(staff, "Oui, annuler l'événement", "est annulé")
    assert sql.scalar("select status from events") == "cancelled"
    await staff.press_data(str(data), message_id=confirm.message_id)
    await asyncio.sleep(0.3)
    answers = [answer.get("text") or "" for answer in await staff.callback_answers()]
    assert "Cet événement est déjà annulé." in answers
    assert len([m for m in await staff.received() if "est annulé." in m.text]) == 1

    await staff.press_data("evt:field:1:name")
    await staff.press_data("evt:show:999")
    await staff.press_data("evt:show:abc")
    await asyncio.sleep(0.3)
    answers = [answer.get("text") or "" for answer in await staff.callback_answers()]
    assert "Cet événement est annulé : on ne peut plus le modifier." in answers
    assert "Cet événement n'existe plus." in answers
    assert "Ce bouton n'est plus valable." in answers


async def test_find_invitation_tells_role_and_whether_open(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    listing = await step(staff, lambda: staff.command("evenements"), "Pas encore d'événement")
    assert listing.button_labels == ["➕ Créer un événement"]
    await press(staff, "➕ Créer un événement", "nom de l'événement")
    await step(staff, lambda: staff.command("annuler"), "Création arrêtée")
    await quick_event(staff, "Invitations")
    await press(staff, "Créer", "est créé")
    candidate_code, employer_code = sql("select candidate_code, employer_code from events")[0]
    assert bot_runner.application is not None
    database = services(bot_runner.application).database

    assert await find_invitation(database, candidate_code) == Invitation(1, "candidate", True)
    assert await find_invitation(database, employer_code) == Invitation(1, "employer", True)
    for unknown in ("", "c_", "c_doesnotexist", "x_" + candidate_code[2:], "c_" + "a" * 60):
        assert await find_invitation(database, unknown) is None
    assert await find_invitation(database, "e_" + candidate_code[2:]) is None

    clock.shift(timedelta(days=500))  # past the sign-up deadline: the link no longer opens
    try:
        assert await find_invitation(database, candidate_code) == Invitation(1, "candidate", False)
    finally:
        clock.reset()
    await cancel_event(database, 1)
    assert await find_invitation(database, candidate_code) == Invitation(1, "candidate", False)


async def test_correcting_the_date_rechecks_the_deadline(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    await quick_event(staff, "À corriger")  # deadline: 11 March, 18:00
    await press(staff, "Corriger", "Que voulez-vous corriger")
    await press(staff, "Date et heure", "Quand commence")
    summary = await say(staff, f"11/03/{YEAR} 9h", "Voici votre événement")
    assert "La date limite d'inscription doit être avant le début." in summary.text
    await staff.press("Créer")
    await asyncio.sleep(0.3)
    answers = [answer.get("text") or "" for answer in await staff.callback_answers()]
    assert answers[-1] == "La date limite d'inscription doit être avant le début."
    assert sql.scalar("select count(*) from events") == 0

    await press(staff, "Corriger", "Que voulez-vous corriger")
    await press(staff, "Sites", "Site 1 : sur place ou à distance")
    await press(staff, "À distance (vidéo)", "lien de la visio")
    await say(staff, "pas un lien", "commence par https://")
    await say(staff, "https://visio.example.org/a?b=1&c=<2>", "Combien de salles")
    await press(staff, "2", "Sites pour l'instant : À distance")
    await press(staff, "C'est tout", "Voici votre événement")
    await press(staff, "Corriger", "Que voulez-vous corriger")
    await press(staff, "Date limite d'inscription", "Jusqu'à quand")
    fixed = await say(staff, f"09/03/{YEAR} 12h", "Voici votre événement")
    assert "⚠️" not in fixed.text
    assert "https://visio.example.org/a?b=1&c=<2> — 2 salles" in fixed.text
    await press(staff, "Créer", "est créé")
    assert sql("select name, remote, video_url from sites") == [
        ("À distance", 1, "https://visio.example.org/a?b=1&c=<2>")
    ]
