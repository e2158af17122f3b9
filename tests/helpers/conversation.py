"""One exchange at a time: act, then wait for the bot's NEW message saying what is expected."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.sandbox.client import BotMessage, User
from tests.helpers.texts import says

# A message id (its French text must be in the message) or a predicate on the message.
Expect = str | Callable[[BotMessage], bool]


def _matcher(expect: Expect, values: dict[str, object]) -> Callable[[BotMessage], bool]:
    return says(expect, **values) if isinstance(expect, str) else expect


async def step(
    user: User,
    act: Callable[[], Awaitable[object]],
    expect: Expect,
    /,
    timeout: float = 5,
    **values: object,
) -> BotMessage:
    """Do `act` and wait for a NEW bot message matching `expect` (with `values`)."""
    matches = _matcher(expect, values)
    seen = max((m.message_id for m in await user.received()), default=0)
    await act()
    return await user.wait_for(lambda m: m.message_id > seen and matches(m), timeout)


async def say(user: User, text: str, expect: Expect, /, **values: object) -> BotMessage:
    """Send `text`, then wait for the new message matching `expect`."""
    return await step(user, lambda: user.send(text), expect, **values)


async def press(user: User, label: str, expect: Expect, /, **values: object) -> BotMessage:
    """Press the button `label`, then wait for the new message matching `expect`."""
    return await step(user, lambda: user.press(label), expect, **values)
