"""Waiting on conditions instead of sleeping: the bot answers and writes asynchronously."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot import clock
from bot.sandbox.client import SandboxClient

if TYPE_CHECKING:
    from tests.conftest import Sql

POLL_SECONDS = 0.02

Check = Callable[[], bool] | Callable[[], Awaitable[bool]]


async def _holds(check: Check) -> bool:
    result: Any = check()
    if inspect.isawaitable(result):
        result = await result
    return bool(result)


async def eventually(check: Check, timeout: float = 5.0) -> bool:
    """Poll `check` (plain or async) until it holds; its last value once `timeout` is over."""
    deadline = time.monotonic() + timeout
    while True:
        if await _holds(check):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(POLL_SECONDS)


def due_messages(sql: Sql) -> list[str]:
    """Keys of outbox rows being sent, or due now (the bot's clock) and not sent yet
    (reminders wait). An update's replies are `sending` from its commit on."""
    rows = sql(
        "select idempotency_key, send_after, status from outbox"
        " where status in ('pending', 'sending')"
    )
    moment = clock.now()
    due = []
    for key, send_after, status in rows:
        when = datetime.fromisoformat(send_after)
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        if status == "sending" or when <= moment:
            due.append(key)
    return due


async def drained(sql: Sql, timeout: float = 20) -> None:
    """Wait until the outbox has sent everything due so far (it paces each chat)."""
    if not await eventually(lambda: not due_messages(sql), timeout):
        raise AssertionError(due_messages(sql))


async def handled(application: Any, client: SandboxClient, timeout: float = 10.0) -> None:
    """Wait until the bot has handled every update sent so far, every handler group included.

    The local Bot API drops an update once the bot asks for the next ones, which PTB does
    only after putting it in its update queue; the queue is joined once each update is
    processed (PTB handles one update at a time). Checking "nothing happened" is then
    meaningful: nothing is still on its way from the updates the test sent.
    """
    assert application is not None

    async def confirmed() -> bool:
        return (await client.stats())["pending_updates"] == 0

    assert await eventually(confirmed, timeout), "the bot did not fetch its updates"
    await asyncio.wait_for(application.update_queue.join(), timeout)
