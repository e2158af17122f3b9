"""Staff create events through the real bot: every step, bad answers, restarts, links and QR."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import get_args

from PIL import Image

from bot import clock
from bot.callbacks import EditableField
from bot.context import services
from bot.handlers.events import editing
from bot.sandbox.client import BotMessage, SandboxClient, User
from bot.services.events import cancel_event
from bot.services.invitations import Invitation, find_invitation
from tests.conftest import STAFF_ID, BotRunner, Sql
from tests.helpers.conversation import press, say, step
from tests.helpers.texts import contains, contains_n, says, says_n, t, tn
from tests.helpers.waiting import eventually

YEAR = date.today().year + 1
START = f"12 mars {YEAR} à 13h30"

# The questions of `/evenement`, in order (message ids).
NAME_Q = "What is the name of the event? For example: Ose ton projet, spring 2027."
STARTS_Q = "When does it start? Write the date and time, for example {example}."
DURATION_Q = "How long does it last? Press a button or write it, e.g. 2h30."
ZONE_Q = "Which time zone? The usual one is {zone}."
SITE_KIND_Q = "Site {number}: is it in person or remote?"
SITE_NAME_Q = "What is the name of the site? For example: Maison de l'emploi, Lausanne."
ADDRESS_Q = "What is its address? People will see it in their convocation."
VIDEO_Q = "What is the video link? For example: https://meet.example.org/passerelle"
ROOMS_Q = "How many rooms (or seats, or computers) at this site? Press or type a number."
SITES_SO_FAR = "Sites so far: {names}."
FORMAT_Q = "Which room format? Employers + candidates in each room."
ROUNDS_Q = "How many rounds (time slots)? People change rooms between rounds."
ROUND_MINUTES_Q = "How long is each round? Press or type it, e.g. 20 min."
MAX_CANDIDATES_Q = "How many candidates at most? With your rooms, {count} fit."
MAX_EMPLOYERS_Q = "How many employers at most? With your rooms, {count} fit."
DEADLINE_Q = "Until when can people sign up? Press a button or write a date, e.g. {example}."
QUESTION_Q = "Do you want to ask candidates a yes/no question to check they can take part?"
SUMMARY = "Here is your event. Is everything right?"
CREATED = "✅ The event “{name}” is created."
STOPPED = "Event creation stopped. Nothing was created."
LINKS = "Invitation links for “{name}”:"
DEADLINE_AFTER_START = "The registration deadline must be before the start."
CORRECT_Q = "What do you want to correct?"
CHANGE_Q = "What do you want to change?"
SAVED = "✅ Saved."
CANCELLED = "❌ The event “{name}” is cancelled."
ROOMS = ("📍 {site} — {where} — {count} room", "📍 {site} — {where} — {count} rooms")
ORGANISERS_ONLY = "This command is for the organising team only."

# Buttons.
IN_PERSON = t("In person")
REMOTE = t("Remote (video)")
THATS_ALL = t("That's all")
DAY_BEFORE = t("The day before, 6 pm")
NO_QUESTION = t("No question")
CREATE = t("Create")
CORRECT = t("Correct")
CANCEL = t("Cancel")
EDIT = t("Edit")


async def quick_event(staff: User, name: str = "Cohorte test") -> BotMessage:
    """The shortest creation: one site, a cohort (no employers), no question; the summary."""
    await step(staff, lambda: staff.command("evenement"), NAME_Q)
    await say(staff, name, STARTS_Q)
    await say(staff, START, DURATION_Q)
    await press(staff, "3 h", ZONE_Q)
    await press(staff, "Europe/Paris", SITE_KIND_Q)
    await press(staff, IN_PERSON, SITE_NAME_Q)
    await say(staff, "Maison de l'emploi", ADDRESS_Q)
    await say(staff, "Rue du Lac 1, Lausanne", ROOMS_Q)
    await press(staff, "1", SITES_SO_FAR)
    await press(staff, THATS_ALL, FORMAT_Q)
    await press(staff, t("Cohort 0+12"), ROUNDS_Q)
    await press(staff, "1", MAX_CANDIDATES_Q)
    await press(staff, "12", DEADLINE_Q)
    await press(staff, DAY_BEFORE, QUESTION_Q)
    return await press(staff, NO_QUESTION, SUMMARY)


async def test_staff_creates_an_event_end_to_end(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    await step(staff, lambda: staff.command("evenement"), NAME_Q)
    await say(staff, "Ose ton projet <b>printemps</b> & co", STARTS_Q)
    await say(staff, START, DURATION_Q)
    await press(staff, "3 h", ZONE_Q)
    await press(staff, "Europe/Zurich", SITE_KIND_Q)
    await press(staff, IN_PERSON, SITE_NAME_Q)
    await say(staff, "Maison de l'emploi", ADDRESS_Q)
    await say(staff, "Rue du Lac 1, Lausanne", ROOMS_Q)
    await press(staff, "4", SITES_SO_FAR, names="Maison de l'emploi")
    await press(staff, t("Add another site"), SITE_KIND_Q, number=2)
    await press(staff, REMOTE, VIDEO_Q)
    await say(staff, "https://meet.example.org/passerelle", ROOMS_Q)
    await say(staff, "2", SITES_SO_FAR)
    await press(staff, THATS_ALL, FORMAT_Q)
    await press(staff, t("Ose ton projet 2+2"), ROUNDS_Q)
    await press(staff, "1", MAX_CANDIDATES_Q, count=12)
    await press(staff, "12", MAX_EMPLOYERS_Q)
    await say(staff, "10", DEADLINE_Q)
    await press(staff, DAY_BEFORE, QUESTION_Q)
    await press(staff, t("Add a question"), "Type the question. People will answer yes or no.")
    question = "Avez-vous obtenu votre diplôme il y a moins de deux ans ?"
    await say(staff, question, "Which answer lets a person sign up?")
    await press(staff, t("Yes"), says_n("{count} question so far.", "{count} questions so far.", 1))
    summary = await press(staff, THATS_ALL, SUMMARY)
    assert "Ose ton projet <b>printemps</b> & co" in summary.text  # escaped, shown literally
    when = f"vendredi 12 mars {YEAR} à 13 h 30"  # Babel's French calendar (data)
    assert t("📅 {when} ({zone})", when=when, zone="Europe/Zurich") in summary.text
    where = tn(*ROOMS, 4, site="Maison de l'emploi", where="Rue du Lac 1, Lausanne")
    assert where in summary.text
    assert summary.button_labels == [CREATE, CORRECT, CANCEL]

    await press(staff, CREATE, CREATED)
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
        (t("Remote"), None, 2, 1, "https://meet.example.org/passerelle"),
    ]
    assert sql("select text, admitting_answer from eligibility_questions") == [(question, 1)]
    assert sql.scalar("select created_by from events") == sql.scalar(
        "select id from people where telegram_id = ?", STAFF_ID
    )

    links = await staff.wait_for(says(LINKS))
    assert f"https://t.me/passerelle_bot?start={ccode}" in links.text
    assert f"https://t.me/passerelle_bot?start={ecode}" in links.text
    assert contains(photos[0].text, "QR code for candidates — {name}") and ccode in photos[0].text
    assert contains(photos[1].text, "QR code for employers — {name}") and ecode in photos[1].text
    for photo in photos:
        assert photo.photo is not None
        image = Image.open(io.BytesIO(photo.photo))
        assert image.width == image.height and 200 <= image.width <= 1200
        colours = set(image.convert("L").tobytes())
        assert colours <= {0, 255} and colours == {0, 255}

    assert event_id == 1
    assert sql.scalar("select count(*) from persisted_state where key like '%event_draft%'") == 0


async def _wait_photos(user: User, count: int) -> list[BotMessage]:
    async def photos() -> list[BotMessage]:
        return [m for m in await user.received() if m.kind == "photo"]

    async def arrived() -> bool:
        return len(await photos()) >= count

    if not await eventually(arrived):
        raise AssertionError(f"expected {count} photos")
    return await photos()


async def test_bad_answers_are_refused_in_french_and_nothing_is_lost(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    unreadable = "I cannot read this date. Please write it like this: {example}."
    at_least_1 = "Please type a number of at least {low}."
    await step(staff, lambda: staff.command("evenement"), NAME_Q)
    await say(staff, "   ", "Your answer is empty. Please write a few words.")
    await say(staff, "x" * 4096, "That is too long: {limit} characters at most.", limit=200)
    await step(staff, lambda: staff.send_photo(_png()), "Please answer with a text message.")
    await say(staff, "Job dating & <i>emploi</i>", STARTS_Q)
    await say(staff, "bientôt", unreadable)
    await say(staff, "x" * 4096, unreadable)
    await say(
        staff,
        "12/03/2020 13h30",
        "This date is already past. Please give a date to come, e.g. {example}.",
    )
    await say(staff, f"12/03/{YEAR}", "Please add the start time, for example: {example}.")
    await say(staff, "31/02/2099 13h", unreadable)
    await say(staff, f"12/03/{YEAR} 9h", DURATION_Q)
    await say(staff, "abc", "Please write a duration, for example 3h, 2h30 or 90 min.")
    await say(staff, "5 min", "That is too short: at least {duration}.")
    await say(staff, "2h30", ZONE_Q)
    await press(
        staff, t("Other"), "Type the time zone, for example Europe/Luxembourg or America/Montreal."
    )
    await say(staff, "Mars/Olympus", "I do not know this time zone. Write it like Europe/Paris.")
    await say(staff, "europe/brussels", SITE_KIND_Q)
    await say(staff, "sur place", "Please press one of the buttons.")
    await press(staff, IN_PERSON, SITE_NAME_Q)
    await say(staff, "Site <b>A</b>", ADDRESS_Q)
    await say(staff, "Rue 1", ROOMS_Q)
    await say(staff, "abc", "Please type a number, for example {example}.")
    await say(staff, "0", at_least_1, low=1)
    await say(staff, "-3", at_least_1, low=1)
    await say(staff, "99999", "That is too many: {high} at most.", high=200)
    await say(staff, "3", SITES_SO_FAR)
    await press(staff, THATS_ALL, FORMAT_Q)
    await say(staff, "n'importe quoi", "Please press a button, or type the format like this: 2+2.")
    await say(staff, "1+3", ROUNDS_Q)
    await say(staff, "0", at_least_1, low=1)
    await say(staff, "6", ROUND_MINUTES_Q)
    await say(
        staff,
        "30",
        "{rounds} rounds of {minutes} do not fit in {duration}. Shorter rounds, please.",
        duration="2 h 30",
    )
    await press(staff, "20 min", MAX_CANDIDATES_Q)
    await say(staff, "0", at_least_1, low=1)
    await say(staff, "9", MAX_EMPLOYERS_Q)
    await say(staff, "3", DEADLINE_Q)
    await say(staff, f"13/03/{YEAR}", DEADLINE_AFTER_START)
    await say(staff, "01/01/2020", "The registration deadline is already past.")
    await say(staff, f"10/03/{YEAR}", QUESTION_Q)
    summary = await press(staff, NO_QUESTION, SUMMARY)
    assert "Job dating &amp;" not in summary.text
    assert "Job dating & <i>emploi</i>" in summary.text
    assert tn(*ROOMS, 3, site="Site <b>A</b>", where="Rue 1") in summary.text
    rounds = ("🔁 {count} round of {minutes}", "🔁 {count} rounds of {minutes}")
    assert tn(*rounds, 6, minutes="20 min") in summary.text
    assert sql.scalar("select count(*) from events") == 0  # nothing before "Créer"

    # "Corriger" re-runs one section and comes back to the summary.
    await press(staff, CORRECT, CORRECT_Q)
    await press(staff, t("Capacities"), MAX_CANDIDATES_Q)
    await say(staff, "18", MAX_EMPLOYERS_Q)
    fixed = await say(staff, "6", SUMMARY)
    at_most = "🎟 At most {candidates} candidates and {employers} employers"
    assert t(at_most, candidates=18, employers=6) in fixed.text
    await press(staff, CREATE, CREATED)
    assert sql(
        "select name, max_candidates, max_employers, rounds, round_minutes, timezone, "
        "candidates_per_room, format_key from events"
    ) == [("Job dating & <i>emploi</i>", 18, 6, 6, 20, "Europe/Brussels", 3, None)]
    assert sql.scalar(
        "select deadline from (select registration_deadline as deadline from events) as e"
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
    create_data = dict(pair for row in summary.buttons for pair in row)[CREATE]
    assert create_data is not None
    await staff.press_data(create_data, message_id=summary.message_id)
    await staff.press_data(create_data, message_id=summary.message_id)
    await staff.wait_for(says(CREATED))
    await _wait_photos(staff, 2)
    await bot_runner.handled(client)  # both presses are handled: nothing more is coming
    answers = [answer.get("text") or "" for answer in await staff.callback_answers()]
    assert t("This event is already created.") in answers
    assert sql.scalar("select count(*) from events") == 1
    assert len([m for m in await staff.received() if says(CREATED)(m)]) == 1


async def test_restart_in_the_middle_resumes_at_the_same_step(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    await step(staff, lambda: staff.command("evenement"), NAME_Q)
    await say(staff, "Speed job dating", STARTS_Q)
    await say(staff, START, DURATION_Q)
    await bot_runner.restart()
    await say(staff, "4h", ZONE_Q)  # the duration step, answered after the restart
    await press(staff, "Europe/Paris", SITE_KIND_Q)
    await bot_runner.restart()
    await press(staff, IN_PERSON, SITE_NAME_Q)
    await say(staff, "Lille", ADDRESS_Q)
    await say(staff, "Place de la République", ROOMS_Q)
    await press(staff, "8", SITES_SO_FAR)
    await press(staff, THATS_ALL, FORMAT_Q)
    await press(staff, t("Speed job dating 1+3"), ROUNDS_Q)
    await press(staff, "4", ROUND_MINUTES_Q)
    await press(staff, "45 min", MAX_CANDIDATES_Q, count=24)
    await press(staff, "24", MAX_EMPLOYERS_Q, count=8)
    await press(staff, "8", DEADLINE_Q)
    await press(staff, t("One week before, 6 pm"), QUESTION_Q)
    await press(staff, NO_QUESTION, SUMMARY)
    await press(staff, CREATE, CREATED)
    assert sql("select name, duration_minutes, rounds, round_minutes from events") == [
        ("Speed job dating", 240, 4, 45)
    ]


async def test_cancel_stops_without_creating(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    await step(staff, lambda: staff.command("evenement"), NAME_Q)
    await say(staff, "Brouillon", STARTS_Q)
    await step(staff, lambda: staff.command("annuler"), STOPPED)
    await say(staff, START, "I did not understand this message.")  # no longer in it
    assert sql.scalar("select count(*) from events") == 0
    summary = await quick_event(staff, "Deuxième essai")
    await step(staff, lambda: staff.press(CANCEL), STOPPED)
    assert summary.message_id
    assert sql.scalar("select count(*) from events") == 0


async def test_non_staff_is_refused_everywhere(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    await quick_event(staff, "Réservé")
    await press(staff, CREATE, CREATED)

    bob = client.user(1002, first_name="Bob")
    await step(bob, lambda: bob.command("start"), "Hello {name}! Welcome to Passerelle.")
    await bob.press(t("Candidate"))
    await step(bob, lambda: bob.command("evenement"), ORGANISERS_ONLY)
    await step(bob, lambda: bob.command("evenements"), ORGANISERS_ONLY)
    await step(bob, lambda: bob.command("inscrits"), ORGANISERS_ONLY)
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
    await bot_runner.handled(client)
    answers = [answer.get("text") or "" for answer in await bob.callback_answers()][-8:]
    refused = "This is for the organising team only."
    assert len(answers) == 8 and all(contains(text, refused) for text in answers), answers
    assert sql("select name, status from events") == [("Réservé", "open")]
    assert not [m for m in await bob.received() if m.kind in ("photo", "document")]
    assert not [m for m in await bob.received() if says(NAME_Q)(m)]


async def test_list_edit_cancel_and_links_again(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    await quick_event(staff, "Cohorte <printemps>")
    await press(staff, CREATE, CREATED)
    listing = await step(
        staff, lambda: staff.command("evenements"), "Your events. Press one to see it."
    )
    label = next(label for label in listing.button_labels if "Cohorte" in label)
    assert "Cohorte <printemps>" in label
    signed_up = "Signed up: {candidates} candidates, {employers} employers."
    details = await press(staff, label, signed_up, candidates=0)
    assert details.button_labels == [
        EDIT,
        t("Sign-ups"),
        t("Links and QR codes"),
        t("Cancel the event"),
    ]

    await press(staff, EDIT, CHANGE_Q)
    await press(staff, t("Name"), "Type the new name.")
    await say(staff, " ", "Your answer is empty. Please write a few words.")
    await say(staff, "Cohorte d'automne", SAVED)
    assert sql.scalar("select name from events") == "Cohorte d'automne"

    await press(staff, EDIT, CHANGE_Q)
    await press(
        staff, t("Sign-up deadline"), "Type the new sign-up deadline, for example {example}."
    )
    await say(staff, f"20/03/{YEAR}", DEADLINE_AFTER_START)
    await say(staff, f"05/03/{YEAR} 12h", SAVED)
    assert sql.scalar("select registration_deadline from events").startswith(f"{YEAR}-03-05 11:00")

    await press(staff, EDIT, CHANGE_Q)
    await press(staff, t("Date and time"), "Type the new date and time, for example {example}.")
    await say(staff, f"01/03/{YEAR} 10h", DEADLINE_AFTER_START)  # deadline is 5 March
    await say(staff, f"19 mars {YEAR} 14h", SAVED)
    assert sql.scalar("select starts_at from events").startswith(f"{YEAR}-03-19 13:00")

    photos_before = len([m for m in await staff.received() if m.kind == "photo"])
    await press(staff, t("Links and QR codes"), LINKS)
    await _wait_photos(staff, photos_before + 2)

    await press(
        staff,
        t("Cancel the event"),
        "Do you really want to cancel “{name}”? This cannot be undone.",
    )
    confirm = await staff.last()
    yes_cancel = t("Yes, cancel the event")
    data = dict(pair for row in confirm.buttons for pair in row)[yes_cancel]
    await press(staff, yes_cancel, CANCELLED)
    assert sql.scalar("select status from events") == "cancelled"
    await staff.press_data(str(data), message_id=confirm.message_id)
    await bot_runner.handled(client)
    answers = [answer.get("text") or "" for answer in await staff.callback_answers()]
    assert t("This event is already cancelled.") in answers
    assert len([m for m in await staff.received() if says(CANCELLED)(m)]) == 1

    await staff.press_data("evt:field:1:name")
    await staff.press_data("evt:show:999")
    await staff.press_data("evt:show:abc")
    await bot_runner.handled(client)
    answers = [answer.get("text") or "" for answer in await staff.callback_answers()]
    assert t("This event is cancelled: it can no longer be changed.") in answers
    assert t("This event no longer exists.") in answers
    assert t("This button is no longer valid.") in answers


async def test_find_invitation_tells_role_and_whether_open(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    listing = await step(staff, lambda: staff.command("evenements"), "No event yet.")
    assert listing.button_labels == [t("➕ Create an event")]
    await press(staff, t("➕ Create an event"), NAME_Q)
    await step(staff, lambda: staff.command("annuler"), STOPPED)
    await quick_event(staff, "Invitations")
    await press(staff, CREATE, CREATED)
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
    await press(staff, CORRECT, CORRECT_Q)
    await press(staff, t("Date and time"), STARTS_Q)
    summary = await say(staff, f"11/03/{YEAR} 9h", SUMMARY)
    assert contains(summary.text, DEADLINE_AFTER_START)
    again = await press(staff, CREATE, SUMMARY)  # checked again: the reason, the summary again
    assert contains(again.text, DEADLINE_AFTER_START)
    assert sql.scalar("select count(*) from events") == 0

    await press(staff, CORRECT, CORRECT_Q)
    await press(staff, t("Sites"), SITE_KIND_Q, number=1)
    await press(staff, REMOTE, VIDEO_Q)
    await say(staff, "pas un lien", "Please send a link that starts with https://")
    await say(staff, "https://visio.example.org/a?b=1&c=<2>", ROOMS_Q)
    await press(staff, "2", SITES_SO_FAR, names=t("Remote"))
    await press(staff, THATS_ALL, SUMMARY)
    await press(staff, CORRECT, CORRECT_Q)
    await press(staff, t("Sign-up deadline"), DEADLINE_Q)
    fixed = await say(staff, f"09/03/{YEAR} 12h", SUMMARY)
    assert "⚠️" not in fixed.text
    assert contains_n(fixed.text, *ROOMS, 2, where="https://visio.example.org/a?b=1&c=<2>")
    await press(staff, CREATE, CREATED)
    assert sql("select name, remote, video_url from sites") == [
        (t("Remote"), 1, "https://visio.example.org/a?b=1&c=<2>")
    ]


async def test_a_draft_saved_by_the_previous_release_is_finished(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    """The release before the typed draft stored a plain dict and the bare step: it resumes."""
    old_draft = {
        "id": "0a1b2c3d",
        "step": "question_more",
        "name": "Brouillon d'avant",
        "starts_at": f"{YEAR}-03-12T13:30:00",
        "duration": 180,
        "timezone": "Europe/Paris",
        "sites": [{"remote": False, "name": "Lille", "address": "Rue 1", "rooms": 3}],
        "format_key": "ose",
        "employers_per_room": 2,
        "candidates_per_room": 2,
        "rounds": 2,
        "round_minutes": 45,
        "max_candidates": 6,
        "max_employers": 6,
        "deadline": f"{YEAR}-03-11T18:00:00",
        "questions": [],
    }
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    insert = "insert into persisted_state (namespace, key, data, updated_at) values (?, ?, ?, ?)"
    await sql.write(insert, "user_data", str(STAFF_ID), json.dumps({"event_draft": old_draft}), now)
    key = json.dumps([STAFF_ID, STAFF_ID])
    await sql.write(insert, "conversation:event_creation", key, json.dumps("question_more"), now)

    staff = client.user(STAFF_ID, first_name="Sophie")
    await say(staff, "et maintenant ?", QUESTION_Q)  # the step it was at, asked again
    await step(staff, lambda: staff.press_data("evn:q:done"), QUESTION_Q)  # an old button
    answers = [answer.get("text") or "" for answer in await staff.callback_answers()]
    assert answers == [t("This button is no longer valid.")]
    summary = await press(staff, NO_QUESTION, SUMMARY)
    assert "Brouillon d'avant" in summary.text
    assert t("⏱ Duration: {duration}", duration="3 h") in summary.text
    await press(staff, CREATE, CREATED)
    assert sql(
        "select name, duration_minutes, format_key, rounds, round_minutes, max_candidates, "
        "max_employers from events"
    ) == [("Brouillon d'avant", 180, "ose", 2, 45, 6, 6)]
    assert sql.scalar("select starts_at from events").startswith(f"{YEAR}-03-12 12:30")
    assert sql.scalar("select registration_deadline from events").startswith(f"{YEAR}-03-11 17:00")
    assert sql("select name, address, rooms from sites") == [("Lille", "Rue 1", 3)]
    assert sql.scalar("select count(*) from persisted_state where namespace like 'conv%'") == 0


async def test_staff_demoted_midway_is_refused_and_nothing_is_stored(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    """The role is checked before every step, not only at `/evenement`."""
    lea = client.user(1003, first_name="Léa")
    await step(lea, lambda: lea.command("start"), "Hello {name}! Welcome to Passerelle.")
    await sql.write("update people set role = 'staff' where telegram_id = ?", 1003)
    await step(lea, lambda: lea.command("evenement"), NAME_Q)
    await say(lea, "Promue puis rétrogradée", STARTS_Q)
    await sql.write("update people set role = 'candidate' where telegram_id = ?", 1003)
    stored = "select namespace, key, data from persisted_state order by namespace, key"
    before = sql(stored)
    draft_row = "select data from persisted_state where namespace = 'user_data' and key = '1003'"
    draft = json.loads(sql.scalar(draft_row))["event_draft"]
    assert (draft["name"], draft["starts_at"], draft["step"]) == (
        "Promue puis rétrogradée",
        None,
        "starts_at",
    )

    await say(lea, START, ORGANISERS_ONLY)
    await step(lea, lambda: lea.command("annuler"), ORGANISERS_ONLY)
    await bot_runner.handled(client)
    assert sql(stored) == before  # neither the answer nor the step moved
    assert sql.scalar("select count(*) from events") == 0
    assert not [m for m in await lea.received() if says(DURATION_Q)(m)]


def test_every_editable_field_has_its_question() -> None:
    assert set(editing.FIELDS) == set(get_args(EditableField))
