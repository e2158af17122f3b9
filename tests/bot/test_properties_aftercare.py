"""Bad input to the after-event questionnaires, property-based: the candidates' typed comment
and the employers' typed strength and tip take any text; the answer comes in French,
nothing is logged as an error, what is stored is plain and within the step's limit.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import strategies as st

from bot import clock
from bot.handlers.aftercare.meeting import TEXT_LIMIT
from bot.sandbox.client import SandboxClient, User
from tests.conftest import BotRunner, Sql
from tests.helpers.aftercare import after_round, seed_published
from tests.helpers.feedback import (
    CANDIDATE_QUESTION,
    EMPLOYER_QUESTION,
    FIRST_THEME,
    HELPED,
    LIKED,
    NEXT,
    RATING,
    STRENGTH,
    THANKS_CANDIDATE,
    THEME,
    TIP,
    YES,
    answered,
    face,
    question_for,
    tapped,
)
from tests.helpers.properties import drawn, errors, free_text, send_and_check, stored_problems
from tests.helpers.texts import says, t


@pytest.fixture(autouse=True)
def real_clock() -> Iterator[None]:
    """The questionnaires come after the event: the clock moves, and is put back after."""
    clock.reset()
    yield
    clock.reset()


TRIES = 3  # drawn texts per typed step, until one is taken


async def _typed(
    runner: BotRunner, client: SandboxClient, user: User, texts: list[str], then: str
) -> None:
    """Drawn texts at a typed step until one is taken (a plain one if none is)."""
    for text in texts:
        new = await send_and_check(runner, client, user, text)
        if any(says(then)(message) for message in new):
            return
    await send_and_check(runner, client, user, "Très bien, merci")
    await user.wait_for(says(then))


async def test_questionnaires_take_any_text(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, caplog: pytest.LogCaptureFixture
) -> None:
    scenario = await seed_published(bot_runner, client, rounds=1)
    await after_round(bot_runner, scenario, sql, 1)
    texts = iter(drawn(st.lists(free_text(), min_size=TRIES, max_size=TRIES), 12))
    for candidate in scenario.candidates.values():
        question = await question_for(candidate, CANDIDATE_QUESTION)
        await answered(candidate, question, YES, RATING)
        await tapped(candidate, face(3), HELPED)
        await tapped(candidate, t("Introducing myself"), LIKED)
        await _typed(bot_runner, client, candidate, next(texts), THANKS_CANDIDATE)
    for employer in scenario.employers.values():
        question = await question_for(employer, EMPLOYER_QUESTION)
        await answered(employer, question, YES, FIRST_THEME)
        for number in (2, 3, 4, 5):
            await tapped(employer, t("Good"), THEME, number=number)
        await tapped(employer, t("Good"), STRENGTH)
        await _typed(bot_runner, client, employer, next(texts), TIP)
        await _typed(bot_runner, client, employer, next(texts), NEXT)
    assert not errors(caplog)
    assert not stored_problems(sql)
    comments = sql("select comment from candidate_feedback")
    assert len(comments) == len(scenario.candidates)
    assert all(comment is None or 0 < len(comment) <= TEXT_LIMIT for (comment,) in comments)
    # The card is finished only at its summary: its typed answers are in the draft till then.
    for strength, tip in sql("select strength, tip from employer_feedback"):
        assert len(strength) <= TEXT_LIMIT and len(tip) <= TEXT_LIMIT
