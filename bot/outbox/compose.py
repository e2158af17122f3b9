"""Turns one logical message into the Telegram messages that carry it (payload dicts).

A text over Telegram's limit becomes several messages cut at line or word boundaries, the
buttons on the last one; a file whose caption would be too long is sent after its text.
Binary parts are stored base64 so the payload stays JSON.
"""

from __future__ import annotations

import base64
from typing import Any

# Telegram allows 4,096 characters (1,024 in a caption) counted in UTF-16 units after
# parsing; staying a little below keeps emoji and entities on the safe side.
TEXT_LIMIT = 4000
CAPTION_LIMIT = 1000

Buttons = list[list[tuple[str, str]]]
Payload = dict[str, Any]


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a newline, else a space, else anywhere."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut < limit // 2:
            space = rest.rfind(" ", 0, limit + 1)
            cut = space if space >= limit // 2 else cut
        if cut <= 0:
            cut = limit
        piece = rest[:cut].rstrip()
        if piece:
            pieces.append(piece)
        rest = rest[cut:].lstrip("\n ")
    if rest.strip() or not pieces:
        pieces.append(rest)
    return pieces


def encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def decode(data: str) -> bytes:
    return base64.b64decode(data.encode("ascii"))


def compose(
    text: str,
    *,
    buttons: Buttons | None,
    document: tuple[str, bytes] | None,
    photo: bytes | None,
    parse_mode: str | None,
) -> list[Payload]:
    """The payloads to send in order; buttons ride on the last one."""
    media: Payload | None = None
    if document is not None:
        media = {"document": {"filename": document[0], "b64": encode(document[1])}}
    elif photo is not None:
        media = {"photo": {"b64": encode(photo)}}
    payloads: list[Payload] = []
    if media is not None and len(text) <= CAPTION_LIMIT:
        payloads.append({**media, "text": text or None})
    else:
        payloads = [{"text": piece} for piece in split_text(text)] if text else []
        if media is not None:
            payloads.append({**media, "text": None})
    if not payloads:
        raise ValueError("an outbox message needs a text, a document or a photo")
    for index, payload in enumerate(payloads):
        payload["parse_mode"] = parse_mode
        payload["part"] = index + 1
        payload["parts"] = len(payloads)
    if buttons:
        payloads[-1]["buttons"] = [[[label, data] for label, data in row] for row in buttons]
    return payloads
