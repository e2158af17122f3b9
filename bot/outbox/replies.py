"""What a handler shows, as outbox rows: written in the update's transaction, sent after it.

A handler calls the Bot API as usual (`reply_text`, `query.answer`, `edit_message_text`,
`send_photo`…). While an update is handled those calls are captured (see
`bot.engine.capture`) and become rows here, in the same transaction as the update's changes
and its "done" mark. Right after the commit the engine hands them to the dispatcher's
`send_replies`, which sends them in order through the crash journal. So the screen never runs
ahead of what is stored, and a reply lost to a crash is sent after the restart, once.

Why the outbox rather than running the handler again after a crash: once the update's
transaction is committed its step has moved on, so running it again would answer a question
the person already answered. The outbox replays exactly what was shown, and its journal and
probe make sure a message the crash interrupted is neither lost nor sent twice.

Messages, photos and documents with callback buttons take the outbox's ordinary payload
(so the crash probe can find them); every other call (edits, callback answers, link
buttons) is kept as a generic Bot API call, sent again if a crash leaves it ambiguous: an
edit sent twice shows the same thing, a callback answered twice is refused harmlessly.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, TelegramObject

from bot import clock
from bot.db.base import table_of
from bot.db.models.outbox import OutboxMessage, OutboxStatus
from bot.outbox.compose import Buttons, Payload, compose, encode
from bot.outbox.store import Claimed, insert_once, mark_sending

KIND = "reply"
CALL_KEY = "call"
# The dispatcher's own loop leaves reply rows to `send_replies` for this long; after a crash
# `claim_leftovers` takes them at once.
GRACE = timedelta(minutes=5)

# Calls that show something to the person; they wait for the update's commit.
DEFERRED = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "answerCallbackQuery",
        "deleteMessage",
    }
)
# Calls with no lasting effect: dropped while an update is handled.
DROPPED = frozenset({"sendChatAction"})
PLAIN_MESSAGE_KEYS = frozenset({"chat_id", "text", "parse_mode", "reply_markup"})
PLAIN_MEDIA_KEYS = frozenset({"chat_id", "caption", "parse_mode", "reply_markup"})


def _jsonable(value: Any) -> Any:
    if isinstance(value, TelegramObject):
        return value.to_dict(recursive=True)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class NotPlain(Exception):
    """Buttons other than plain callback buttons: the call is kept as it is."""


# Read off the class (not `to_dict`, which costs more than the rest of the check).
_OTHER_BUTTON_FIELDS = tuple(
    sorted(set(InlineKeyboardButton.__slots__) - {"text", "callback_data"})
)


def _callback_buttons(markup: object) -> Buttons | None:
    """The buttons as (label, data) rows; None without a markup; NotPlain for other kinds."""
    if markup is None:
        return None
    if not isinstance(markup, InlineKeyboardMarkup):
        raise NotPlain
    rows: Buttons = []
    for row in markup.inline_keyboard:
        line: list[tuple[str, str]] = []
        for item in row:
            if not isinstance(item.callback_data, str) or any(
                getattr(item, name) is not None for name in _OTHER_BUTTON_FIELDS
            ):
                raise NotPlain
            line.append((item.text, item.callback_data))
        rows.append(line)
    return rows


def _file(value: object) -> tuple[str, bytes] | None:
    if isinstance(value, InputFile) and isinstance(value.input_file_content, bytes):
        return value.filename or "file", value.input_file_content
    return None


def payloads_for(endpoint: str, data: Mapping[str, Any]) -> list[Payload]:
    """The outbox payloads that make this Bot API call (several for a long text)."""
    keys = set(data)
    parse_mode = _jsonable(data.get("parse_mode"))
    try:
        buttons = _callback_buttons(data.get("reply_markup"))
        plain = True
    except NotPlain:
        buttons, plain = None, False
    if endpoint == "sendMessage" and keys <= PLAIN_MESSAGE_KEYS and plain:
        return compose(
            str(data["text"]),
            buttons=buttons or None,
            document=None,
            photo=None,
            parse_mode=parse_mode,
        )
    if endpoint in ("sendPhoto", "sendDocument") and plain:
        field = "photo" if endpoint == "sendPhoto" else "document"
        upload = _file(data.get(field))
        if upload is not None and keys - {field} <= PLAIN_MEDIA_KEYS:
            return compose(
                str(data.get("caption") or ""),
                buttons=buttons or None,
                document=upload if field == "document" else None,
                photo=upload[1] if field == "photo" else None,
                parse_mode=parse_mode,
            )
    params: dict[str, Any] = {}
    files: dict[str, dict[str, str]] = {}
    for key, value in data.items():
        upload = _file(value)
        if upload is not None:
            files[key] = {"filename": upload[0], "b64": encode(upload[1])}
        else:
            params[key] = _jsonable(value)
    return [{CALL_KEY: endpoint, "params": params, "files": files}]


def chat_of(endpoint: str, data: Mapping[str, Any], fallback: int) -> int:
    chat = data.get("chat_id")
    return (
        int(chat)
        if isinstance(chat, int) or (isinstance(chat, str) and chat.isdigit())
        else fallback
    )


async def enqueue_reply(
    session: AsyncSession,
    *,
    key: str,
    chat_id: int,
    endpoint: str,
    data: Mapping[str, Any],
    floor: int | None,
) -> list[Claimed]:
    """Rows for one captured call, keyed `key`, `key#2`…, in order.

    With the chat's `floor` (the dispatcher is running) they are written already taken for
    sending (`sending`, first attempt, with their probe floor, as `store.mark_sending`
    would), so sending them after the commit needs no transaction of its own; without it
    they wait, pending, for the dispatcher's loop.
    """
    rows: list[Claimed] = []
    due = clock.now() + GRACE
    for index, payload in enumerate(payloads_for(endpoint, data)):
        row_key = key if index == 0 else f"{key}#{index + 1}"
        if floor is not None:
            payload = {**payload, "probe_floor": floor}
        row_id = await insert_once(
            session,
            {
                "idempotency_key": row_key,
                "chat_id": chat_id,
                "person_id": None,
                "event_id": None,
                "kind": KIND,
                "payload": payload,
                "send_after": due,
                "status": OutboxStatus.PENDING if floor is None else OutboxStatus.SENDING,
                "attempts": 0 if floor is None else 1,
                "batch": None,
            },
        )
        if row_id is not None:
            rows.append(Claimed(row_id, row_key, chat_id, None, None, KIND, payload, 1))
    return rows


async def claim_leftovers(
    session: AsyncSession, known_top: Callable[[int], int] | None = None
) -> list[Claimed]:
    """Replies a crash left unsent, oldest first, taken for sending (see `store.mark_sending`).

    The dispatcher sends them at start through `send_replies`, before any reply of an update
    handled after the restart: sent by its loop instead, an old screen could land after a
    newer one (a ticked choice shown that the person has since unticked).
    """
    rows = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == KIND)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.id)
    )
    return await mark_sending(session, list(rows), known_top)


_OUTBOX = table_of(OutboxMessage)
_DROP = delete(_OUTBOX).where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)))


async def drop_delivered(session: AsyncSession, row_ids: Sequence[int] | None = None) -> None:
    """Delivered replies are not kept: they repeat what people typed, and the chat's
    highest message id they carry is in the tracker's journal already.

    With `row_ids` (replies just delivered, the hot path) those rows, by key; without,
    every reply row marked sent or failed (refused, given up), which reads every such row.
    """
    if row_ids is not None:
        if row_ids:
            await session.execute(_DROP, {"ids": list(row_ids)})
        return
    await session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.kind == KIND)
        .where(OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.FAILED]))
    )
