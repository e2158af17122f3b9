"""After a crash: was a row left `sending` delivered? Ask Telegram without changing anything.

Message ids of a private chat are sequential and shared by both sides. Editing a message with
exactly its current content answers "message is not modified"; an id that does not exist
answers "message to edit not found"; a user's message "message can't be edited". So the ids
just above the row's floor (the highest id known in the chat when it was claimed) are edited,
one by one, with the row's exact text, parse mode and buttons: "not modified" at id k means
the row was delivered as message k. See the dispatcher's docstring for why it is safe.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.outbox.pacing import RatePacer, retry_seconds
from bot.outbox.store import Claimed

log = logging.getLogger(__name__)

FLOOR_KEY = "probe_floor"
PROBE_SPAN = 30
MISSING_IN_A_ROW = 3
ERROR_RETRIES = 3

NOT_MODIFIED = "message is not modified"
NOT_FOUND = "message to edit not found"


class ProbeFailed(Exception):
    """Telegram could not be asked (network, 5xx): the caller falls back to resending."""


def probeable(row: Claimed) -> bool:
    """A captionless file without buttons looks like any other: it cannot be told apart."""
    payload = row.payload
    if not isinstance(payload.get(FLOOR_KEY), int):
        return False
    if "photo" in payload or "document" in payload:
        return bool(payload.get("text")) or bool(payload.get("buttons"))
    return bool(payload.get("text"))


async def locate(bot: Bot, row: Claimed, pacer: RatePacer, markup: Any) -> int | None:
    """The message id the row was delivered as, or None when it was not delivered."""
    floor = int(row.payload[FLOOR_KEY])
    missing = 0
    for message_id in range(floor + 1, floor + PROBE_SPAN + 1):
        answer = await _ask(bot, row, message_id, pacer, markup)
        if answer == "found":
            return message_id
        if answer == "unreachable":
            return None
        if answer == "missing":
            missing += 1
            if missing >= MISSING_IN_A_ROW:
                return None
        else:
            missing = 0
    return None


async def _ask(bot: Bot, row: Claimed, message_id: int, pacer: RatePacer, markup: Any) -> str:
    payload = row.payload
    errors = 0
    while True:
        delay = pacer.reserve()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            if "photo" in payload or "document" in payload:
                await bot.edit_message_caption(
                    chat_id=row.chat_id,
                    message_id=message_id,
                    caption=payload.get("text"),
                    parse_mode=payload.get("parse_mode"),
                    reply_markup=markup,
                )
            else:
                await bot.edit_message_text(
                    chat_id=row.chat_id,
                    message_id=message_id,
                    text=payload["text"],
                    parse_mode=payload.get("parse_mode"),
                    reply_markup=markup,
                )
        except RetryAfter as error:
            seconds = retry_seconds(error)
            pacer.pause(seconds)
            await asyncio.sleep(seconds)
            continue
        except Forbidden:
            return "unreachable"
        except BadRequest as error:
            text = str(error).lower()
            if NOT_MODIFIED in text:
                return "found"
            if NOT_FOUND in text:
                return "missing"
            if "chat not found" in text:
                return "unreachable"
            return "other"  # a user's message, a message of another kind: not this row
        except (TelegramError, OSError) as error:
            errors += 1
            if errors > ERROR_RETRIES:
                raise ProbeFailed(str(error)) from error
            await asyncio.sleep(0.5 * 2**errors)
            continue
        # The edit went through: a bot message above the floor that the floor did not know of
        # (see "The one case left" in the dispatcher's docstring). It is not this row.
        log.error(
            "Outbox probe for %s modified message %s in chat %s", row.key, message_id, row.chat_id
        )
        return "other"
