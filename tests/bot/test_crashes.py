"""The bot killed with SIGKILL at any moment loses nothing and says nothing twice.

The bot runs as a real process (`python -m bot run`, `tests.helpers.process`) against the
sandbox and is killed as a power cut would: at each named point inside the handling of one
update (`PASSERELLE_FAILPOINT`, see `bot.engine.failpoints`), at random moments while 30
people sign up at once, and in the middle of a burst of 800 messages. After each restart
what people see, what the database holds and what they answered must agree.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from functools import partial
from itertools import pairwise
from typing import TypeVar

import pytest

from bot.config import Settings
from bot.engine.failpoints import POINTS
from bot.i18n import sectors
from bot.sandbox.client import BotMessage, SandboxClient, User
from bot.sandbox.server import SandboxServer
from tests.conftest import Sql
from tests.helpers.crowd import (
    AGE_BANDS,
    CHECK,
    SECTORS,
    SKILLS,
    Answers,
    Candidate,
    Stored,
    last_question,
    stored_signup,
    suggestions,
)
from tests.helpers.process import BotProcess, quiet
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
    SECTORS_Q,
    SIGNED_UP,
    SKILLS_Q,
    SKIP,
    SUMMARY,
    asked,
    its_me,
    make_event,
    tap,
)
from tests.helpers.texts import begins, contains, says
from tests.helpers.waiting import eventually

T = TypeVar("T")
START = 30.0  # seconds for the bot process to start and answer (a busy 2-core machine)
EMPTY: tuple[object, ...] = (None, "", [], {}, False)  # an answer not given, in the draft
SECTOR_CODES = {sector.short_label: sector.code for sector in sectors("fr")}


def profile_of(sql: Sql, user_id: int) -> dict[str, object] | None:
    rows = sql(
        "select p.first_name, p.role, p.consent_at, c.age_band, c.sectors, c.target_job,"
        " c.strengths, c.qualities, c.programme, c.constraints, r.status, r.role"
        " from people p join candidate_profiles c on c.person_id = p.id"
        " join registrations r on r.person_id = p.id where p.telegram_id = ?",
        user_id,
    )
    if len(rows) != 1:
        return None
    row = rows[0]
    return {
        "first_name": row[0],
        "role": row[1],
        "consented": row[2] is not None,
        "age_band": row[3],
        "sectors": sorted(json.loads(row[4])),
        "target_job": row[5],
        "strengths": json.loads(row[6]),
        "qualities": json.loads(row[7]),
        "programme": row[8],
        "constraints": row[9],
        "registration": (row[10], row[11]),
    }


# ---------------------------------------------------------------- 1. one update, each point


async def crash_on(
    bot: BotProcess, user: User, point: str, act: Callable[[], Awaitable[T]], question: str
) -> tuple[list[BotMessage], T]:
    """Restart the bot armed at `point`, `act` (the bot dies there), restart it unarmed and
    wait for `question`; returns the messages the user had before, and what `act` returned."""
    await bot.stop()
    await bot.start_ready(failpoint=f"{point}:1", timeout=START)
    before = await user.received()
    done = await act()
    await bot.died()
    await bot.start_ready(timeout=START)
    await asked(user, question, timeout=START)
    return before, done


async def only_new_message(
    user: User, before: list[BotMessage], question: str, bot: BotProcess
) -> BotMessage:
    after = await user.received()
    new = after[len(before) :]
    assert [m.message_id for m in after[: len(before)]] == [m.message_id for m in before]
    described = "\n".join(m.describe() for m in new)
    assert len(new) == 1 and says(question)(new[0]), (
        f"expected one new message {question!r}, got:\n{described}\n{bot.log_tail()}"
    )
    return new[0]


def assert_state_matches_screen(
    sql: Sql, user: User, messages: list[BotMessage], step: str, answers: dict[str, object]
) -> None:
    """The step stored is the last question on screen; the draft holds the answers given so
    far, each once, and nothing else (an answer handled twice would also fill the next one)."""
    found = last_question(messages)
    assert found is not None and found[1] == step, [m.describe() for m in messages]
    stored = stored_signup(sql, user.id)
    assert stored.step == step, stored
    assert stored.draft is not None and stored.draft.get("step") == step, stored
    given = {key: value for key, value in stored.answers.items() if value not in EMPTY}
    assert given == answers, stored.answers


@pytest.mark.parametrize("point", POINTS)
async def test_killed_at_each_point_of_one_update(
    point: str, sandbox: SandboxServer, client: SandboxClient, settings: Settings, sql: Sql
) -> None:
    codes = await make_event(settings)
    bot = BotProcess(sandbox, client, settings.data_dir)
    await bot.start_ready(timeout=START)
    try:
        ana = client.user(2001, first_name="Ana")
        await ana.command("start", codes.candidate)
        await asked(ana, CONSENT, timeout=START)
        await tap(ana, AGREE)
        await asked(ana, NAME_Q)
        await tap(ana, its_me(ana))
        age_question = await asked(ana, AGE_Q)
        await quiet(client, sql, bot)

        # Killed while handling a button: the age band.
        before, query = await crash_on(bot, ana, point, lambda: ana.press("36-45"), SECTORS_Q)
        await quiet(client, sql, bot)
        await only_new_message(ana, before, SECTORS_Q, bot)
        messages = await ana.received()
        age_shown = next(m for m in messages if m.message_id == age_question.message_id)
        assert contains(age_shown.text, "✔ {choice}", choice="36-45") and not age_shown.buttons
        assert query in {answer["callback_query_id"] for answer in await ana.callback_answers()}
        assert_state_matches_screen(
            sql, ana, messages, SECTORS, {"first_name": "Ana", "age_band": "36-45"}
        )

        await tap(ana, "Santé")
        await ana.wait_for(lambda m: CHECK + "Santé" in m.button_labels)
        await tap(ana, DONE)
        await asked(ana, JOB_Q)
        await quiet(client, sql, bot)

        # Killed while handling a typed answer: the job.
        before, _ = await crash_on(bot, ana, point, lambda: ana.send("Aide-soignante"), SKILLS_Q)
        await quiet(client, sql, bot)
        await only_new_message(ana, before, SKILLS_Q, bot)
        assert_state_matches_screen(
            sql,
            ana,
            await ana.received(),
            SKILLS,
            {
                "first_name": "Ana",
                "age_band": "36-45",
                "sectors": ["J"],
                "target_job": "Aide-soignante",
            },
        )

        # Carried on to the end: everything given is stored.
        await tap(ana, "Accueil du public")
        await tap(ana, ALL)
        await asked(ana, QUALITIES_Q)
        await tap(ana, "Patient·e")
        await tap(ana, ALL)
        await asked(ana, PROGRAMME_Q)
        await tap(ana, "COFA")
        await asked(ana, CONSTRAINTS_Q)
        await tap(ana, NOTHING_TO_REPORT)
        await asked(ana, PHOTO_Q)
        await tap(ana, SKIP)
        await asked(ana, SUMMARY)
        await tap(ana, CONFIRM)
        await asked(ana, SIGNED_UP, event="Ose ton projet")
        await quiet(client, sql, bot)
    finally:
        await bot.stop()
    assert profile_of(sql, ana.id) == {
        "first_name": "Ana",
        "role": "candidate",
        "consented": True,
        "age_band": "36-45",
        "sectors": ["J"],
        "target_job": "Aide-soignante",
        "strengths": ["Accueil du public"],
        "qualities": ["Patient·e"],
        "programme": "COFA",
        "constraints": None,
        "registration": ("registered", "candidate"),
    }
    received = await ana.received()
    for question in (AGE_Q, SECTORS_Q, JOB_Q, SKILLS_Q, SUMMARY, SIGNED_UP):
        assert len([m for m in received if says(question)(m)]) == 1, question
    assert sql.scalar("select count(*) from inbox where status != 'done'") == 0
    assert stored_signup(sql, ana.id).step is None


# ---------------------------------------------------------------- 2. random kills, 30 sign-ups

PEOPLE = 30
KILLS = 20
FIRST_NAMES = ("Awa", "Bilal", "Chloé", "Dylan", "Elif", "Farid", "Gaëlle", "Hugo", "Inès", "Jules")
JOBS = ("Aide-soignante", "Cuisinier", "Vendeuse", "Cariste", "Agent d'entretien", "Boulanger")


def sent_twice(conversation: list[BotMessage]) -> list[str]:
    """Bot messages the same as the bot message just before them (as first sent)."""

    def first_text(message: BotMessage) -> str:
        return message.edits[0] if message.edits else message.text

    return [
        after.describe()
        for before, after in pairwise(conversation)
        if before.from_bot and after.from_bot and first_text(before) == first_text(after)
    ]


def answers_for(rng: random.Random, index: int, programmes: list[str]) -> Answers:
    return Answers(
        age=rng.choice(AGE_BANDS),
        sectors=tuple(rng.sample(sorted(SECTOR_CODES), rng.randint(1, 2))),
        job=f"{rng.choice(JOBS)} ({index})",
        skills=tuple(rng.sample(suggestions("strengths")[:8], rng.randint(1, 2))),
        qualities=tuple(rng.sample(suggestions("qualities")[:8], rng.randint(1, 2))),
        programme=rng.choice(programmes),
        constraints=None if index % 2 else f"Garde d'enfants jusqu'à 17 h ({index})",
    )


def expected_profile(person: Candidate) -> dict[str, object]:
    answers = person.answers
    return {
        "first_name": person.user.first_name,
        "role": "candidate",
        "consented": True,
        "age_band": answers.age,
        "sectors": sorted(SECTOR_CODES[label] for label in answers.sectors),
        "target_job": answers.job,
        "strengths": sorted(answers.skills),
        "qualities": sorted(answers.qualities),
        "programme": answers.programme,
        "constraints": answers.constraints,
        "registration": ("registered", "candidate"),
    }


def stored_profile(sql: Sql, person: Candidate) -> dict[str, object] | None:
    """What is stored, lists sorted; without the job in the skills if the person typed it
    again and it came after the job was taken (then it was a skill written, as they saw)."""
    profile = profile_of(sql, person.user.id)
    if profile is None:
        return None
    strengths = sorted(profile["strengths"])  # type: ignore[call-overload]
    if person.typed_again(person.answers.job) and person.answers.job in strengths:
        strengths.remove(person.answers.job)
    qualities = sorted(profile["qualities"])  # type: ignore[call-overload]
    return {**profile, "strengths": strengths, "qualities": qualities}


async def test_random_kills_while_thirty_people_sign_up(
    sandbox: SandboxServer, client: SandboxClient, settings: Settings, sql: Sql
) -> None:
    seed = int(os.environ.get("CRASH_TEST_SEED") or random.randrange(1_000_000))
    rng = random.Random(seed)
    codes = await make_event(settings)
    people = [
        Candidate(
            client.user(3000 + index, first_name=FIRST_NAMES[index % len(FIRST_NAMES)]),
            codes.candidate,
            answers_for(rng, index, settings.programmes),
            random.Random(rng.random()),
        )
        for index in range(PEOPLE)
    ]
    bot = BotProcess(sandbox, client, settings.data_dir, outbox_rate_per_second="300")
    await bot.start_ready(timeout=START)
    began = time.monotonic()
    deadline = began + 240  # 85 to 105 s alone; CI runs other tests beside it
    tasks = [  # they open the link within the first 25 s, while the bot keeps falling over
        asyncio.create_task(person.sign_up(deadline, after=rng.uniform(0, 25))) for person in people
    ]
    kills_while_listening = 0
    done_at_last_kill = 0
    try:
        await asyncio.sleep(rng.uniform(1.0, 2.0))
        for _ in range(KILLS):
            kills_while_listening += await bot.listening()
            await bot.kill()
            done_at_last_kill = sum(person.done for person in people)
            await bot.start()
            if rng.random() < 0.25:  # while it starts (replays, the outbox's recovery)
                await asyncio.sleep(rng.uniform(0.1, 1.0))
            else:  # while it works
                assert await eventually(bot.listening, START), bot.log_tail()
                await asyncio.sleep(rng.uniform(0.2, 2.0))
        killing = time.monotonic() - began
        await asyncio.wait(tasks, timeout=deadline - time.monotonic() + 5)
        stuck = [
            f"{person.describe()}\n  stored: {stored_signup(sql, person.user.id)}"
            for person, task in zip(people, tasks, strict=True)
            if not task.done() or task.exception() is not None
        ]
        assert not stuck, (
            f"seed {seed}: not signed up in time:\n" + "\n".join(stuck) + (f"\n{bot.log_tail()}")
        )
        await quiet(client, sql, bot)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await bot.stop()
    took = time.monotonic() - began
    by_id = {person.user.id: person for person in people}

    # Every answer as given, for everyone.
    wrong = [
        f"{person.user.id}: stored {stored_profile(sql, person)}\n"
        f"  answered {expected_profile(person)}\n  " + "\n  ".join(person.history)
        for person in people
        if stored_profile(sql, person) != expected_profile(person)
    ]
    assert not wrong, f"seed {seed}: sign-ups not as answered:\n" + "\n".join(wrong)
    # A list changed from the summary is one where the person pressed a box twice.
    unexplained = {
        person.user.id: (person.corrections, person.history)
        for person in people
        if not all(person.repeated(step) for step in person.corrections)
    }
    assert not unexplained, f"seed {seed}: summaries not as answered: {unexplained}"
    # Nothing anyone sent was lost: every update handled (none left new, none failed)...
    sent = sorted({update_id for person in people for update_id in person.update_ids})
    statuses = dict(sql("select update_id, status from inbox"))
    unhandled = {
        update_id: statuses.get(update_id)
        for update_id in sent
        if statuses.get(update_id) != "done"
    }
    assert not unhandled, f"seed {seed}: updates not handled: {unhandled}\n{bot.log_tail()}"
    # ... every button press answered, and no sign-up left half-way in the database.
    for person in people:
        answered = {answer["callback_query_id"] for answer in await person.user.callback_answers()}
        assert set(person.queries) <= answered, (
            seed,
            person.user.id,
            set(person.queries) - answered,
        )
        assert stored_signup(sql, person.user.id) == Stored(None, None)
    # Nobody was shown a message twice (some who said something again get two answers).
    twice = {
        person.user.id: found
        for person in people
        if (found := sent_twice(await person.user.conversation()))
    }
    silent = {user_id: found for user_id, found in twice.items() if not by_id[user_id].repeats}
    assert not silent, f"seed {seed}: shown twice: {silent}\n{bot.log_tail()}"
    redelivered = 0
    for update_id in sent:
        redelivered += await client.delivery_count(update_id) > 1
    repeats = sum(len(person.repeats) for person in people)
    corrections = sum(len(person.corrections) for person in people)
    print(
        f"\nstorm (seed {seed}): {PEOPLE} sign-ups complete in {took:.0f}s; {bot.kills} kills in "
        f"{killing:.0f}s ({kills_while_listening} after the bot was up), {bot.starts} starts; "
        f"{done_at_last_kill} signed up at the last kill; {len(sent)} updates, "
        f"{redelivered} delivered twice; {repeats} answers repeated by "
        f"{sum(bool(person.repeats) for person in people)} people: "
        f"{Counter(r.step for person in people for r in person.repeats).most_common()} "
        f"(by step); {corrections} lists corrected from the summary; {len(twice)} people shown "
        "a message twice in a row (all of them after saying something again)"
    )


# ---------------------------------------------------------------- 3. a burst across kills

BURST_PEOPLE = 200
BURST = ("/start", "/aide", "bonjour", "/aide")
ANSWERS = {
    "welcome": says("Hello {name}! Welcome to Passerelle."),
    "help": begins("Here is what you can do:"),
    "not understood": says("I did not understand this message."),
}
EXPECTED_ANSWERS = {"welcome": 1, "help": 2, "not understood": 1}  # for BURST, per person


def kind_of(message: BotMessage) -> str:
    return next((kind for kind, matches in ANSWERS.items() if matches(message)), message.text)


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_burst_of_800_messages_across_kills(
    webhook: bool, sandbox: SandboxServer, client: SandboxClient, settings: Settings, sql: Sql
) -> None:
    """200 people send 4 messages each: half while the bot is down, half while it works
    through them; it is killed in its first batch of updates, then half-way through."""
    bot = BotProcess(
        sandbox, client, settings.data_dir, webhook=webhook, outbox_rate_per_second="300"
    )
    people = [client.user(5000 + index, first_name=f"P{index}") for index in range(BURST_PEOPLE)]
    total = len(people) * len(BURST)
    sent: list[int] = []

    async def answers() -> int:
        return int((await client.stats())["sends_total"])

    async def reached(count: int) -> bool:
        return await answers() >= count

    async def send(texts: tuple[str, ...]) -> None:
        async def one(person: User) -> None:
            for text in texts:
                sent.append(await person.send(text))

        await asyncio.gather(*(one(person) for person in people))

    began = time.monotonic()
    kills_at: list[int] = []
    try:
        await send(BURST[:2])  # while the bot is down
        if not webhook:
            # The first batch (100 updates) is fetched, stored and partly handled but never
            # confirmed: Telegram delivers all of it again after the kill.
            await client.hold_confirmations(True)
        await bot.start_ready(timeout=START)
        sending = asyncio.create_task(send(BURST[2:]))  # while the bot works
        for threshold in (total // 16, total // 2):
            assert await eventually(partial(reached, threshold), timeout=60), (
                f"{await answers()} answers\n{bot.log_tail()}"
            )
            kills_at.append(await answers())
            await bot.kill()
            await client.hold_confirmations(False)
            await bot.start_ready(timeout=START)
        await sending
        await eventually(partial(reached, total), timeout=90)  # who lacks what: see below
        await quiet(client, sql, bot)
    finally:
        await client.hold_confirmations(False)
        await bot.stop()
    took = time.monotonic() - began

    by_chat: dict[int, Counter[str]] = {person.id: Counter() for person in people}
    for message in await client.all_messages(include_user=False):
        by_chat[message.chat_id][kind_of(message)] += 1
    wrong = {chat: dict(kinds) for chat, kinds in by_chat.items() if kinds != EXPECTED_ANSWERS}
    assert not wrong, (
        f"{len(wrong)} people not answered exactly once per message: {wrong}\n{bot.log_tail()}"
    )
    ours = set(sent)
    statuses = Counter(
        status
        for update_id, status in sql("select update_id, status from inbox")
        if update_id in ours
    )
    assert statuses == {"done": total}, statuses
    redelivered = 0
    for update_id in sent:
        redelivered += await client.delivery_count(update_id) > 1
    print(
        f"\nburst ({'webhook' if webhook else 'polling'}): {total} messages from {len(people)} "
        f"people answered once each in {took:.0f}s; killed at {kills_at} answers; "
        f"{redelivered} updates delivered twice"
    )
