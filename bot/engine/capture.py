"""Holds what handlers show until their update is committed (see `bot.outbox.replies`).

The application's rate limiter is the one public PTB hook every Bot API request passes
through; while an update is handled, calls that show something to a person are kept on the
update's `Turn` and answered with a stand-in result instead of being sent. Handlers may use
the stand-in as a `Message` (its `message_id` is 0) but must not rely on it: a handler that
needs the real message (to edit it later) does so from a task of its own, which is not part
of the update.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import BaseRateLimiter

from bot.engine.turn import Call, current_turn
from bot.outbox.replies import DEFERRED, DROPPED

Result = bool | dict[str, Any] | list[dict[str, Any]]


def stand_in(endpoint: str, data: dict[str, Any]) -> Result:
    """What Telegram would answer, as far as a handler may look at it."""
    chat_id = data.get("chat_id")
    if endpoint.startswith(("send", "edit")) and isinstance(chat_id, int):
        message: dict[str, Any] = {
            "message_id": int(data.get("message_id") or 0),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
        }
        if isinstance(data.get("text"), str):
            message["text"] = data["text"]
        return message
    return True


class CapturingLimiter(BaseRateLimiter[Any]):
    """Wraps the application's limiter; sends nothing that an update in hand would show."""

    def __init__(self, inner: BaseRateLimiter[Any]) -> None:
        self.inner = inner

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> Result:
        turn = current_turn()
        if turn is not None and endpoint in DROPPED:
            return True
        if turn is not None and endpoint in DEFERRED:
            turn.calls.append(Call(endpoint, dict(data)))
            return stand_in(endpoint, data)
        return await self.inner.process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
