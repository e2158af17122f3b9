"""Forged button presses, property-based: arbitrary data under every callback prefix, real
data cut short, other people's buttons. Every press is answered, nothing is logged as an
error, nothing is stored, and no apology is shown.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import strategies as st

from bot.callbacks import FAMILIES, RoleChoice, parse_any
from bot.config import Settings
from bot.handlers.fallback import NOT_UNDERSTOOD
from bot.sandbox.client import BotMessage, SandboxClient, User
from tests.conftest import STAFF_ID, BotRunner, Sql
from tests.helpers.properties import (
    APOLOGY,
    changes,
    drawn,
    errors,
    forged_tail,
    snapshot,
)
from tests.helpers.signup import (
    AGE_Q,
    AGREE,
    CONFIRM,
    CONSENT,
    NAME_Q,
    SIGNED_UP,
    SUMMARY,
    asked,
    its_me,
    make_event,
    sign_up_candidate,
    tap,
)
from tests.helpers.texts import says
from tests.helpers.waiting import eventually

PREFIXES = sorted({family.prefix for family in FAMILIES})
TAILS_PER_PREFIX = 3


def _forged(data: str) -> bool:
    """Data no button of ours reads (what is left once real-looking data is set aside)."""
    return parse_any(data, FAMILIES) is None


def _datas(messages: list[BotMessage]) -> list[str]:
    return [data for m in messages for row in m.buttons for _label, data in row if data]


async def _pressed_all(
    runner: BotRunner, client: SandboxClient, user: User, datas: list[str]
) -> None:
    """Press each of `datas`; every press answered, no apology, the bot still fine."""
    before = len(await user.received())
    ids = [await user.press_data(data) for data in datas]
    await runner.handled(client, timeout=20)

    async def all_answered() -> bool:
        answered = {answer["callback_query_id"] for answer in await user.callback_answers()}
        return answered >= set(ids)

    assert await eventually(all_answered, timeout=5)
    answered = {answer["callback_query_id"] for answer in await user.callback_answers()}
    missed = [data for data, query in zip(datas, ids, strict=True) if query not in answered]
    assert not missed, missed
    apologies = [m.text for m in (await user.received())[before:] if says(APOLOGY)(m)]
    assert not apologies, apologies


async def _signed_up(user: User, code: str) -> None:
    await sign_up_candidate(user, code)
    await asked(user, SUMMARY)
    await tap(user, CONFIRM)
    await asked(user, SIGNED_UP)


async def test_forged_and_foreign_buttons_change_nothing(
    bot_runner: BotRunner,
    client: SandboxClient,
    sql: Sql,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    codes = await make_event(settings)
    staff = client.user(STAFF_ID, first_name="Sophie")
    await staff.command("start")
    await staff.wait_for(lambda m: True)
    await staff.command("evenements")
    amina = client.user(7201, first_name="Amina")
    await _signed_up(amina, codes.candidate)
    await amina.send("?")  # her menu: buttons of her own
    await asked(amina, NOT_UNDERSTOOD)
    # Bob stops in the middle of his sign-up: his buttons are live, and his alone.
    bob = client.user(7202, first_name="Bob")
    await bob.command("start", codes.candidate)
    await asked(bob, CONSENT)
    await tap(bob, AGREE)
    await asked(bob, NAME_Q)
    await bot_runner.handled(client)
    # The role buttons are everybody's (anyone's /start shows them): not foreign.
    foreign = sorted(
        data
        for data in set(_datas(await bob.received()) + _datas(await staff.received()))
        if RoleChoice.parse(data) is None
    )
    own = sorted(set(_datas(await amina.received())))
    assert foreign and own

    tails = drawn(
        st.lists(forged_tail(), min_size=TAILS_PER_PREFIX, max_size=TAILS_PER_PREFIX), len(PREFIXES)
    )
    forged = [
        f"{prefix}:{tail}" if tail else prefix
        for prefix, drawn_tails in zip(PREFIXES, tails, strict=True)
        for tail in drawn_tails
    ]
    forged += drawn(st.text(max_size=64), 20)  # under no prefix at all
    # Real data cut short, at a point chosen by the derandomised generator.
    cutter = random.Random(11)
    forged += [data[: cutter.randrange(len(data))] for data in own + foreign]
    forged = [data for data in dict.fromkeys(forged) if _forged(data)]
    assert len(forged) > len(PREFIXES)

    caplog.clear()
    before = snapshot(sql)
    await _pressed_all(bot_runner, client, amina, forged)
    await _pressed_all(bot_runner, client, amina, foreign)
    await _pressed_all(bot_runner, client, staff, forged)  # staff's buttons are checked too
    difference = changes(before, snapshot(sql))
    assert not difference, repr(difference)
    assert not errors(caplog)
    # Bob's sign-up was not touched by Amina pressing his buttons: it goes on.
    await tap(bob, its_me(bob))
    await asked(bob, AGE_Q)
