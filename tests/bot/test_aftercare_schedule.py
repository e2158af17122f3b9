"""Questionnaires after the event: created on time, sent once, reminded twice, closed after
7 days, and never sent when they make no sense."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot import clock
from bot.db.models.events import Registration
from bot.db.models.people import Person
from bot.outbox import wake
from bot.sandbox.client import BotMessage, SandboxClient
from bot.services import attendance, events, privacy
from bot.services.aftercare import schedule
from bot.services.aftercare.questions import FollowUpCode, MeetingCode
from tests.conftest import STAFF_ID, BotRunner, Sql
from tests.helpers.aftercare import (
    database_of,
    follow_up_due,
    move_clock_to,
    questions_by_name,
    questions_of,
    round_due,
    run_tick,
    seed_published,
)
from tests.helpers.plan import EMPLOYERS, Scenario
from tests.helpers.texts import contains_n, t
from tests.helpers.waiting import drained

COMPANY = {first: company for _id, first, _last, company, _sectors in EMPLOYERS}
MEETING_BUTTONS = [
    "Yes",
    "No, the person did not come",
    "I could not come",
    "I prefer not to answer",
]
FOLLOW_UP_BUTTONS = [
    "I have a job",
    "I am in training",
    "I am in an internship",
    "I am still looking",
    "Other",
    "I prefer not to answer",
]
EMPLOYER_NAMES = ("Marie", "Luc", "Nora", "Paul")
CANDIDATE_NAMES = ("Alice", "Bruno", "Chloé", "David")


@pytest.fixture(autouse=True)
def moved_clock() -> Iterator[None]:
    clock.reset()
    yield None
    clock.reset()


def met(*employers: str) -> str:
    names = [f"{name} ({COMPANY[name]})" for name in employers]
    return t("Did your meeting with {names} take place?", names=" et ".join(names))


def meeting_id(message: BotMessage) -> int:
    data = message.buttons[0][0][1]
    assert data is not None and data.startswith("sv:")
    return int(data.split(":")[1])


def check_meeting_buttons(message: BotMessage) -> None:
    qid = meeting_id(message)
    assert message.buttons == [
        [(t(label), f"sv:{qid}:{code.value}")]
        for label, code in zip(MEETING_BUTTONS, MeetingCode, strict=True)
    ]


def texts(messages: list[BotMessage]) -> list[str]:
    return sorted(message.text for message in messages)


async def test_one_question_per_room_and_per_candidate_met_sent_once(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_published(bot_runner, client)

    early = await run_tick(bot_runner, round_due(1) - timedelta(minutes=1))
    assert early == schedule.TickReport()
    await drained(sql)
    assert all(not q for q in (await questions_by_name(scenario)).values())

    first = await run_tick(bot_runner, round_due(1))
    assert first.created == 4 + 4 * 2  # a question per candidate, per candidate met
    await drained(sql)
    questions = await questions_by_name(scenario)
    assert texts(questions["Alice"]) == [met("Marie", "Luc")]
    assert texts(questions["David"]) == [met("Nora", "Paul")]
    assert texts(questions["Marie"]) == [
        t("Did you meet {name}?", name="Alice"),
        t("Did you meet {name}?", name="Bruno"),
    ]
    assert texts(questions["Paul"]) == [
        t("Did you meet {name}?", name="Chloé"),
        t("Did you meet {name}?", name="David"),
    ]
    for messages in questions.values():
        for message in messages:
            check_meeting_buttons(message)
    alice_qid = meeting_id(questions["Alice"][0])
    assert sql(
        "select key, kind, round, site_id, room, about_id from questionnaires where id = ?",
        alice_qid,
    ) == [
        (
            f"cand:{scenario.registrations['Alice']}:1",
            "cand",
            1,
            scenario.site_id,
            1,
            None,
        )
    ]
    marie_about = sql(
        "select key, about_id from questionnaires where registration_id = ? order by about_id",
        scenario.registrations["Marie"],
    )
    ids = scenario.person_ids
    assert marie_about == [
        (f"emp:{scenario.registrations['Marie']}:1:{ids[name]}", ids[name])
        for name in sorted(("Alice", "Bruno"), key=lambda n: ids[n])
    ]

    # Again, and after a restart: nothing new, nothing sent twice.
    assert (await run_tick(bot_runner)).created == 0
    await bot_runner.restart()
    assert (await run_tick(bot_runner, round_due(1) + timedelta(minutes=5))).created == 0
    await drained(sql)
    assert await questions_by_name(scenario) == questions

    second = await run_tick(bot_runner, round_due(2))
    assert second.created == 12
    await drained(sql)
    questions = await questions_by_name(scenario)
    assert texts(questions["Alice"]) == sorted([met("Marie", "Luc"), met("Nora", "Paul")])
    assert len(questions["Marie"]) == 4
    assert sql("select count(*) from questionnaires") == [(24,)]
    assert sql("select count(*) from outbox where kind = 'survey' and status = 'sent'") == [(24,)]


async def test_reminders_at_24_and_72_hours_then_expiry_after_7_days(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_published(bot_runner, client, rounds=1)
    due = round_due(1)
    await run_tick(bot_runner, due)
    await drained(sql)
    alice, bruno = scenario.candidates["Alice"], scenario.candidates["Bruno"]
    [question] = await questions_of(alice)
    [bruno_question] = await questions_of(bruno)
    database = database_of(bot_runner)
    async with database.session() as session:
        declined = await schedule.decline(session, meeting_id(bruno_question), bruno.id)
        assert declined.outcome is schedule.DeclineOutcome.DECLINED
        again = await schedule.decline(session, meeting_id(bruno_question), bruno.id)
        assert again.outcome is schedule.DeclineOutcome.ALREADY_DECLINED
        foreign = await schedule.decline(session, meeting_id(question), bruno.id)
        assert foreign.outcome is schedule.DeclineOutcome.NOT_YOURS

    assert (await run_tick(bot_runner, due + timedelta(hours=23, minutes=59))).reminded == 0
    assert (await run_tick(bot_runner, due + timedelta(hours=24, minutes=1))).reminded == 11
    await drained(sql)
    [_, reminder] = await questions_of(alice)
    assert reminder.text == t("A short reminder:") + "\n" + question.text
    assert reminder.buttons == question.buttons
    assert len(await questions_of(bruno)) == 1  # declined: no reminder

    assert (await run_tick(bot_runner, due + timedelta(hours=30))).reminded == 0
    second = await run_tick(bot_runner, due + timedelta(hours=72, minutes=1))
    assert second.reminded == 11
    assert (await run_tick(bot_runner, due + timedelta(hours=100))).reminded == 0
    await drained(sql)
    assert len(await questions_of(alice)) == 3

    closing = await run_tick(bot_runner, due + timedelta(days=7, minutes=1))
    assert (closing.expired, closing.reminded) == (11, 0)
    assert (await run_tick(bot_runner, due + timedelta(days=9))).expired == 0
    await drained(sql)
    assert len(await questions_of(alice)) == 3
    statuses = dict(sql("select status, count(*) from questionnaires group by status"))
    assert statuses == {"expired": 11, "declined": 1}
    async with database.session() as session:
        view = await schedule.open_questionnaire(session, meeting_id(question), alice.id)
        assert isinstance(view, schedule.QuestionnaireView)
        assert (view.status, view.is_open, view.round, view.newer_exists) == (
            "expired",
            False,
            1,
            False,
        )
        assert [p.first_name for p in view.employers] == ["Marie", "Luc"]
        assert [p.first_name for p in view.candidates] == ["Bruno"]
        assert await schedule.open_questionnaire(session, 10**6, alice.id) is (
            schedule.Refusal.UNKNOWN
        )


async def set_registrations(
    runner: BotRunner, scenario: Scenario, changes: dict[str, dict[str, object]]
) -> None:
    """Registration fields as staff or people left them (attended, status), by first name."""
    async with database_of(runner).session() as session:
        for first_name, values in changes.items():
            registration = await session.get(Registration, scenario.registrations[first_name])
            assert registration is not None
            for name, value in values.items():
                setattr(registration, name, value)


async def test_follow_ups_for_who_came_and_silence_after_three_ignored(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_published(bot_runner, client, rounds=2)
    await run_tick(bot_runner, round_due(1))
    await run_tick(bot_runner, round_due(2))
    await drained(sql)
    await set_registrations(
        bot_runner,
        scenario,
        {
            "Alice": {"attended": True},
            "Bruno": {"status": "confirmed"},  # not marked, but confirmed: counted as present
            "Chloé": {},  # registered, never confirmed nor marked: not asked
            "David": {"attended": False},
        },
    )
    assert (await run_tick(bot_runner, round_due(2) + timedelta(days=7, minutes=1))).expired == 24

    # 30 days: only those who came; nothing earlier, nothing after the 7-day window.
    assert (await run_tick(bot_runner, follow_up_due(30) - timedelta(minutes=1))).created == 0
    follow = await run_tick(bot_runner, follow_up_due(30))
    assert follow.created == 2
    await drained(sql)
    alice, bruno = scenario.candidates["Alice"], scenario.candidates["Bruno"]
    [*_, question] = await questions_of(alice)
    assert contains_n(
        question.text,
        "Hello {name}. {count} day ago, you were at “{event}”. Where do you stand today?",
        "Hello {name}. {count} days ago, you were at “{event}”. Where do you stand today?",
        30,
        name="Alice",
        event="Ose ton projet",
    )
    qid = int((question.buttons[0][0][1] or "").split(":")[1])
    assert question.buttons == [
        [(t(label), f"fu:{qid}:{code.value}")]
        for label, code in zip(FOLLOW_UP_BUTTONS, FollowUpCode, strict=True)
    ]
    for name in ("Chloé", "David"):
        assert len(await questions_of(scenario.candidates[name])) == 2  # the two rounds only
    [*_, bruno_follow] = await questions_of(bruno)
    async with database_of(bot_runner).session() as session:
        bruno_qid = int((bruno_follow.buttons[0][0][1] or "").split(":")[1])
        assert await schedule.mark_answered(session, bruno_qid)
        assert not await schedule.mark_answered(session, bruno_qid)

    # Alice lets her third in a row expire: she is no longer asked; Bruno answered, he is.
    assert (
        await run_tick(bot_runner, follow_up_due(30) + timedelta(days=7, minutes=1))
    ).expired == 1
    async with database_of(bot_runner).session() as session:
        silent = await schedule.silent_people(session, scenario.event_id)
    # Chloé and David were asked twice only; employers let their four questions expire.
    assert [person.first_name for person in silent] == ["Alice", "Luc", "Marie", "Nora", "Paul"]
    assert silent[0].role == "candidate"
    late = await run_tick(bot_runner, follow_up_due(90))
    assert (late.created, late.skipped_silent) == (1, 1)
    await drained(sql)
    assert len(await questions_of(alice)) == 3  # the two rounds and day 30, no more
    assert sql("select key from questionnaires where offset_days = 90") == [
        (f"follow:{scenario.registrations['Bruno']}:90",)
    ]
    assert (await run_tick(bot_runner, follow_up_due(90) + timedelta(days=8))).created == 0


async def test_nothing_for_cancelled_withdrawn_erased_or_unreachable(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_published(bot_runner, client, rounds=1)
    database = database_of(bot_runner)
    ids = scenario.person_ids
    async with database.session() as session:
        paul = await session.get(Person, ids["Paul"])
        assert paul is not None
        paul.unreachable_at = clock.now()  # he blocked the bot
    # The scheduler runs for a moment still ahead of the bot's clock: its rows wait queued.
    queued = await schedule.tick(database, round_due(1))
    assert queued.created == 4 + 3 * 2  # Paul cannot be reached: nothing for him
    # Bruno withdraws through the bot; Chloé's withdrawal is stored by a path that does not
    # know about questionnaires; Luc erases his data.
    bruno = scenario.candidates["Bruno"]
    answer = await attendance.answer_attendance(
        database, scenario.registrations["Bruno"], bruno.id, False, [STAFF_ID]
    )
    assert answer.outcome is attendance.Outcome.WITHDRAWN
    await set_registrations(bot_runner, scenario, {"Chloé": {"status": "withdrawn"}})
    assert await privacy.erase_person(database, scenario.employers["Luc"].id) == "employer"

    move_clock_to(round_due(1))
    assert bot_runner.application is not None
    wake(bot_runner.application)
    await drained(sql)
    questions = await questions_by_name(scenario)
    assert texts(questions["Alice"]) == [met("Marie", "Luc")]  # written before Luc left
    assert texts(questions["David"]) == [met("Nora", "Paul")]
    assert texts(questions["Marie"]) == [t("Did you meet {name}?", name="Alice")]
    assert texts(questions["Nora"]) == [t("Did you meet {name}?", name="David")]
    for name in ("Bruno", "Chloé", "Luc", "Paul"):
        assert questions[name] == []
    assert sql(
        "select count(*) from outbox where kind = 'survey' and status = 'cancelled' "
        "and last_error = 'refused at send time'"
    ) == [(2,)]  # Chloé's question and Nora's about her, refused by the outbox
    closed = await run_tick(bot_runner)
    assert (closed.cancelled, closed.created) == (2, 0)

    # The event is cancelled after the follow-up question was queued: it does not go out.
    await set_registrations(bot_runner, scenario, {"Alice": {"attended": True}})
    later = await schedule.tick(database, follow_up_due(30))
    assert (later.created, later.expired) == (1, 4)
    await sql.write("update events set status = 'cancelled' where id = ?", scenario.event_id)
    report = await run_tick(bot_runner, follow_up_due(30) + timedelta(minutes=1))
    await drained(sql)
    assert (report.created, report.cancelled) == (0, 1)
    assert len(await questions_of(scenario.candidates["Alice"])) == 1
    assert sql("select count(*) from questionnaires where status = 'open'") == [(0,)]
    follow_id = sql.scalar("select id from questionnaires where offset_days = 30")
    assert sql("select status from outbox where idempotency_key = ?", f"survey:{follow_id}:0") == [
        ("cancelled",)
    ]


async def test_the_repeating_job_sends_without_a_direct_call(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_published(bot_runner, client, rounds=1)
    bot_runner.settings = bot_runner.settings.model_copy(update={"aftercare_seconds": 1})
    await bot_runner.restart()
    move_clock_to(round_due(1))
    await scenario.candidates["Alice"].wait_for(lambda m: m.text == met("Marie", "Luc"), 5)
    # Staff cancel the event afterwards (`/evenements`): every open question closes at once.
    await events.cancel_event(database_of(bot_runner), scenario.event_id)
    assert sql("select distinct status from questionnaires") == [("cancelled",)]
