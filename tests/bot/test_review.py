"""Employers' cards reach candidates kindly: at once, or after staff review them (`/avis`).

Cards are stored as the card conversation leaves them (`tests.helpers.cards.add_card`); what
is checked is what each person really receives from the local Bot API.
"""

from __future__ import annotations

import re

from bot.context import services
from bot.sandbox.client import BotMessage, SandboxClient, User
from bot.services.aftercare.review import card_completed
from tests.conftest import STAFF_ID, BotRunner, Sql
from tests.helpers.cards import add_card
from tests.helpers.plan import Scenario, seed_event
from tests.helpers.texts import contains, says, t
from tests.helpers.waiting import eventually

INTRO = "You met {employer} at “{event}”. Here is their message for you:"
STRENGTH = "💪 Your strength: {text}"
TIP = "💡 Their tip: {text}"
COACH = "Talk it over with {coach}, who supports you."
NO_COACH = "Talk it over with your adviser."
NOTICE = (
    "Employers' opinions about candidates are waiting for your review: “{event}”. "
    "Nothing reaches the candidates before you decide."
)
CARD = "<b>Opinion to review – {event}</b> ({count} waiting)"
ALL_DONE = "All the opinions of this event have been reviewed. Thank you!"

STRENGTH_A = "Très bon contact, souriante ZK1"
TIP_A = "Préparez deux exemples concrets ZK2"
STRENGTH_B = "Calme et précis ZK3"
TIP_B = "Parlez plus fort ZK4"
NEW_TIP_B = "Montrez votre diplôme ZK9"
STRENGTH_C = "Motivée ZK5"
TIP_C = "Apportez un CV ZK6"


def is_card(message: BotMessage) -> bool:
    return says(INTRO)(message)


async def cards_of(user: User) -> list[BotMessage]:
    return [m for m in await user.received() if is_card(m)]


async def everyone_holding(client: SandboxClient, text: str) -> set[int]:
    """Chats where any bot message holds `text`."""
    return {m.chat_id for m in await client.all_messages(include_user=False) if text in m.text}


def word_count(text: str) -> int:
    return len(re.findall(r"\w+(?:['’]\w+)*", text))


async def staff_id_of(sql: Sql) -> int:
    return int(sql.scalar("select id from people where telegram_id = ?", STAFF_ID))


async def prepared(bot_runner: BotRunner, client: SandboxClient, sql: Sql) -> Scenario:
    scenario = await seed_event(bot_runner, client, waiting=False)
    # Alice's coach is Sophie (staff, who registered her); Bruno and Chloé have none.
    await sql.write(
        "update registrations set registered_by = ? where id = ?",
        await staff_id_of(sql),
        scenario.registrations["Alice"],
    )
    return scenario


async def test_cards_go_at_once_kindly_to_their_candidate_only(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await prepared(bot_runner, client, sql)
    await sql.write("update events set feedback_review = false where id = ?", scenario.event_id)
    await sql.write(
        "update registrations set status = 'withdrawn' where id = ?",
        scenario.registrations["Chloé"],
    )
    ids = scenario.person_ids
    first = await add_card(
        bot_runner, scenario.event_id, ids["Marie"], ids["Alice"], strength=STRENGTH_A, tip=TIP_A
    )
    await add_card(
        bot_runner, scenario.event_id, ids["Luc"], ids["Bruno"], strength=STRENGTH_B, tip=TIP_B
    )
    withdrawn = await add_card(
        bot_runner, scenario.event_id, ids["Nora"], ids["Chloé"], strength=STRENGTH_C, tip=TIP_C
    )
    alice, bruno = scenario.candidates["Alice"], scenario.candidates["Bruno"]

    card = await alice.wait_for(is_card)
    text = card.text
    assert contains(text, INTRO, employer="Marie (Boulangerie du Lac)", event="Ose ton projet")
    assert contains(text, COACH, coach="Sophie")
    assert text.index(STRENGTH_A) < text.index(TIP_A)  # the strength first, then the tip
    assert contains(text, STRENGTH, text=STRENGTH_A) and contains(text, TIP, text=TIP_A)
    assert word_count(text) <= 60, word_count(text)
    for label in (
        "The CV",
        "The way of speaking",
        "very good",
        "no opinion",
        "offers an interview",
    ):
        assert t(label) not in text  # no table of levels, no "what next"

    other = await bruno.wait_for(is_card)
    assert contains(other.text, NO_COACH)  # no coach known: a neutral phrase
    assert contains(other.text, INTRO, employer="Luc (Clinique des Alpes)")

    await bot_runner.handled(client)
    # Nobody else got a word of them: not the employers, the other candidates or staff.
    assert await everyone_holding(client, STRENGTH_A) == {alice.id}
    assert await everyone_holding(client, TIP_B) == {bruno.id}
    assert await everyone_holding(client, STRENGTH_C) == set()  # Chloé withdrew
    assert sql("select review from employer_feedback where id = ?", withdrawn) == [("held",)]
    assert sql.scalar("select review from employer_feedback where id = ?", first) == "sent"
    assert sql.scalar("select delivered_at from employer_feedback where id = ?", first)
    assert [m for m in await scenario.staff.received() if says(NOTICE)(m)] == []

    # Completing the same card again (a replayed update) sends nothing more.
    from_card = sql.scalar("select count(*) from outbox where kind = 'employer_card'")
    await sql.write("update employer_feedback set review = 'waiting' where id = ?", first)
    await add_card_again(bot_runner, first)
    await bot_runner.handled(client)
    assert sql.scalar("select count(*) from outbox where kind = 'employer_card'") == from_card
    assert len(await cards_of(alice)) == 1


async def add_card_again(bot_runner: BotRunner, feedback_id: int) -> None:
    assert bot_runner.application is not None
    async with services(bot_runner.application).database.session() as session:
        await card_completed(session, feedback_id)


async def test_staff_review_send_change_and_keep_back(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await prepared(bot_runner, client, sql)
    ids, event_id = scenario.person_ids, scenario.event_id
    staff = scenario.staff
    first = await add_card(
        bot_runner, event_id, ids["Marie"], ids["Alice"], strength=STRENGTH_A, tip=TIP_A
    )
    second = await add_card(
        bot_runner, event_id, ids["Luc"], ids["Bruno"], strength=STRENGTH_B, tip=TIP_B
    )
    third = await add_card(
        bot_runner, event_id, ids["Nora"], ids["Chloé"], strength=STRENGTH_C, tip=TIP_C
    )
    # One notice for the batch, to staff; nothing reaches the candidates yet.
    await staff.wait_for(says(NOTICE, event="Ose ton projet"))
    await bot_runner.handled(client)
    assert len([m for m in await staff.received() if says(NOTICE)(m)]) == 1
    for candidate in scenario.candidates.values():
        assert await cards_of(candidate) == []
    assert {row[0] for row in sql("select review from employer_feedback")} == {"waiting"}

    # /avis lists the event; the notice's button opens the same first card.
    await staff.command("avis")
    listing = await staff.wait_for(
        says("Employers' opinions waiting for your review. Which event?")
    )
    assert listing.button_labels == [t("{event}: {count} waiting", event="Ose ton projet", count=3)]
    await staff.press(t("Review the opinions"))
    shown = await staff.wait_for(says(CARD, count=3))
    assert contains(shown.text, "From: {employer}", employer="Marie (Boulangerie du Lac)")
    assert contains(shown.text, "About: {candidate}", candidate="Alice Zephyrine")
    assert t("Level of {theme}: {level}", theme=t("The CV"), level=t("very good")) in shown.text
    assert t(
        "Level of {theme}: {level}", theme=t("Skills for the trade"), level=t("no opinion")
    ) in (shown.text)
    assert contains(shown.text, "Next: {step}", step=t("offers an interview"))
    assert shown.button_labels == [t("Send"), t("Change"), t("Do not send")]
    send_first = f"rv:do:{first}:send"

    # "Envoyer": Alice gets it, once, even if the button is pressed again.
    await staff.press(t("Send"))
    await staff.wait_for(says("✅ Sent to the candidate."))
    await scenario.candidates["Alice"].wait_for(is_card)
    await staff.wait_for(says(CARD, count=2))
    await staff.press_data(send_first, message_id=shown.message_id)
    await staff.wait_for(says("This opinion was already sent. Nothing changes."))
    await bot_runner.handled(client)
    assert len(await cards_of(scenario.candidates["Alice"])) == 1
    assert sql.scalar("select count(*) from outbox where kind = 'employer_card'") == 1
    assert sql.scalar("select review from employer_feedback where id = ?", first) == "sent"

    # "Modifier": a new tip typed by staff is what Bruno receives.
    await staff.press(t("Change"))
    await staff.wait_for(says("What do you want to change?"))
    await staff.press(t("The tip"))
    await staff.wait_for(says("Type the new tip, as the candidate will read it."))
    await staff.send(NEW_TIP_B)
    again = await staff.wait_for(
        lambda m: says(CARD)(m) and NEW_TIP_B in m.text and bool(m.buttons)
    )
    assert TIP_B not in again.text and STRENGTH_B in again.text
    await staff.press(t("Send"))
    card = await scenario.candidates["Bruno"].wait_for(is_card)
    assert contains(card.text, TIP, text=NEW_TIP_B) and TIP_B not in card.text
    assert card.text.index(STRENGTH_B) < card.text.index(NEW_TIP_B)

    # "Ne pas envoyer": Chloé receives nothing; then every card is done.
    await staff.wait_for(lambda m: says(CARD, count=1)(m) and STRENGTH_C in m.text)
    await staff.press(t("Do not send"))
    await staff.wait_for(says("Kept back: the candidate will not receive it."))
    await staff.wait_for(says(ALL_DONE))
    await staff.press_data(f"rv:do:{third}:send")
    await staff.wait_for(says("This opinion was already kept back. Nothing changes."))
    await bot_runner.handled(client)
    assert await cards_of(scenario.candidates["Chloé"]) == []
    assert await everyone_holding(client, STRENGTH_C) == {staff.id}
    assert await everyone_holding(client, NEW_TIP_B) == {staff.id, scenario.candidates["Bruno"].id}
    staff_person = await staff_id_of(sql)
    assert sql("select review, reviewed_by from employer_feedback order by id") == [
        ("sent", staff_person),
        ("sent", staff_person),
        ("held", staff_person),
    ]
    assert sql.scalar("select tip from employer_feedback where id = ?", second) == NEW_TIP_B
    await staff.command("avis")
    await staff.wait_for(says("No employer opinion is waiting for review."))

    # A later card starts a new batch: one more notice.
    await add_card(
        bot_runner, event_id, ids["Paul"], ids["David"], strength="Ponctuel ZK7", tip="Souriez"
    )
    assert await eventually(
        lambda: sql.scalar("select count(*) from outbox where kind = 'review_notice'") == 2
    )


async def test_review_is_refused_to_others_and_forged_buttons_change_nothing(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await prepared(bot_runner, client, sql)
    ids = scenario.person_ids
    feedback = await add_card(
        bot_runner, scenario.event_id, ids["Marie"], ids["Alice"], strength=STRENGTH_A, tip=TIP_A
    )
    alice, marie = scenario.candidates["Alice"], scenario.employers["Marie"]
    await marie.command("avis")
    await marie.wait_for(says("This command is for the organising team only."))
    for data in (
        f"rv:do:{feedback}:send",
        f"rv:ev:{scenario.event_id}",
        f"rv:ed:{feedback}:tip",
        f"rv:set:{scenario.event_id}:off",
    ):
        await alice.press_data(data)
    await bot_runner.handled(client)
    answers = await alice.callback_answers()
    refusal = t("This is for the organising team only.")
    assert len(answers) == 4 and all(answer.get("text") == refusal for answer in answers)
    await alice.send("Un autre conseil")  # no editing conversation was opened for her
    await bot_runner.handled(client)
    assert sql("select review, tip from employer_feedback") == [("waiting", TIP_A)]
    assert sql.scalar("select feedback_review from events") == 1
    assert await everyone_holding(client, STRENGTH_A) == set()

    # Staff: forged or unknown cards are told apart, and nothing changes.
    staff = scenario.staff
    await staff.press_data("rv:do:999:send")
    await staff.wait_for(says("This button is no longer valid. Type /avis."))
    await staff.press_data(f"rv:do:{feedback}:maybe")
    await bot_runner.handled(client)
    assert len([m for m in await staff.received() if "/avis" in m.text]) >= 2
    assert sql("select review from employer_feedback") == [("waiting",)]


async def test_staff_choose_per_event_whether_cards_are_reviewed(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await prepared(bot_runner, client, sql)
    staff = scenario.staff
    await staff.press_data(f"evt:edit:{scenario.event_id}")
    await staff.wait_for(lambda m: t("Employers' opinions") in m.button_labels)
    await staff.press(t("Employers' opinions"))
    await staff.wait_for(says("Employers' opinions for “{event}”: {state}."))
    await staff.press(t("Send them at once"))
    await staff.wait_for(
        says(
            "Employers' opinions for “{event}”: {state}.",
            state=t("they go to the candidates as soon as written"),
        )
    )
    assert sql.scalar("select feedback_review from events") == 0
    ids = scenario.person_ids
    await add_card(
        bot_runner, scenario.event_id, ids["Marie"], ids["Alice"], strength=STRENGTH_A, tip=TIP_A
    )
    await scenario.candidates["Alice"].wait_for(is_card)


async def test_the_creator_alone_is_told_and_a_late_change_is_refused(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await prepared(bot_runner, client, sql)
    colleague = client.user(900002, first_name="Karim")
    await colleague.command("start")
    await colleague.wait_for(lambda m: bool(m.text))
    await sql.write("update people set role = 'staff' where telegram_id = 900002")
    await sql.write(
        "update events set created_by = ? where id = ?", await staff_id_of(sql), scenario.event_id
    )
    ids = scenario.person_ids
    feedback = await add_card(
        bot_runner, scenario.event_id, ids["Marie"], ids["Alice"], strength=STRENGTH_A, tip=TIP_A
    )
    staff = scenario.staff
    await staff.wait_for(says(NOTICE))
    await bot_runner.handled(client)
    assert [m for m in await colleague.received() if says(NOTICE)(m)] == []

    # Karim opens the card and presses "Change"; Sophie sends it meanwhile.
    await colleague.press_data(f"rv:ev:{scenario.event_id}")
    await colleague.wait_for(says(CARD))
    await colleague.press(t("Change"))
    await colleague.wait_for(says("What do you want to change?"))
    await colleague.press(t("The strength"))
    await colleague.wait_for(says("Type the new strength, as the candidate will read it."))
    await staff.press_data(f"rv:do:{feedback}:send")
    await staff.wait_for(says("✅ Sent to the candidate."))
    await colleague.send("Un texte trop tardif ZK8")
    await colleague.wait_for(says("This opinion was already sent. Nothing changes."))
    await bot_runner.handled(client)
    assert sql.scalar("select strength from employer_feedback") == STRENGTH_A
    assert await everyone_holding(client, "ZK8") == set()
    card = await scenario.candidates["Alice"].wait_for(is_card)
    assert STRENGTH_A in card.text
