"""Easy to read: no conversation message a candidate or an employer receives is over 60 words.

Documents (the privacy notice, the copy of one's data, a staff report) may be longer: they are
reached on purpose, through a command or an "En savoir plus" button, and listed here by their
message id. Everything else is counted as the person reads it on the phone.
"""

from __future__ import annotations

import re

from bot.config import Settings
from bot.sandbox.client import BotMessage, SandboxClient, User
from tests.conftest import BotRunner, Sql
from tests.helpers.plan import is_convocation, open_plan, publish, seed_event
from tests.helpers.signup import (
    AGREE,
    CONFIRM,
    CONSENT,
    CONSENT_DETAILS,
    SIGNED_UP,
    SUMMARY,
    asked,
    make_event,
    sign_up_candidate,
    tap,
)
from tests.helpers.texts import t

WORD_LIMIT = 60
DOCUMENTS = (
    "<b>Before we start: your data</b>",  # the consent's details ("En savoir plus")
    "<b>Your data at Passerelle</b>",  # the privacy notice (/confidentialite, "En savoir plus")
)


def words(text: str) -> int:
    return len(re.findall(r"\w+(?:['’-]\w+)*", text))


def too_long(messages: list[BotMessage]) -> list[tuple[int, str]]:
    documents = [t(message) for message in DOCUMENTS]
    return [
        (words(m.text), m.text)
        for m in messages
        if m.kind == "text"
        and words(m.text) > WORD_LIMIT
        and not any(doc in m.text for doc in documents)
    ]


async def everything(user: User) -> list[BotMessage]:
    return await user.received()


async def test_sign_up_messages_are_short(
    bot_runner: BotRunner, client: SandboxClient, settings: Settings
) -> None:
    codes = await make_event(settings)
    amina = client.user(5201, first_name="Amina")
    await amina.command("start", codes.candidate)
    await asked(amina, CONSENT)
    await amina.send("bonjour")  # a wrong input repeats only the question
    await tap(amina, t("Learn more"))  # a document, one button away
    await asked(amina, CONSENT_DETAILS)
    await tap(amina, AGREE)
    await amina.command("annuler")
    awa = client.user(5203, first_name="Awa")
    await sign_up_candidate(awa, codes.candidate)
    await asked(awa, SUMMARY)
    await tap(awa, CONFIRM)
    await asked(awa, SIGNED_UP)
    marc = client.user(5202, first_name="Marc")
    await marc.command("start", codes.employer)
    await asked(marc, CONSENT)
    await tap(marc, AGREE)
    assert too_long(await everything(amina)) == []
    assert too_long(await everything(awa)) == []
    assert too_long(await everything(marc)) == []


async def test_convocations_and_menus_are_short(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_event(bot_runner, client)
    await open_plan(scenario)
    await publish(scenario)
    for user in scenario.participants.values():
        await user.wait_for(is_convocation, 10)
    alice = scenario.candidates["Alice"]
    await alice.send("bonjour")
    await alice.command("aide")
    await alice.command("start")
    await alice.wait_for_count(len(await alice.received()) + 1)
    found = {name: too_long(await everything(user)) for name, user in scenario.participants.items()}
    assert {name: long for name, long in found.items() if long} == {}
