"""Telegram's flood limits on our side: an even global pace and one message per chat per second.

Sending at a steady 95 % of the allowed rate keeps us clear of 429s (each one costs a
`retry_after` pause), while still using nearly all of the allowance.
"""

from __future__ import annotations

import time
import warnings
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter

SAFETY = 0.95
CHAT_INTERVAL_SECONDS = 1.05
CATCH_UP_SLOTS = 8


class RatePacer:
    """Hands out evenly spaced start times; `pause` honours a server's `retry_after`."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / max(per_second * SAFETY, 0.1)
        self._next = 0.0
        self.paused_until = 0.0

    def reserve(self) -> float:
        """Seconds to wait before the caller may start its send (a slot is now taken)."""
        now = time.monotonic()
        slot = max(self._next, now - self.interval * CATCH_UP_SLOTS, self.paused_until)
        self._next = slot + self.interval
        return max(0.0, slot - now)

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)
        self._next = max(self._next, self.paused_until)

    def paused(self) -> bool:
        return time.monotonic() < self.paused_until


class ChatSpacing:
    """Which chats may receive now: not one in the pipeline, not one sent to < 1 s ago."""

    def __init__(self, interval: float = CHAT_INTERVAL_SECONDS) -> None:
        self.interval = interval
        self._in_pipeline: set[int] = set()
        self._free_at: dict[int, float] = {}

    def take(self, chat_id: int) -> None:
        self._in_pipeline.add(chat_id)

    def started(self, chat_id: int) -> None:
        self._free_at[chat_id] = time.monotonic() + self.interval

    def done(self, chat_id: int) -> None:
        self._in_pipeline.discard(chat_id)

    def wait_for(self, chat_id: int) -> float:
        return max(0.0, self._free_at.get(chat_id, 0.0) - time.monotonic())

    def busy(self) -> set[int]:
        now = time.monotonic()
        for chat_id in [chat for chat, free_at in self._free_at.items() if free_at <= now]:
            del self._free_at[chat_id]
        return self._in_pipeline | set(self._free_at)

    def next_free_in(self) -> float | None:
        """Seconds until the first cooling chat is free again (None when none cools)."""
        if not self._free_at:
            return None
        return max(0.0, min(self._free_at.values()) - time.monotonic())


def retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the type becomes a timedelta
        warnings.simplefilter("ignore")
        value: Any = error.retry_after
    return float(value.total_seconds() if isinstance(value, timedelta) else value)
