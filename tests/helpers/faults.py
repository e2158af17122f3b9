"""The Bot API failing under the real bot: settled outbox rows, copies received, log lines."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.context import services
from bot.outbox import enqueue, wake
from bot.sandbox.client import BotMessage, SandboxClient, User
from tests.helpers.waiting import eventually

DISPATCHER = "bot.outbox.dispatcher"


async def opened(client: SandboxClient, user_id: int, name: str = "Alice") -> User:
    """A user who opened the bot (Telegram lets the bot write to them) and got its welcome."""
    user = client.user(user_id, first_name=name)
    await user.command("start")
    await user.wait_for(lambda m: True)
    return user


async def queue(application: Any, **message: Any) -> None:
    """An outbox row as a service writes it (convocations and broadcasts go this way)."""
    async with services(application).database.session() as session:
        assert await enqueue(session, **message)
    wake(application)


async def settled(sql: Any, timeout: float = 15) -> None:
    """Wait until no outbox row is waiting or out: every send failed over is resolved."""

    def quiet() -> bool:
        return not sql("select id from outbox where status in ('pending', 'sending')")

    assert await eventually(quiet, timeout), sql(
        "select idempotency_key, status, last_error from outbox"
        " where status in ('pending', 'sending')"
    )


def copies(messages: list[BotMessage], text: str) -> int:
    return len([m for m in messages if m.text == text and not m.deleted])


def dispatcher_lines(caplog: pytest.LogCaptureFixture, key: str) -> list[logging.LogRecord]:
    """The dispatcher's log records about the outbox row `key`."""
    return [
        record
        for record in caplog.records
        if record.name == DISPATCHER
        and key in [word.rstrip(":") for word in record.getMessage().split()]
    ]
