"""Bad input at every free-text step: whatever is typed, the bot answers in French, stores
nothing invisible or over the step's limit, and shows back what was typed as typed.

The inputs are drawn by Hypothesis (tests/helpers/properties.py: emoji and joiners,
right-to-left text, bidi overrides, zero-width and control characters, 10,000 characters,
HTML, Markdown, format strings); the bot runs once per test and takes them all.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import TypeVar

import pytest
from hypothesis import strategies as st

from bot.config import Settings
from bot.handlers.signup.draft import ITEM_LIMIT, LONG_LIMIT, NAME_LIMIT, SHORT_LIMIT
from bot.sandbox.client import BotMessage, SandboxClient, User
from tests.conftest import BotRunner, Sql
from tests.helpers.properties import (
    TRICKY,
    drawn,
    errors,
    free_text,
    send_and_check,
    shown,
    stored_problems,
)
from tests.helpers.signup import (
    AGE_Q,
    AGREE,
    ALL,
    COMPANY_Q,
    CONFIRM,
    CONSENT,
    CONSTRAINTS_Q,
    DONE,
    EMPLOYER_SECTORS_Q,
    HOW_MANY_Q,
    JOB_Q,
    JOBS_Q,
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
    TITLE_Q,
    WHERE_Q,
    asked,
    its_me,
    make_event,
    tap,
    tap_sector,
)
from tests.helpers.texts import says

EXAMPLES = 6
TRICKY_PEOPLE = 4  # 20 of the hand-picked inputs, one per step
AT_ONCE = 4
T = TypeVar("T")

# One example per free-text step of a conversation, per person.
candidate_answers = st.fixed_dictionaries(
    {step: free_text() for step in ("name", "job", "skills", "qualities", "constraints")}
)
employer_answers = st.fixed_dictionaries(
    {step: free_text() for step in ("name", "company", "title", "jobs")}
)


async def _side_by_side(*runs: Awaitable[T]) -> list[T]:
    """A few people at once, as they come: the bot handles their updates in turn."""
    gate = asyncio.Semaphore(AT_ONCE)

    async def gated(run: Awaitable[T]) -> T:
        async with gate:
            return await run

    return await asyncio.gather(*(gated(run) for run in runs))


def _asks(messages: list[BotMessage], question: str) -> bool:
    return any(says(question)(message) for message in messages)


async def _typed(
    runner: BotRunner, client: SandboxClient, user: User, text: str, then: str
) -> bool:
    """Type `text` at the current step; whether the conversation went on to `then`."""
    return _asks(await send_and_check(runner, client, user, text), then)


async def _candidate(
    runner: BotRunner, client: SandboxClient, user: User, code: str, answers: dict[str, str]
) -> dict[str, str]:
    """One sign-up with a drawn answer at each typed step (a plain one when refused);
    returns the drawn answers that were taken."""
    taken: dict[str, str] = {}
    await user.command("start", code)
    await asked(user, CONSENT)
    await tap(user, AGREE)
    await asked(user, NAME_Q)
    if await _typed(runner, client, user, answers["name"], AGE_Q):
        taken["name"] = answers["name"]
    else:
        await tap(user, its_me(user))
    await asked(user, AGE_Q)
    await tap(user, "26-35")
    await asked(user, SECTORS_Q)
    await tap(user, "Santé")
    await tap(user, DONE)
    await asked(user, JOB_Q)
    if await _typed(runner, client, user, answers["job"], SKILLS_Q):
        taken["job"] = answers["job"]
    else:
        await user.send("Aide-soignante")
    await asked(user, SKILLS_Q)
    await send_and_check(runner, client, user, answers["skills"])
    await tap(user, "Accueil du public")
    await tap(user, ALL)
    await asked(user, QUALITIES_Q)
    await send_and_check(runner, client, user, answers["qualities"])
    await tap(user, "Patient·e")
    await tap(user, ALL)
    await asked(user, PROGRAMME_Q)
    await tap(user, "COI")
    await asked(user, CONSTRAINTS_Q)
    if await _typed(runner, client, user, answers["constraints"], PHOTO_Q):
        taken["constraints"] = answers["constraints"]
    else:
        await tap(user, NOTHING_TO_REPORT)
    await asked(user, PHOTO_Q)
    await tap(user, SKIP)
    summary = await asked(user, SUMMARY)
    for step, typed in taken.items():
        assert shown(typed) in summary.text, (step, typed[:200], summary.text)
    await tap(user, CONFIRM)
    await asked(user, SIGNED_UP)
    return taken


async def test_candidate_sign_up_takes_any_text(
    bot_runner: BotRunner,
    client: SandboxClient,
    sql: Sql,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    codes = await make_event(settings)
    examples = drawn(candidate_answers, EXAMPLES)
    # The hand-picked troublemakers go through every step too.
    steps = ("name", "job", "skills", "qualities", "constraints")
    examples += [
        {step: TRICKY[(person * len(steps) + i) % len(TRICKY)] for i, step in enumerate(steps)}
        for person in range(TRICKY_PEOPLE)
    ]
    taken = await _side_by_side(
        *(
            _candidate(
                bot_runner,
                client,
                client.user(7000 + number, first_name=f"Personne{number}"),
                codes.candidate,
                answers,
            )
            for number, answers in enumerate(examples)
        )
    )
    assert sum(map(len, taken)) > 0  # some drawn answers were accepted, not all refused
    assert not errors(caplog)
    assert not stored_problems(sql)
    for first_name, job, constraints, strengths, qualities in sql(
        "select p.first_name, c.target_job, c.constraints, c.strengths, c.qualities"
        " from candidate_profiles c join people p on p.id = c.person_id"
    ):
        assert 0 < len(first_name) <= NAME_LIMIT
        assert 0 < len(job) <= SHORT_LIMIT
        assert constraints is None or len(constraints) <= LONG_LIMIT
        for item in json.loads(strengths) + json.loads(qualities):
            assert 0 < len(item) <= ITEM_LIMIT, item


async def _employer(
    runner: BotRunner, client: SandboxClient, user: User, code: str, answers: dict[str, str]
) -> dict[str, str]:
    taken: dict[str, str] = {}
    plain = {"company": "Boulangerie Martin", "title": "Gérant", "jobs": "Boulanger"}
    await user.command("start", code)
    await asked(user, CONSENT)
    await tap(user, AGREE)
    await asked(user, NAME_Q)
    if await _typed(runner, client, user, answers["name"], COMPANY_Q):
        taken["name"] = answers["name"]
    else:
        await tap(user, its_me(user))
    for step, question, following in (
        ("company", COMPANY_Q, TITLE_Q),
        ("title", TITLE_Q, EMPLOYER_SECTORS_Q),
    ):
        await asked(user, question)
        if await _typed(runner, client, user, answers[step], following):
            taken[step] = answers[step]
        else:
            await user.send(plain[step])
    await asked(user, EMPLOYER_SECTORS_Q)
    await tap_sector(user, "Commerce et vente")
    await tap(user, DONE)
    await asked(user, JOBS_Q)
    if await _typed(runner, client, user, answers["jobs"], WHERE_Q):
        taken["jobs"] = answers["jobs"]
    else:
        await user.send(plain["jobs"])
    await asked(user, WHERE_Q)
    await tap(user, "Lille Centre")
    await tap(user, DONE)
    await asked(user, HOW_MANY_Q)
    await tap(user, "3")
    summary = await asked(user, SUMMARY)
    for step, typed in taken.items():
        assert shown(typed) in summary.text, (step, typed[:200], summary.text)
    await tap(user, CONFIRM)
    await asked(user, SIGNED_UP)
    return taken


async def test_employer_sign_up_takes_any_text(
    bot_runner: BotRunner,
    client: SandboxClient,
    sql: Sql,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    codes = await make_event(settings)
    examples = drawn(employer_answers, EXAMPLES + 2)
    taken = await _side_by_side(
        *(
            _employer(
                bot_runner,
                client,
                client.user(7100 + number, first_name=f"Recruteur{number}"),
                codes.employer,
                answers,
            )
            for number, answers in enumerate(examples)
        )
    )
    assert sum(map(len, taken)) > 0
    assert not errors(caplog)
    assert not stored_problems(sql)
    for first_name, company, title, jobs in sql(
        "select p.first_name, e.company, e.job_title, e.jobs"
        " from employer_profiles e join people p on p.id = e.person_id"
    ):
        assert 0 < len(first_name) <= NAME_LIMIT
        assert 0 < len(company) <= SHORT_LIMIT and 0 < len(title) <= SHORT_LIMIT
        assert 0 < len(jobs) <= LONG_LIMIT
