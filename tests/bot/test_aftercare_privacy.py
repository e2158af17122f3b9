"""After the event and data rights: the copy lists the answers and cards, erasure leaves no
trace of them, and the notice says who sees what."""

from __future__ import annotations

from bot.sandbox.client import SandboxClient, User
from tests.conftest import BotRunner, Sql
from tests.helpers.cards import add_answers, add_card
from tests.helpers.plan import Scenario, seed_event
from tests.helpers.signup import asked, tap
from tests.helpers.texts import contains, says, t
from tests.helpers.traces import traces
from tests.helpers.waiting import eventually

STRENGTH_A = "Très bon contact QW1"
TIP_A = "Préparez deux exemples QW2"
STRENGTH_HELD = "Texte jamais envoyé QW3"
COMMENT = "Accueil chaleureux QW4"
STRENGTH_BY_LUC = "Rigoureux QW5"
INTRO = "You met {employer} at “{event}”. Here is their message for you:"


async def copy_of(user: User) -> str:
    """The `/mesdonnees` file, as text."""
    before = len(await user.received())
    await user.command("mesdonnees")
    messages = await user.wait_for_count(before + 1)
    document = await user.wait_for(
        lambda m: m.kind == "document" and (m.filename or "").endswith(".txt")
    )
    assert len(messages) > before and document.document is not None
    return document.document.decode("utf-8")


async def with_answers_and_cards(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> Scenario:
    """Alice answered after the event and got Marie's card; Luc's card about her was kept
    back; Luc's report names her absent; Marie also wrote about Bruno (delivered)."""
    scenario = await seed_event(bot_runner, client, waiting=False)
    event_id, ids = scenario.event_id, scenario.person_ids
    await sql.write("update events set feedback_review = false where id = ?", event_id)
    await add_answers(bot_runner, event_id, ids["Alice"], comment=COMMENT)
    await add_answers(
        bot_runner, event_id, ids["Luc"], comment="", absent_ids=[ids["Alice"]], kind="emp"
    )
    await add_card(bot_runner, event_id, ids["Marie"], ids["Alice"], strength=STRENGTH_A, tip=TIP_A)
    await add_card(
        bot_runner, event_id, ids["Marie"], ids["Bruno"], strength="Souriant QW6", tip="Osez"
    )
    await sql.write("update events set feedback_review = true where id = ?", event_id)
    await add_card(
        bot_runner, event_id, ids["Luc"], ids["Alice"], strength=STRENGTH_HELD, tip="Rien QW7"
    )
    await scenario.candidates["Alice"].wait_for(says(INTRO))
    await scenario.candidates["Bruno"].wait_for(says(INTRO))
    await bot_runner.handled(client)
    return scenario


async def test_privacy_notice_says_who_sees_what_after_the_event(
    bot_runner: BotRunner, client: SandboxClient
) -> None:
    user = client.user(4101, first_name="Inès")
    await user.command("confidentialite")
    notice = await asked(user, "<b>Your data at Passerelle</b>")
    assert contains(
        notice.text,
        "• After an event, an employer may write a short opinion about each candidate met."
        " The team sees it. Only the person concerned receives it, nobody else.",
    )
    assert contains(
        notice.text,
        "• Your answers after an event (how it went, where you stand later) are seen by"
        " the team. Funders only get anonymous numbers.",
    )


async def test_my_data_lists_answers_outcomes_and_cards(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await with_answers_and_cards(bot_runner, client, sql)
    alice = await copy_of(scenario.candidates["Alice"])
    for expected in (
        t("Your answers after the events"),
        t("Did the meeting happen: {value}", value=t("Yes")),
        t("Your rating: {value} out of 4", value=4),
        t("Your comment: {value}", value=COMMENT),
        t("Where you stood after the events"),
        t("Situation: {value}", value=t("I have a job")),
        t("Contract: {value}", value=t("fixed-term contract")),
        t("Matches your wishes: {value}", value=t("partly")),
        t("Opinions of employers you met"),
        t("from {name}", name="Marie (Boulangerie du Lac)"),
        t("Strength: {value}", value=STRENGTH_A),
        t("Tip: {value}", value=TIP_A),
    ):
        assert expected in alice, (expected, alice)
    assert STRENGTH_HELD not in alice  # kept back: never hers to read
    assert "Souriant QW6" not in alice  # Bruno's card

    marie = await copy_of(scenario.employers["Marie"])
    for expected in (
        t("Opinions you wrote about candidates"),
        t("about {name}", name="Alice"),
        t("about {name}", name="Bruno"),
        t("Level of {theme}: {level}", theme=t("The CV"), level=t("very good")),
        t("Strength: {value}", value=STRENGTH_A),
        t("Status: {value}", value=t("sent to the candidate")),
        t("What next: {value}", value=t("offers an interview")),
    ):
        assert expected in marie, (expected, marie)
    assert STRENGTH_HELD not in marie and COMMENT not in marie

    luc = await copy_of(scenario.employers["Luc"])
    assert t("Status: {value}", value=t("waiting for the team's review")) in luc
    assert STRENGTH_HELD in luc and STRENGTH_A not in luc


async def test_erasing_a_candidate_leaves_no_trace_of_what_was_said_of_her(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await with_answers_and_cards(bot_runner, client, sql)
    alice_id = scenario.person_ids["Alice"]
    needles = ("Zephyrine", 2001, "2001", STRENGTH_A, TIP_A, STRENGTH_HELD, COMMENT)
    assert traces(sql, *needles)
    alice = scenario.candidates["Alice"]
    await alice.command("supprimer")
    await tap(alice, t("Yes, erase everything"))
    await asked(alice, "Done: all your data has been erased.")
    assert await eventually(lambda: traces(sql, *needles) == []), traces(sql, *needles)
    for table, column in (
        ("questionnaires", "person_id"),
        ("questionnaires", "about_id"),
        ("employer_feedback", "candidate_id"),
        ("outcomes", "person_id"),
    ):
        assert sql.scalar(f"select count(*) from {table} where {column} = ?", alice_id) == 0
    assert sql.scalar("select count(*) from candidate_feedback") == 0
    assert sql("select absent_ids from meeting_reports") == [("[]",)]  # Luc's report
    assert sql("select role, count from deletion_counts") == [("candidate", 1)]
    # What others wrote about other people stays.
    assert sql.scalar("select count(*) from employer_feedback") == 1


async def test_erasing_an_employer_removes_the_cards_she_wrote(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await with_answers_and_cards(bot_runner, client, sql)
    needles = ("Rochat", "Boulangerie du Lac", 3001, "3001", STRENGTH_A, TIP_A, "Souriant QW6")
    assert {row[0] for row in traces(sql, *needles)} >= {"employer_feedback", "outbox"}
    marie = scenario.employers["Marie"]
    await marie.command("supprimer")
    await tap(marie, t("Yes, erase everything"))
    await asked(marie, "Done: all your data has been erased.")
    assert await eventually(lambda: traces(sql, *needles) == []), traces(sql, *needles)
    assert sql.scalar("select count(*) from outbox where kind = 'employer_card'") == 0
    assert sql("select strength from employer_feedback") == [(STRENGTH_HELD,)]
    assert sql("select role, count from deletion_counts") == [("employer", 1)]
    alice = await copy_of(scenario.candidates["Alice"])
    assert STRENGTH_A not in alice and COMMENT in alice
