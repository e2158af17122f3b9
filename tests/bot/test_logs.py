"""Logs at INFO carry no personal data and no secret: a whole candidate sign-up, every logger.

Telegram's Bot API puts the token in every request URL, and httpx logs URLs at INFO: the bot
sets the `httpx` logger to WARNING where it builds the application.
"""

from __future__ import annotations

import logging

import pytest

from bot.config import Settings
from bot.sandbox.client import SandboxClient
from tests.conftest import TOKEN, BotRunner
from tests.helpers.signup import CONFIRM, SIGNED_UP, asked, make_event, sign_up_candidate, tap

FIRST_NAME = "Zéphyrine"
LAST_NAME = "Quistrebert"
TYPED = "Aide-soignante"  # the one typed answer of `sign_up_candidate`


async def test_no_personal_data_or_token_in_info_logs(
    bot_runner: BotRunner,
    client: SandboxClient,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    codes = await make_event(settings)
    person = client.user(731_001, first_name=FIRST_NAME, last_name=LAST_NAME, username="zeph77")
    await sign_up_candidate(person, codes.candidate)
    await tap(person, CONFIRM)
    await asked(person, SIGNED_UP)
    await bot_runner.handled(client)
    logging.getLogger("bot.canary").info("canary")  # proves the capture works at INFO
    records = caplog.records
    assert any(record.getMessage() == "canary" for record in records)
    secret = TOKEN.partition(":")[2]
    for record in records:
        line = f"{record.name} {record.getMessage()} {record.exc_text or ''}"
        for forbidden in (FIRST_NAME, LAST_NAME, "zeph77", TYPED, TOKEN, secret):
            assert forbidden not in line, (forbidden, record.name, line[:300])
