"""Handler builders for the creation steps: a typed answer, or a button carrying a number.

Each builder checks the answer, re-asks the step's question when it is refused, and hands the
accepted value to a setter that stores it and moves on. Wrap the result in `staff_only`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Container
from typing import TypeVar

from telegram import Update

from bot.context import translator_for
from bot.handlers.common import Context
from bot.handlers.event_common import (
    Invalid,
    clean_text,
    parse_minutes,
    parse_number,
    typed_text,
)
from bot.handlers.event_creation_prompts import acknowledge, ask
from bot.i18n import Translator

T = TypeVar("T")
Handler = Callable[[Update, Context], Awaitable[str]]
Setter = Callable[[Update, Context, T], Awaitable[str]]
Parser = Callable[[Translator, str], T]


def text_up_to(limit: int) -> Parser[str]:
    return lambda _, raw: clean_text(_, raw, limit)


def number_between(low: int, high: int) -> Parser[int]:
    return lambda _, raw: parse_number(_, raw, low, high)


def minutes_between(low: int, high: int, *, bare_is_minutes: bool) -> Parser[int]:
    return lambda _, raw: parse_minutes(_, raw, low, high, bare_is_minutes=bare_is_minutes)


def typed_answer(state: str, parse: Parser[T], then: Setter[T]) -> Handler:
    """The typed answer to `state`, parsed; a refusal is shown above the question again."""

    async def on_typed(update: Update, context: Context) -> str:
        _ = translator_for(update)
        try:
            value = parse(_, typed_text(update))
        except Invalid as refusal:
            return await ask(update, context, state, str(refusal))
        return await then(update, context, value)

    return on_typed


def pressed_number(state: str, allowed: Container[int], then: Setter[int]) -> Handler:
    """A button of `state` whose third part is a number in `allowed`; else the question again."""

    async def on_pressed(update: Update, context: Context) -> str:
        parts = await acknowledge(update)
        if len(parts) < 3 or not parts[2].isdigit() or int(parts[2]) not in allowed:
            return await ask(update, context, state)
        return await then(update, context, int(parts[2]))

    return on_pressed
