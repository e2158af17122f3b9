"""Bad input, property-based: what people may type or forge, and what must hold whatever it is.

Hypothesis draws the inputs; the bot runs once per test and every drawn example goes through
it (a real bot per Hypothesis example would be far too slow). `drawn` runs a plain `@given`
function that records what Hypothesis generates, derandomised so a failure is reproduced by
running the test again; each check names the input that broke it.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterable
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bot.sandbox.client import BotMessage, SandboxClient, User
from bot.text import normalise
from tests.conftest import BotRunner, Sql
from tests.helpers.texts import says

T = TypeVar("T")

# The engine's answer when a handler raised (bot/engine/application.py `_apologise`).
APOLOGY = "Sorry, something went wrong on our side. What you entered is kept."

LONG = 10_000

# Inputs that broke bots before: joined emoji, right-to-left, bidi overrides, zero-width and
# invisible characters, controls, HTML and Markdown, format strings, decomposed accents.
TRICKY: list[str] = [
    "👩‍👩‍👧‍👦",
    "👩🏽‍💻 Développeuse",
    "🏳️‍🌈",
    "مريم",
    "אברהם כהן",
    "\u202eevil\u202c",
    "Amina\u202e nimdA",
    "\u200b",
    "\u200bAmina\u200b",
    "\ufeffKarim",
    "\u3164",
    "\u2800",
    "\x00",
    "a\x00b\x07c\x1bd",
    "\t\n\r",
    "<b>gras</b>",
    "<script>alert(1)</script>",
    "a < b & c > d",
    "&lt;&amp;&gt;",
    "<a href='x'>lien</a>",
    "*gras* _italique_ `code` [lien](http://x)",
    "**__~~||",
    "{0}",
    "{name}",
    "{}",
    "{",
    "}",
    "%s %d %(name)s",
    "%",
    "\\n\\t\\",
    "'; drop table people; --",
    "Zoe\u0301",
    "ﬁ ﬂ Ⅻ ①",
    "Ａｍｉｎａ",
    "é" * LONG,
    "x" * 61,
    "x" * 201,
    "x" * 501,
    "x" * 2001,
    "👩‍👩‍👧" * 1000,
    "/start",
    "/annuler",
    "/aide",
    " ",
]

# Characters chosen to be troublesome, mixed with ordinary letters.
_ODD = (
    "\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u00ad\u115f\u1160\u3164\uffa0\u2800\u180e\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\u2028\u2029"
    "<>&\"'*_`[]()~|#{}%$\\/\n\t "
    "\U0001f469\U0001f3fd\u2764\ufe0f\U0001f1eb\U0001f1f7"
    "مرحباשלום"
    "aeiouAmnéèçàÉ"
)


def free_text() -> st.SearchStrategy[str]:
    """Anything a person might send as a text message (never empty: Telegram refuses that)."""
    return st.one_of(
        st.sampled_from(TRICKY),
        st.text(min_size=1, max_size=300),
        st.text(alphabet=st.sampled_from(_ODD), min_size=1, max_size=120),
        st.text(min_size=1, max_size=8).map(lambda seed: (seed * LONG)[:LONG]),
    )


def forged_tail() -> st.SearchStrategy[str]:
    """What may follow a callback prefix in forged data: parts, numbers, anything."""
    part = st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.sampled_from(["", "0", "-1", "00", "²", "١", "1e3", "nan", "x", "yes", "ok", "edit"]),
        st.text(max_size=12),
    )
    return st.lists(part, min_size=0, max_size=6).map(":".join)


def drawn(strategy: st.SearchStrategy[T], count: int) -> list[T]:
    """`count` examples of `strategy`, as Hypothesis generates them for a `@given` test.

    Derandomised (the same examples on every run, so CI and a developer see the same
    failure); the bot is then driven with each of them in turn.
    """
    found: list[T] = []

    @hypothesis_settings(
        max_examples=count,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def record(value: T) -> None:
        found.append(value)

    record()
    return found[:count]


def out_of_place(char: str) -> bool:
    """Whether `char` must never be stored from a typed answer (what `normalise` removes)."""
    return char == "\r" or normalise(f"a{char}a") == "aa"


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# Tables that keep what came in or went out as it was (they are scrubbed on their own terms).
RAW_TABLES = {"inbox", "outbox", "alembic_version"}


def stored_problems(sql: Sql) -> list[tuple[str, str, str]]:
    """(table, column, value) of every stored text holding a character typed answers lose.

    Drafts (JSON) are read as JSON, so an escaped "\\u200b" is found too.
    """
    problems = []
    for table, column, value in sql.cells():
        if table in RAW_TABLES or not isinstance(value, str):
            continue
        texts = [value]
        if value[:1] in "[{":
            with contextlib.suppress(ValueError):
                texts = list(_strings(json.loads(value)))
        for text in texts:
            if any(out_of_place(char) for char in text):
                problems.append((table, column, text[:80]))
    return problems


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Messages logged at ERROR or above (with the exception's type when there is one)."""
    return [
        f"{record.name}: {record.getMessage()} {record.exc_info[1]!r}"
        if record.exc_info
        else f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.ERROR
    ]


def shown(typed: str) -> str:
    """How an accepted typed answer reads back: normalised, HTML specials as typed."""
    return normalise(typed)


async def send_and_check(
    runner: BotRunner, client: SandboxClient, user: User, text: str, timeout: float = 5
) -> list[BotMessage]:
    """Send `text`; the bot answers within `timeout`, never with the error apology.

    Returns the bot messages that came since (edits of older ones are not counted).
    """
    before = len(await user.received())
    await user.send(text)
    await runner.handled(client, timeout)
    new = (await user.received())[before:]
    assert new, f"no answer to {text[:200]!r}"
    apologies = [m.text for m in new if says(APOLOGY)(m)]
    assert not apologies, f"error for {text[:200]!r}: {apologies}"
    return new


def snapshot(sql: Sql) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, but the traces any update leaves: the inbox, conversation
    state and the outbox's direct replies."""
    state = {}
    for table in sql.tables():
        if table in ("inbox", "persisted_state", "alembic_version", "outbox", "people"):
            continue
        state[table] = sorted(sql(f'select * from "{table}"'), key=repr)
    # A person's `updated_at` moves with every update they send (name or username changes).
    state["people"] = sql(
        "select id, telegram_id, chat_id, first_name, last_name, username, role, language,"
        " consent_at, consent_recorded_by, claim_code, unreachable_at, created_at"
        " from people order by id"
    )
    state["outbox"] = sorted(
        sql("select idempotency_key, status from outbox where kind != 'reply'"), key=repr
    )
    return state


Rows = dict[str, list[tuple[Any, ...]]]


def changes(before: Rows, after: Rows) -> dict[str, tuple[list[Any], list[Any]]]:
    """Tables whose rows differ, with the rows gone and the rows new."""
    return {
        table: (
            [row for row in before.get(table, []) if row not in after.get(table, [])],
            [row for row in after.get(table, []) if row not in before.get(table, [])],
        )
        for table in set(before) | set(after)
        if before.get(table) != after.get(table)
    }
