"""Inline keyboards: laying buttons out, and URL buttons.

Callback data is written and read by the typed families of `bot.callbacks`. `pack`, `unpack`
and `button(label, prefix, *parts)` are the untyped form still used by the button families
not moved there yet (sign-up, events, profile); new code uses `bot.callbacks`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import MAX_CALLBACK_BYTES, SEPARATOR, CallbackDataTooLong


def pack(prefix: str, *parts: object) -> str:
    data = SEPARATOR.join([prefix, *(str(part) for part in parts)])
    if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise CallbackDataTooLong(data)
    return data


def unpack(data: str | None) -> list[str]:
    return (data or "").split(SEPARATOR)


def button(label: str, prefix: str, *parts: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=pack(prefix, *parts))


def url_button(label: str, url: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, url=url)


def rows(buttons: Iterable[InlineKeyboardButton], per_row: int = 2) -> InlineKeyboardMarkup:
    """Buttons laid out `per_row` at a time: two fit on a small phone screen."""
    items = list(buttons)
    return InlineKeyboardMarkup(
        [items[index : index + per_row] for index in range(0, len(items), per_row)]
    )


def column(buttons: Sequence[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[item] for item in buttons])
