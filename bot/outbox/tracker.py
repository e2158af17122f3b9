"""The highest message id known in each chat, including the bot's replies outside the outbox.

The crash-time probe (see `bot.outbox.dispatcher`) edits messages above a floor with the exact
content of the row it looks for. An edit with different content *modifies* a message, so
every bot message above the floor must be one the probe may touch: the floor must be at least
the id of every message the bot sent in that chat by other means (handlers answer directly
through the application's bot, not through the outbox).

`ChatTops` keeps that high-water mark per chat, in memory and in an append-only file
(`os.write`, survives `kill -9`, compacted at start), fed by `TrackingLimiter`, which wraps
the application's rate limiter — every Bot API call of the handlers passes through it — and
reads the message id out of each answer.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from telegram.ext import BaseRateLimiter

FILE_NAME = "outbox-chat-tops.journal"
COMPACT_BYTES = 1_000_000


class ChatTops:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._tops: dict[int, int] = {}
        self._fd: int | None = None
        self._written = 0

    def open(self) -> None:
        """Load what earlier runs recorded and start appending (idempotent)."""
        if self.path is None or self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            for line in self.path.read_text(encoding="ascii", errors="ignore").splitlines():
                parts = line.split()
                if len(parts) == 2:
                    try:
                        chat_id, message_id = int(parts[0]), int(parts[1])
                    except ValueError:
                        continue
                    self._remember(chat_id, message_id)
        self._compact()

    def _compact(self) -> None:
        assert self.path is not None
        if self._fd is not None:
            os.close(self._fd)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(
            "".join(f"{chat} {top}\n" for chat, top in self._tops.items()), encoding="ascii"
        )
        os.replace(temporary, self.path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._written = 0

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _remember(self, chat_id: int, message_id: int) -> bool:
        if message_id > self._tops.get(chat_id, 0):
            self._tops[chat_id] = message_id
            return True
        return False

    def note(self, chat_id: int, message_id: int, *, durable: bool = True) -> None:
        """A message exists at `message_id`; `durable=False` when the caller records it itself."""
        if self._remember(chat_id, message_id) and durable and self._fd is not None:
            line = f"{chat_id} {message_id}\n".encode("ascii")
            os.write(self._fd, line)  # synchronous on purpose: see the module docstring
            self._written += len(line)
            if self._written > COMPACT_BYTES:
                self._compact()

    def get(self, chat_id: int) -> int:
        return self._tops.get(chat_id, 0)

    def note_answer(self, data: dict[str, Any] | None, result: Any) -> None:
        """Message ids in a Bot API answer (a message, a list of them, or a `MessageId`)."""
        items = result if isinstance(result, list) else [result]
        for item in items:
            if not isinstance(item, dict) or "message_id" not in item or "update_id" in item:
                continue
            chat = item.get("chat")
            chat_id = chat.get("id") if isinstance(chat, dict) else (data or {}).get("chat_id")
            try:
                self.note(int(chat_id), int(item["message_id"]))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue


class TrackingLimiter(BaseRateLimiter[Any]):
    """Delegates to the application's limiter (if any) and notes the message ids it returns."""

    def __init__(self, inner: BaseRateLimiter[Any] | None, tops: ChatTops) -> None:
        self.inner = inner
        self.tops = tops

    async def initialize(self) -> None:
        if self.inner is not None:
            await self.inner.initialize()

    async def shutdown(self) -> None:
        if self.inner is not None:
            await self.inner.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if self.inner is not None:
            result = await self.inner.process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        else:
            result = await callback(*args, **kwargs)
        if endpoint != "getUpdates":
            self.tops.note_answer(data, result)
        return result
