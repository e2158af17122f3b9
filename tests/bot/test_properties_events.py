"""Bad input while staff create an event, property-based: a stream of drawn texts sent to
the creation questionnaire, one after the other, whatever question it is at (the name, the
date, the duration, the sites, the numbers, the questions). Every text is answered in
French, nothing is logged as an error, nothing invisible is stored.
"""

from __future__ import annotations

import random

import pytest

from bot.callbacks import EventNew
from bot.sandbox.client import SandboxClient
from tests.conftest import STAFF_ID, BotRunner, Sql
from tests.helpers.properties import (
    TRICKY,
    drawn,
    errors,
    free_text,
    send_and_check,
    stored_problems,
)
from tests.helpers.signup import asked

EXAMPLES = 40
# Answers some question of the questionnaire takes, so that the walk goes on.
PLAUSIBLE = [
    "15/03/2027 14h",
    "15 mars 2027 à 14 h",
    "2h30",
    "Europe/Paris",
    "Maison de l'emploi",
    "1 rue de la Paix, Lille",
    "https://meet.example.org/passerelle",
    "3",
    "2+2",
    "20 min",
]
NAME_Q = "What is the name of the event? For example: Ose ton projet, spring 2027."


async def test_event_creation_takes_any_text(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, caplog: pytest.LogCaptureFixture
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    await staff.command("start")
    await staff.wait_for(lambda m: True)
    await staff.press_data(EventNew().pack())
    await asked(staff, NAME_Q)
    # Between texts, the first button shown is pressed now and then, so that the texts
    # reach the questions further on (the walk is the same on every run).
    walk = random.Random(3)
    steps_seen = set()
    for text in [*TRICKY[::3], *drawn(free_text(), EXAMPLES)]:
        new = await send_and_check(bot_runner, client, staff, text)
        steps_seen.add(new[-1].text[:40])
        buttons = [data for row in new[-1].buttons for _label, data in row if data]
        if buttons and walk.random() < 0.6:
            await staff.press_data(buttons[0], message_id=new[-1].message_id)
            await bot_runner.handled(client)
        elif not buttons or walk.random() < 0.5:
            await send_and_check(bot_runner, client, staff, walk.choice(PLAUSIBLE))
    assert len(steps_seen) >= 5, steps_seen
    assert not errors(caplog)
    assert not stored_problems(sql)
