"""The bot's idea of "now": real UTC time plus an offset tests can move.

Scheduled messages (reminders, retries) compare `send_after` with `now()`, never with
`datetime.now()`, so a test can jump a week ahead without waiting.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    """Aware UTC time, shifted by the current offset."""
    return datetime.now(UTC) + _offset


def set_offset(offset: timedelta) -> None:
    global _offset
    _offset = offset


def shift(delta: timedelta) -> None:
    """Move the clock further by `delta` (cumulative)."""
    set_offset(_offset + delta)


def offset() -> timedelta:
    return _offset


def reset() -> None:
    set_offset(timedelta(0))
