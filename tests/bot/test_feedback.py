"""After a meeting: "did it happen?", candidates' feedback and employers' cards, end to end.

The scheduler sends the questions (`tests.helpers.aftercare`: rooms of round 1 are Marie and
Luc with Alice and Bruno, Nora and Paul with Chloé and David); people answer by pressing the
buttons of those very messages, through the local Bot API.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import pytest

from bot import clock
from bot.config import Settings
from bot.sandbox.client import SandboxClient
from tests.conftest import BotRunner, Sql
from tests.helpers.aftercare import after_round, seed_published
from tests.helpers.conversation import say
from tests.helpers.feedback import (
    ABSENT,
    ALREADY_ANSWERED,
    ALREADY_THIS,
    ASIDE,
    CANDIDATE_QUESTION,
    CARD,
    CARRY_ON,
    COULD_HAVE_HELPED,
    DECLINE,
    DECLINED,
    EMPLOYER_QUESTION,
    FIRST_THEME,
    HELPED,
    LIKED,
    NEXT,
    NOT_YOURS,
    OLDER,
    PRESS_YES_AGAIN,
    RATING,
    SELF,
    STRENGTH,
    THANKS_ABSENT,
    THANKS_CANDIDATE,
    THANKS_DECLINED,
    THANKS_EMPLOYER,
    THANKS_SELF,
    THEME,
    TIP,
    WHO,
    YES,
    alerted,
    answer,
    answered,
    data_of,
    face,
    question_for,
    tapped,
)
from tests.helpers.plan import EVENT_NAME
from tests.helpers.texts import begins, contains, says, t


@pytest.fixture(autouse=True)
def real_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


def questionnaire(
    sql: Sql, person_id: int, kind: str, round_number: int = 1, about: int = 0
) -> int:
    found = sql.scalar(
        "select id from questionnaires where person_id = ? and kind = ? and round = ?"
        " and coalesce(about_id, 0) = ?",
        person_id,
        kind,
        round_number,
        about,
    )
    assert found is not None
    return int(found)


async def test_candidate_answers_in_three_taps_and_a_comment(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_published(bot_runner, client, rounds=1)
    await after_round(bot_runner, scenario, sql, 1)
    alice, bruno, chloe = (scenario.candidates[name] for name in ("Alice", "Bruno", "Chloé"))
    ids = scenario.person_ids
    alice_q = questionnaire(sql, ids["Alice"], "cand")
    question = await question_for(alice, CANDIDATE_QUESTION)

    # Someone else's button (forged): refused, nothing stored.
    await chloe.press_data(f"sv:{alice_q}:yes")
    await alerted(chloe, NOT_YOURS)
    assert sql("select * from meeting_reports where questionnaire_id = ?", alice_q) == []

    async def alice_answers() -> None:
        # "Yes", then "Yes" again: the second press changes nothing and asks the same question.
        await answered(alice, question, YES, RATING)
        await answer(alice, question, YES)
        await alerted(alice, ALREADY_THIS)
        assert sql("select answer from meeting_reports where questionnaire_id = ?", alice_q) == [
            ("yes",)
        ]
        rating = await alice.wait_for(says(RATING))
        assert rating.button_labels == [face(1), face(2), face(3), face(4)]

        # Three taps and a typed comment; a second tap on the same button changes nothing.
        helped = await tapped(alice, face(3), HELPED)
        await alice.press_data(data_of(rating, face(3)), message_id=rating.message_id)
        await alerted(alice, OLDER)
        assert helped.button_labels == [
            t("CV and letter"),
            t("Introducing myself"),
            t("My way of speaking and standing"),
            t("My qualities"),
            t("Contacts"),
        ]
        comment = await tapped(alice, t("Introducing myself"), LIKED)
        assert comment.button_labels == [t("Skip")]
        await say(alice, "Les conseils de Marie sur mon CV", THANKS_CANDIDATE)
        assert sql(
            "select rating, helped, comment from candidate_feedback where questionnaire_id = ?",
            alice_q,
        ) == [(3, '["pitch"]', "Les conseils de Marie sur mon CV")]
        assert sql.scalar("select status from questionnaires where id = ?", alice_q) == "answered"
        await alice.wait_for(lambda m: m.message_id == question.message_id and not m.buttons)

        # Late presses on an answered questionnaire change nothing.
        await alice.press_data(data_of(helped, "Introducing myself"), message_id=helped.message_id)
        await answer(alice, question, YES)
        await alerted(alice, ALREADY_ANSWERED, count=2)
        await bot_runner.handled(client)
        assert (
            sql.scalar(
                "select count(*) from candidate_feedback where questionnaire_id = ?", alice_q
            )
            == 1
        )

    async def bruno_answers() -> None:
        # Bruno types instead of pressing, gives a low score and skips the comment.
        bruno_q = questionnaire(sql, ids["Bruno"], "cand")
        await answered(bruno, await question_for(bruno, CANDIDATE_QUESTION), YES, RATING)
        await say(bruno, "bof", "Please press one of the buttons.")
        await bruno.wait_for(says(RATING))
        await tapped(bruno, face(1), HELPED)
        await tapped(bruno, t("Contacts"), COULD_HAVE_HELPED)
        await tapped(bruno, t("Skip"), THANKS_CANDIDATE)
        assert sql(
            "select rating, helped, comment from candidate_feedback where questionnaire_id = ?",
            bruno_q,
        ) == [(1, '["contacts"]', None)]

    # Each chat has its own pace: both answer at the same time.
    await asyncio.gather(alice_answers(), bruno_answers())


async def test_absences_are_stored_and_shown_in_presences(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_published(bot_runner, client, rounds=1)
    await after_round(bot_runner, scenario, sql, 1)
    alice, bruno = scenario.candidates["Alice"], scenario.candidates["Bruno"]
    paul = scenario.employers["Paul"]
    ids = scenario.person_ids

    async def alice_names_who() -> None:
        # Two employers in Alice's room: she names who did not come, one tap each.
        who = await answered(alice, await question_for(alice, CANDIDATE_QUESTION), ABSENT, WHO)
        assert who.button_labels[:2] == ["Marie (Boulangerie du Lac)", "Luc (Clinique des Alpes)"]
        await alice.press("➡️ " + t("That's all"))
        await alerted(alice, "Choose at least one person.")
        await alice.press("Marie (Boulangerie du Lac)")
        await alice.wait_for(lambda m: "✅ Marie (Boulangerie du Lac)" in m.button_labels)
        await tapped(alice, "➡️ " + t("That's all"), THANKS_ABSENT)
        alice_q = questionnaire(sql, ids["Alice"], "cand")
        assert sql(
            "select answer, absent_ids from meeting_reports where questionnaire_id = ?", alice_q
        ) == [("absent", f"[{ids['Marie']}]")]
        assert sql.scalar("select status from questionnaires where id = ?", alice_q) == "answered"

    async def bruno_could_not_come() -> None:
        await answered(bruno, await question_for(bruno, CANDIDATE_QUESTION), SELF, THANKS_SELF)

    async def paul_did_not_see_david() -> None:  # one person: no question after
        about_david = await question_for(paul, EMPLOYER_QUESTION, name="David")
        await answered(paul, about_david, ABSENT, THANKS_ABSENT)

    # Each chat has its own pace: all three answer at the same time.
    await asyncio.gather(alice_names_who(), bruno_could_not_come(), paul_did_not_see_david())
    await bot_runner.handled(client)
    for user in (alice, bruno, paul):  # no feedback question after an absence
        assert not [m for m in await user.received() if says(RATING)(m) or says(FIRST_THEME)(m)]
    assert sorted(sql("select answer, absent_ids from meeting_reports")) == sorted(
        [
            ("absent", f"[{ids['Marie']}]"),
            ("self", f"[{ids['Bruno']}]"),
            ("absent", f"[{ids['David']}]"),
        ]
    )

    # Staff see who was said absent, and by whom.
    staff = scenario.staff
    await staff.command("presences")
    await staff.wait_for(says("For which event?"))
    await staff.press(
        next(label for label in (await staff.last()).button_labels if EVENT_NAME in label)
    )
    overview = await staff.wait_for(begins("<b>Attendance – {event}</b>"))
    assert contains(overview.text, "Said absent after the meeting ({count})", count=3)
    said = "• {name}: absent, said {who}"
    assert contains(overview.text, said, name="Marie Rochat", who="Alice Zephyrine")
    assert contains(overview.text, said, name="David Oxbridge", who="Paul Meyer")
    assert contains(overview.text, "• {name}: could not come, they said", name="Bruno Quartzwell")


async def test_employer_card_with_change_restart_and_decline(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_published(bot_runner, client, rounds=1)
    await after_round(bot_runner, scenario, sql, 1)
    marie = scenario.employers["Marie"]
    ids = scenario.person_ids
    about_alice = await question_for(marie, EMPLOYER_QUESTION, name="Alice")
    about_bruno = await question_for(marie, EMPLOYER_QUESTION, name="Bruno")
    alice_q = questionnaire(sql, ids["Marie"], "emp", about=ids["Alice"])
    bruno_q = questionnaire(sql, ids["Marie"], "emp", about=ids["Bruno"])

    first = await answered(marie, about_alice, YES, FIRST_THEME, name="Alice")
    assert contains(first.text, FIRST_THEME, name="Alice")
    assert contains(first.text, "CV and cover letter")
    assert first.button_labels == [
        t("Needs work"),
        t("Fair"),
        t("Good"),
        t("Very good"),
        t("I don't know"),
    ]
    await tapped(marie, t("Good"), THEME, name="Alice", number=2)

    # Declining the other card meanwhile leaves this one where it was.
    await answered(marie, about_bruno, DECLINE, THANKS_DECLINED)
    assert sql.scalar("select status from questionnaires where id = ?", bruno_q) == "declined"
    await answer(marie, about_bruno, YES)
    await alerted(marie, DECLINED)

    await tapped(marie, t("I don't know"), THEME, name="Alice", number=3)
    await tapped(marie, t("Very good"), THEME, name="Alice", number=4)
    await tapped(marie, t("Fair"), THEME, name="Alice", number=5)
    strength = await tapped(marie, t("Needs work"), STRENGTH, name="Alice")
    assert contains(
        strength.text, "💡 Kindly: what the person did well, then one thing to try next time."
    )
    await say(marie, "Très bonne présentation, souriante", TIP, name="Alice")

    # A restart in the middle: the draft is in the database, the card carries on.
    await bot_runner.restart()
    await say(marie, "Préparer deux exemples", NEXT)
    summary = await tapped(marie, t("Interview planned"), CARD, name="Alice")
    assert contains(
        summary.text, "{theme}: {level}", theme=t("Speaking clearly"), level=t("I don't know")
    )

    # Change the tip from the summary, then confirm.
    await tapped(marie, "✏️ " + t("Tip"), TIP, name="Alice")
    await say(marie, "Préparer deux exemples concrets de votre travail", CARD, name="Alice")
    await tapped(marie, "✅ " + t("That's right"), THANKS_EMPLOYER, name="Alice")
    assert sql(
        "select employer_id, candidate_id, cv, oral, non_verbal, soft_skills, technical,"
        " strength, tip, next_step from employer_feedback where questionnaire_id = ?",
        alice_q,
    ) == [
        (
            ids["Marie"],
            ids["Alice"],
            3,
            None,
            4,
            2,
            1,
            "Très bonne présentation, souriante",
            "Préparer deux exemples concrets de votre travail",
            "interview",
        )
    ]
    assert sql.scalar("select status from questionnaires where id = ?", alice_q) == "answered"
    assert sql.scalar("select count(*) from employer_feedback") == 1


async def test_an_older_questionnaire_still_works_and_the_newer_resumes(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_published(bot_runner, client, rounds=2)
    await after_round(bot_runner, scenario, sql, 1)
    await after_round(bot_runner, scenario, sql, 2)
    alice = scenario.candidates["Alice"]
    ids = scenario.person_ids
    first_q = questionnaire(sql, ids["Alice"], "cand", 1)
    second_q = questionnaire(sql, ids["Alice"], "cand", 2)
    first = await question_for(alice, CANDIDATE_QUESTION, names=re.compile(".*Marie.*"))
    second = await question_for(alice, CANDIDATE_QUESTION, names=re.compile(".*Nora.*"))

    # The newer one first, then the older one (allowed while it is open).
    await answered(alice, second, YES, RATING)
    await tapped(alice, face(4), HELPED)
    await answered(alice, first, YES, RATING)
    await tapped(alice, face(2), HELPED)
    await tapped(alice, t("CV and letter"), COULD_HAVE_HELPED)
    await tapped(alice, t("Skip"), THANKS_CANDIDATE)
    # The newer one again: it carries on where it stopped.
    await answered(alice, second, YES, CARRY_ON)
    await tapped(alice, t("Contacts"), LIKED)
    await say(alice, "Paul m'a donné un contact", THANKS_CANDIDATE)
    assert sql(
        "select questionnaire_id, rating, helped, comment from candidate_feedback order by id"
    ) == [
        (first_q, 2, '["cv"]', None),
        (second_q, 4, '["contacts"]', "Paul m'a donné un contact"),
    ]


async def test_an_idle_questionnaire_is_set_aside_and_resumed(
    client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    """Idle too long (timeout shortened for the test): set aside, "Yes" again resumes it."""
    fast = settings.model_copy(update={"conversation_timeout_minutes": 1.5 / 60})
    runner = BotRunner(fast)
    await runner.start()
    try:
        scenario = await seed_published(runner, client, rounds=1)
        await after_round(runner, scenario, sql, 1)
        alice = scenario.candidates["Alice"]
        question = await question_for(alice, CANDIDATE_QUESTION)
        await answered(alice, question, YES, RATING)
        helped = await tapped(alice, face(4), HELPED)
        await alice.wait_for(says(ASIDE), timeout=6)
        await alice.press(t("Contacts"))
        await alerted(alice, PRESS_YES_AGAIN)
        await answered(alice, question, YES, CARRY_ON)
        await alice.wait_for(lambda m: says(HELPED)(m) and m.message_id > helped.message_id)
        await tapped(alice, t("Contacts"), LIKED)
        await tapped(alice, t("Skip"), THANKS_CANDIDATE)
        assert sql("select rating, helped, comment from candidate_feedback") == [
            (4, '["contacts"]', None)
        ]
    finally:
        await runner.stop()
