"""Follow-up outcomes: candidates answer "Où en êtes-vous ?" and a few questions, change
them later; staff record them for people who do not answer (`/suivi`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from bot import clock
from bot.engine.steps import Refused
from bot.handlers.aftercare.outcomes import read_start_date
from bot.sandbox.client import BotMessage, SandboxClient, User
from bot.services.aftercare import outcomes
from bot.services.aftercare.outcomes import OutcomeFacts
from tests.conftest import STAFF_ID, BotRunner, Sql
from tests.helpers.aftercare import (
    database_of,
    follow_up_due,
    questions_of,
    run_tick,
    seed_published,
)
from tests.helpers.plan import EVENT_NAME, Scenario
from tests.helpers.texts import contains, says, t
from tests.helpers.waiting import drained, eventually

START_JOB = "When did you start this job (or when do you start)? E.g. {example}."
CONTRACT = "What kind of contract is it?"
DURATION = "How long is it planned to last?"
FROM_EVENT = "Did you find this job thanks to the meeting “{event}”?"
WISHES = "Does this job match what you wanted?"
SUMMARY = "<b>Your answers</b> – {event}, {days} days after"
JOB_THANKS = "Thank you! Your answers are saved. Congratulations on this job!"
SEARCH_THANKS = (
    "Thank you for telling us. Good luck with your search: your adviser is there to help."
)
UNREADABLE = "I cannot read this date. Please write it like this: {example}."
IMPOSSIBLE = "This date does not exist. Please check the day and the month, e.g. {example}."
PRESS_A_BUTTON = "Please press one of the buttons."
NOT_YOURS = "This button is not for you."
CONFIRM = "✅ " + t("That's right")
ROW = (
    "select situation, start_date, contract, duration, from_event, matches_wishes, by_staff,"
    " recorded_by from outcomes where person_id = ? and offset_days = ?"
)


@pytest.fixture(autouse=True)
def moved_clock() -> Iterator[None]:
    clock.reset()
    yield None
    clock.reset()


async def followed(runner: BotRunner, client: SandboxClient, sql: Sql) -> Scenario:
    """The scheduler's event: Alice marked present, Bruno confirmed (both asked at 30 days),
    Chloé marked absent, David never confirmed (neither asked)."""
    scenario = await seed_published(runner, client, rounds=1)
    ids = scenario.registrations
    await sql.write("update registrations set attended = true where id = ?", ids["Alice"])
    await sql.write("update registrations set status = 'confirmed' where id = ?", ids["Bruno"])
    await sql.write("update registrations set attended = false where id = ?", ids["Chloé"])
    await run_tick(runner, follow_up_due(30) + timedelta(minutes=1))
    await drained(sql)
    return scenario


def qid(sql: Sql, scenario: Scenario, name: str, days: int = 30) -> int:
    found = sql.scalar(
        "select id from questionnaires where kind = 'follow' and person_id = ? and offset_days = ?",
        scenario.person_ids[name],
        days,
    )
    assert found is not None
    return int(found)


async def said(user: User, message: str, count: int = 1, **values: object) -> None:
    """Exactly `count` bot messages hold `message` (waits for them)."""
    matches = says(message, **values)

    async def reached() -> bool:
        found = len([m for m in await user.received() if matches(m)])
        assert found <= count, f"{found} messages with {message!r}, expected {count}"
        return found == count

    if not await eventually(reached):
        raise AssertionError(f"expected {count} messages with {message!r}")


async def alerted(user: User, message: str) -> None:
    """A callback answer holds `message` (an alert or a short notice)."""

    async def found() -> bool:
        return any(
            contains(answer.get("text") or "", message) for answer in await user.callback_answers()
        )

    assert await eventually(found), await user.callback_answers()


async def answer(user: User, labels: tuple[str, ...]) -> None:
    """Press the job's buttons from the contract on, each once its question is shown."""
    for label in labels:
        before = len(await user.received())
        await user.press(t(label))
        await user.wait_for_count(before + 1)  # the next question (or the summary)


async def summary(user: User, count: int = 1) -> BotMessage:
    await said(user, SUMMARY, count, event=EVENT_NAME, days=30)
    return await user.last()


async def test_a_job_end_to_end_then_changed_later(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await followed(bot_runner, client, sql)
    alice = scenario.candidates["Alice"]
    alice_id = scenario.person_ids["Alice"]
    [invitation] = await questions_of(alice)

    await alice.press(t("I have a job"))
    await said(alice, START_JOB)
    # Words that are no date, then a date no calendar has: a clear reason, the question again.
    await alice.send("bientôt")
    await said(alice, UNREADABLE)
    await alice.send("31/02/2027")
    await said(alice, IMPOSSIBLE)
    await said(alice, START_JOB, 3)
    await alice.send("15/03/2027")
    await said(alice, CONTRACT)
    # Text where a button is expected.
    await alice.send("un bon contrat")
    await said(alice, PRESS_A_BUTTON)
    await said(alice, CONTRACT, 2)
    await alice.press(t("CDI"))
    await said(alice, DURATION)
    await alice.press(t("6 months or more"))
    await said(alice, FROM_EVENT, event=EVENT_NAME)
    await alice.press(t("Partly"))
    await said(alice, WISHES)
    await alice.press(t("Yes"))
    shown = await summary(alice)
    assert contains(shown.text, "Start: {value}", value="15 mars 2027")
    assert contains(shown.text, "Contract: {value}", value="CDI")
    assert sql(ROW, alice_id, 30) == []  # nothing stored before "That's right"
    await alice.press(CONFIRM)
    await said(alice, JOB_THANKS)
    assert sql(ROW, alice_id, 30) == [
        ("job", "2027-03-15", "cdi", "6plus", "partly", "yes", 0, None)
    ]
    assert sql.scalar(
        "select status from questionnaires where id = ?", qid(sql, scenario, "Alice")
    ) == ("answered")

    # "That's right" pressed again: the summary is gone, nothing changes.
    await alice.press_data(shown.buttons[0][0][1] or "", shown.message_id)
    await bot_runner.handled(client)
    assert sql.scalar("select count(*) from outcomes") == 1

    # Later, `/situation` reopens the summary; one change updates the same row.
    await alice.command("situation")
    await summary(alice, 2)
    await alice.press("✏️ " + t("Contract"))
    await said(alice, CONTRACT, 3)
    await alice.press(t("CDD"))
    await summary(alice, 3)
    await alice.press(CONFIRM)
    await said(alice, JOB_THANKS, 2)
    assert sql(ROW, alice_id, 30) == [
        ("job", "2027-03-15", "cdd", "6plus", "partly", "yes", 0, None)
    ]

    # The invitation's buttons again: "still looking" replaces the job, same row.
    await alice.press_data(f"fu:{qid(sql, scenario, 'Alice')}:searching", invitation.message_id)
    await said(alice, SEARCH_THANKS)
    assert sql(ROW, alice_id, 30) == [("searching", None, None, None, None, None, 0, None)]
    await alice.press_data(f"fu:{qid(sql, scenario, 'Alice')}:searching", invitation.message_id)
    await said(alice, "You have already told us this. Thank you!")
    assert sql.scalar("select count(*) from outcomes") == 1


async def test_unknown_date_double_press_restart_forged_press_and_decline(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await followed(bot_runner, client, sql)
    alice, bruno = scenario.candidates["Alice"], scenario.candidates["Bruno"]
    bruno_qid = qid(sql, scenario, "Bruno")

    # A double press starts one conversation.
    await bruno.press_data(f"fu:{bruno_qid}:job")
    await bruno.press_data(f"fu:{bruno_qid}:job")
    await bot_runner.handled(client)
    await said(bruno, START_JOB)
    await alerted(bruno, "Already noted. Please answer the last question.")

    # The bot restarts in the middle: the next answer carries on.
    await bot_runner.restart()
    await bruno.press(t("I don't remember"))
    await said(bruno, CONTRACT)
    await answer(bruno, ("Temporary work", "Less than a month", "No", "Partly"))
    await bruno.press(CONFIRM)
    await said(bruno, JOB_THANKS)
    assert sql(ROW, scenario.person_ids["Bruno"], 30) == [
        ("job", None, "interim", "lt1", "no", "partly", 0, None)
    ]

    # Alice presses a copy of Bruno's button: refused, nothing changes.
    await alice.press_data(f"fu:{bruno_qid}:searching")
    await alerted(alice, NOT_YOURS)
    await bot_runner.handled(client)
    assert sql.scalar("select count(*) from outcomes") == 1

    # At 90 days Alice prefers not to answer; a later press on it changes nothing.
    await run_tick(bot_runner, follow_up_due(90) + timedelta(minutes=1))
    await drained(sql)
    alice_90 = qid(sql, scenario, "Alice", 90)
    await alice.press_data(f"fu:{alice_90}:decline")
    await said(alice, "Noted. You will not be asked these questions again. Thank you.")
    assert sql.scalar("select status from questionnaires where id = ?", alice_90) == "declined"
    await alice.press_data(f"fu:{alice_90}:job")
    await alerted(alice, "You chose not to answer these questions. Nothing changes.")
    await bot_runner.handled(client)
    assert sql.scalar("select count(*) from outcomes where offset_days = 90") == 0

    # Bruno's 90-day questions closed unanswered after a week: a late press changes nothing.
    await run_tick(bot_runner, follow_up_due(90) + timedelta(days=7, minutes=2))
    await bruno.press_data(f"fu:{qid(sql, scenario, 'Bruno', 90)}:job")
    await alerted(bruno, "These questions are closed. Thank you.")
    await bot_runner.handled(client)
    assert sql.scalar("select count(*) from outcomes where offset_days = 90") == 0
    assert sql.scalar("select count(*) from outcomes") == 1


async def test_staff_record_an_outcome_and_others_are_refused(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await followed(bot_runner, client, sql)
    staff, alice = scenario.staff, scenario.candidates["Alice"]
    bruno_id = scenario.person_ids["Bruno"]

    # A candidate cannot use `/suivi`, nor forge its buttons.
    await alice.command("suivi")
    await said(alice, "This command is for the organising team only.")
    await alice.press_data("ocs:ab12:who:1")
    await alerted(alice, "This is for the organising team only.")
    await bot_runner.handled(client)
    assert sql.scalar("select count(*) from outcomes") == 0

    await staff.command("suivi")
    await said(staff, "Record a follow-up: for which event?")
    await staff.press(next(b for b in (await staff.last()).button_labels if EVENT_NAME in b))
    await said(staff, "About whom? Only the people who came are listed.")
    people = await staff.last()
    assert [label.split(" ")[0] for label in people.button_labels] == ["Alice", "Bruno"]
    # Chloé was absent: her id on a forged button of this question is refused.
    data = people.buttons[0][0][1] or ""
    forged = data.rsplit(":", 1)[0] + f":{scenario.person_ids['Chloé']}"
    await staff.press_data(forged, people.message_id)
    await alerted(staff, "This button is not valid.")
    await staff.press(next(b for b in people.button_labels if b.startswith("Bruno")))
    await said(staff, "Which follow-up?")
    await staff.press(t("{days} days after", days=30))
    await said(staff, "Where does {name} stand today?")
    await staff.press(t("In a job"))
    await said(
        staff, "When did {name} start (or when will they start)? Write the date, e.g. {example}."
    )
    await staff.send("2 avril")  # no year: the nearest one, this April
    await said(staff, CONTRACT)
    await answer(staff, ("Own business", "No planned end", "Yes", "Yes"))
    await said(staff, "<b>{name}</b> – {event}, {days} days after", name="Bruno Quartzwell")
    await staff.press(CONFIRM)
    await said(staff, "Saved for {name}, recorded by the team.", name="Bruno Quartzwell")
    staff_person = sql.scalar("select id from people where telegram_id = ?", STAFF_ID)
    assert sql(ROW, bruno_id, 30) == [
        ("job", date(2027, 4, 2).isoformat(), "own", "open", "yes", "yes", 1, staff_person)
    ]
    bruno_qid = qid(sql, scenario, "Bruno")
    assert sql.scalar("select status from questionnaires where id = ?", bruno_qid) == "answered"
    # What the report reads.
    async with database_of(bot_runner).session() as session:
        facts = await outcomes.outcomes_for(session, event_ids=[scenario.event_id])
    assert facts == [
        OutcomeFacts(
            person_id=bruno_id,
            event_id=scenario.event_id,
            event_date=date(2027, 3, 9),
            offset_days=30,
            situation="job",
            start_date=date(2027, 4, 2),
            contract="own",
            duration="open",
            from_event="yes",
            matches_wishes="yes",
            by_staff=True,
        )
    ]

    # Bruno sees it was recorded by the team, and can correct it himself.
    bruno = scenario.candidates["Bruno"]
    await bruno.command("situation")
    shown = await summary(bruno)
    assert contains(shown.text, "<i>Recorded by the team.</i>")
    await bruno.press("✏️ " + t("Situation"))
    await said(bruno, "What is your situation today?")
    await bruno.press(t("I am still looking"))
    await summary(bruno, 2)
    await bruno.press(CONFIRM)
    await said(bruno, SEARCH_THANKS)
    assert sql(ROW, bruno_id, 30) == [("searching", None, None, None, None, None, 0, None)]
    assert sql.scalar("select count(*) from outcomes") == 1


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("15/03/2027", date(2027, 3, 15)),
        ("15 mars", date(2027, 3, 15)),  # no year: the nearest, not next March
        ("1er juin", date(2027, 6, 1)),  # soon enough to be this year's
        ("aujourd'hui", date(2027, 4, 8)),
        ("31/02/2027", IMPOSSIBLE),
        ("30 février", IMPOSSIBLE),
        ("15/13/2027", IMPOSSIBLE),
        ("mars 2027", UNREADABLE),  # the event dates' parser needs a day
        ("01/05/2028", "This date is more than a year away. Please check it, e.g. {example}."),
    ],
)
def test_start_dates_as_typed(typed: str, read: object) -> None:
    found = read_start_date(typed, date(2027, 4, 8))
    assert (found.message if isinstance(found, Refused) else found) == read
