"""Bad input to "Parler à l'équipe", property-based: whatever a person writes to the team,
and whatever staff write back, is answered in French, kept plain, and shown as typed.
"""

from __future__ import annotations

import pytest

from bot.callbacks import MenuChoice
from bot.config import Settings
from bot.handlers.contact import LIMIT
from bot.handlers.fallback import NOT_UNDERSTOOD
from bot.sandbox.client import SandboxClient, User
from tests.conftest import STAFF_ID, BotRunner, Sql
from tests.helpers.properties import (
    TRICKY,
    drawn,
    errors,
    free_text,
    send_and_check,
    shown,
    stored_problems,
)
from tests.helpers.signup import (
    CONFIRM,
    SIGNED_UP,
    SUMMARY,
    asked,
    make_event,
    sign_up_candidate,
    tap,
)
from tests.helpers.texts import says, t

EXAMPLES = 6
WRITE = "Write your message to the team in a few words, then send it."
SENT = "Thank you! Your message has gone to the team. The answer will come here."
FORWARDED = "Message from {name} ({event}):"
ANSWER = "Write your answer to {name}. To stop, type /annuler."
ANSWERED = "Sent to {name}."
RECEIVED = "Answer from {name}, of the organising team:"


async def _writing(runner: BotRunner, client: SandboxClient, person: User) -> None:
    """The menu's "Talk to the team" button (the one of her menu, pressed again)."""
    await person.press_data(MenuChoice("team").pack())
    await asked(person, WRITE)
    await runner.handled(client)


async def _to_the_team(
    runner: BotRunner, client: SandboxClient, person: User, staff: User, text: str
) -> bool:
    """`person`, writing to the team, sends `text`; whether it went (else she is still
    writing)."""
    before = len(await staff.received())
    new = await send_and_check(runner, client, person, text)
    if not any(says(SENT)(message) for message in new):
        assert not (await staff.received())[before:], text[:200]
        return False
    forwarded = (await staff.received())[before:]
    assert [m for m in forwarded if shown(text) in m.text], (text[:200], forwarded)
    await _writing(runner, client, person)
    return True


async def test_any_message_to_the_team_and_any_answer(
    bot_runner: BotRunner,
    client: SandboxClient,
    sql: Sql,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    await staff.command("start")
    await staff.wait_for(lambda m: True)
    codes = await make_event(settings)
    lea = client.user(7301, first_name="Léa")
    await sign_up_candidate(lea, codes.candidate)
    await asked(lea, SUMMARY)
    await tap(lea, CONFIRM)
    await asked(lea, SIGNED_UP)
    await lea.send("?")
    await asked(lea, NOT_UNDERSTOOD)
    await tap(lea, t("Talk to the team"))
    await asked(lea, WRITE)
    went = 0
    # The hand-picked inputs the sign-up test does not send (it takes the first 20).
    tricky = TRICKY[20:]
    for text in [*tricky, *drawn(free_text(), EXAMPLES)]:
        went += await _to_the_team(bot_runner, client, lea, staff, text)
    assert went > len(tricky) // 2
    # Staff answer anything too; Léa reads it as typed.
    for text in [*drawn(free_text(), EXAMPLES // 2), "<b>&amp;</b> {0} %s \u202eok"]:
        await staff.press(t("Reply"))
        await asked(staff, ANSWER, name="Léa")
        before = len(await lea.received())
        new = await send_and_check(bot_runner, client, staff, text)
        if any(says(ANSWERED, name="Léa")(message) for message in new):
            answer = [m for m in (await lea.received())[before:] if says(RECEIVED)(m)]
            assert answer and shown(text) in answer[-1].text, (text[:200], answer)
        else:
            assert len(shown(text)) > LIMIT or not shown(text), text[:200]
            await staff.command("annuler")
            await bot_runner.handled(client)
    assert not errors(caplog)
    assert not stored_problems(sql)
