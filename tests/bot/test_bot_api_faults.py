"""The Bot API failing under the real bot: error answers, no answer in time, closed sockets.

Each fault hits one request of the real PTB application (its replies, the outbox, callback
answers, getUpdates, photos); whatever Telegram did with it, the person ends with exactly one
copy of each message and the conversation goes on. A request that got no answer may have
been delivered: the dispatcher looks for it (the crash probe) before sending it again.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.config import Settings
from bot.sandbox.client import SandboxClient
from bot.sandbox.server import SandboxServer
from tests.conftest import TOKEN, BotRunner, Sql
from tests.helpers.faults import DISPATCHER, copies, dispatcher_lines, opened, queue, settled
from tests.helpers.signup import (
    AGE_Q,
    AGREE,
    ALL,
    CONFIRM,
    CONSENT,
    CONSTRAINTS_Q,
    DONE,
    JOB_Q,
    NAME_Q,
    NOTHING_TO_REPORT,
    PHOTO_Q,
    PROGRAMME_Q,
    QUALITIES_Q,
    SECTORS_Q,
    SIGNED_UP,
    SKILLS_Q,
    SKIP,
    asked,
    count_of,
    its_me,
    make_event,
    sign_up_candidate,
    tap,
)
from tests.helpers.waiting import eventually

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

TIMEOUT = 0.5  # the bot's Bot API read timeout in these tests
HANG = 1.0  # just longer: the bot gives up first
FIRST_NAME = "Zéphyrine"
TYPED = "Aide-soignante"
SKILL = "Accueil du public"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"api_timeout_seconds": TIMEOUT})


# (fault, what Telegram did) for one sendMessage: every way a send can fail over.
SEND_FAULTS: dict[str, dict[str, Any]] = {
    "hang, delivered": {"kind": "hang", "seconds": HANG, "deliver": True},
    "hang, lost": {"kind": "hang", "seconds": HANG, "deliver": False},
    "drop, delivered": {"kind": "drop", "deliver": True},
    "drop, lost": {"kind": "drop", "deliver": False},
    "500": {"status": 500},
    "429": {"status": 429, "retry_after": 1},
}
BLOCKED: dict[str, Any] = {"status": 403, "description": "Forbidden: bot was blocked by the user"}


async def test_outbox_rows_survive_every_fault_once(
    bot_runner: BotRunner,
    client: SandboxClient,
    sql: Sql,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Convocations (one chat per fault, all at once): one copy each, one log line each."""
    caplog.set_level(logging.INFO)
    faults = {**SEND_FAULTS, "403": BLOCKED}
    users = {name: await opened(client, 2100 + i) for i, name in enumerate(faults)}
    for index, (name, fault) in enumerate(faults.items()):
        user = users[name]
        await client.fail_next("sendMessage", chat_id=user.id, **fault)
        await queue(
            bot_runner.application,
            key=f"convocation:{index}",
            chat_id=user.id,
            kind="convocation",
            text=f"Convocation {index}",
            buttons=[[("Je viens", f"x:{index}")]] if index % 2 else None,
        )
    await settled(sql)
    for index, (name, user) in enumerate(users.items()):
        expected = 0 if name == "403" else 1
        assert copies(await user.received(), f"Convocation {index}") == expected, name
        lines = dispatcher_lines(caplog, f"convocation:{index}")
        assert len(lines) == 1, (name, [r.getMessage() for r in lines])
        assert lines[0].exc_info is None
    statuses = sql("select status, attempts from outbox where kind='convocation' order by id")
    # Delivered unanswered: found by the probe, not sent again. Lost: sent a second time.
    assert statuses == [
        ("sent", 1),
        ("sent", 2),
        ("sent", 1),
        ("sent", 2),
        ("sent", 2),
        ("sent", 1),  # a 429 does not count as an attempt
        ("unreachable", 1),
    ]
    blocked = users["403"].id
    assert sql.scalar("select unreachable_at from people where telegram_id=?", blocked)
    assert (await client.stats())["errors"].get("sendMessage:403") == 1  # never retried


async def test_sign_up_goes_on_through_faults_on_replies_and_callback_answers(
    bot_runner: BotRunner,
    client: SandboxClient,
    sandbox: SandboxServer,
    sql: Sql,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    codes = await make_event(settings)
    person = client.user(2201, first_name=FIRST_NAME, language_code="fr")

    async def replying(fault: dict[str, Any], method: str = "sendMessage") -> None:
        """The person's next reply (or callback answer: it names no chat) meets `fault`."""
        chat_id = person.id if method == "sendMessage" else None
        await client.fail_next(method, chat_id=chat_id, **fault)

    faults = iter(SEND_FAULTS.values())
    await replying(next(faults))
    await person.command("start", codes.candidate)
    await asked(person, CONSENT)
    await replying(next(faults))
    await tap(person, AGREE)
    await asked(person, NAME_Q)
    await replying(next(faults))
    await tap(person, its_me(person))
    await asked(person, AGE_Q)
    await replying(next(faults))
    await tap(person, "26-35")
    await asked(person, SECTORS_Q)
    await tap(person, "Santé")
    await replying(next(faults))
    await tap(person, DONE)
    await asked(person, JOB_Q)
    await replying(next(faults))
    await person.send(TYPED)
    await asked(person, SKILLS_Q)
    # The answers to button presses (answerCallbackQuery) fail next.
    for index, fault in enumerate(list(SEND_FAULTS.values())[:5]):
        await replying(fault, "answerCallbackQuery")
        await tap(person, ("✅ " if index % 2 else "") + SKILL)  # ticked at last
        await bot_runner.handled(client)
        await settled(sql)
    await tap(person, ALL)
    await asked(person, QUALITIES_Q)
    await tap(person, "Patient·e")
    await tap(person, ALL)
    await asked(person, PROGRAMME_Q)
    await tap(person, "COI")
    await asked(person, CONSTRAINTS_Q)
    await tap(person, NOTHING_TO_REPORT)
    await asked(person, PHOTO_Q)
    await tap(person, SKIP)
    await tap(person, CONFIRM)
    await asked(person, SIGNED_UP)
    await settled(sql)
    for question in (CONSENT, NAME_Q, AGE_Q, SECTORS_Q, JOB_Q, SKILLS_Q, QUALITIES_Q, SIGNED_UP):
        assert await count_of(person, question) == 1, question
    callbacks = [r for r in sandbox.sandbox.bot(TOKEN).callbacks.values() if r.user_id == person.id]
    assert callbacks and all(record.answered for record in callbacks)
    for record in caplog.records:
        line = f"{record.getMessage()} {record.exc_text or ''}"
        assert FIRST_NAME not in line and TYPED not in line, line
        if record.levelno < logging.ERROR:
            assert record.exc_info is None, line
    keys = [
        record.getMessage().split()[1]
        for record in caplog.records
        if record.name == DISPATCHER and record.getMessage().startswith("Outbox: reply:")
    ]
    assert len(keys) == len(set(keys)) == 6 + 5  # one line per fault


async def test_portrait_card_photo_through_faults_then_blocked(
    bot_runner: BotRunner,
    client: SandboxClient,
    sql: Sql,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """/profil answers with a photo (caption and buttons): the probe finds it by its caption."""
    caplog.set_level(logging.INFO)
    codes = await make_event(settings)
    person = client.user(2301, first_name=FIRST_NAME, language_code="fr")
    await sign_up_candidate(person, codes.candidate)
    await tap(person, CONFIRM)
    await asked(person, SIGNED_UP)

    async def cards() -> int:
        return len([m for m in await person.received() if m.kind == "photo"])

    faults = ["hang, delivered", "drop, lost", "drop, delivered", "500"]
    for count, name in enumerate(faults, start=1):
        await client.fail_next("sendPhoto", chat_id=person.id, **SEND_FAULTS[name])
        await person.command("profil")
        await bot_runner.handled(client)
        await settled(sql)
        assert await cards() == count, name
    await client.block(person.id)
    await person.command("profil")
    await bot_runner.handled(client)
    await settled(sql)
    assert await cards() == len(faults)
    assert sql.scalar("select unreachable_at from people where telegram_id=?", person.id)
    assert sql("select status from outbox where chat_id=?", person.id) == [("unreachable",)]
    errors = (await client.stats())["errors"]
    assert errors.get("sendPhoto:403") == 1  # not retried
    assert (errors["sendPhoto:hang"], errors["sendPhoto:drop"]) == (1, 2)
    probes = [r for r in caplog.records if "arrived as message" in r.getMessage()]
    assert len(probes) == 2  # the two delivered cards were found, not sent again


async def test_polling_loses_no_update_and_handles_none_twice(
    bot_runner: BotRunner,
    client: SandboxClient,
    sql: Sql,
    settings: Settings,
) -> None:
    """getUpdates failing: PTB asks again; an update Telegram handed out in an answer that
    never arrived comes again and is handled once (the durable inbox)."""
    codes = await make_event(settings)
    person = client.user(2401, first_name=FIRST_NAME, language_code="fr")
    poll_hang = TIMEOUT + 1 + HANG  # the bot's long poll lasts 1 s more than its timeout
    await client.hang_next("getUpdates", poll_hang, deliver=True, chat_id=person.id)
    first = await person.command("start", codes.candidate)
    await asked(person, CONSENT)
    await client.drop_next("getUpdates", deliver=False)
    await tap(person, AGREE)
    await asked(person, NAME_Q)
    await client.hang_next("getUpdates", poll_hang, deliver=False)
    await tap(person, its_me(person))
    await asked(person, AGE_Q)
    await client.fail_next("getUpdates", status=500)
    await tap(person, "26-35")
    await asked(person, SECTORS_Q)
    await tap(person, "Santé")
    await tap(person, DONE)
    await asked(person, JOB_Q)
    await client.drop_next("getUpdates", deliver=True, chat_id=person.id)
    typed = await person.send(TYPED)
    await asked(person, SKILLS_Q)
    await bot_runner.handled(client)
    for question in (CONSENT, NAME_Q, AGE_Q, SECTORS_Q, JOB_Q, SKILLS_Q):
        assert await count_of(person, question) == 1, question
    assert await client.delivery_count(first) == 2  # handed out twice, handled once
    assert await client.delivery_count(typed) == 2
    statuses = sql("select status, count(*) from inbox group by status")
    assert statuses == [("done", 7)]
    errors = (await client.stats())["errors"]
    assert (errors["getUpdates:hang"], errors["getUpdates:drop"]) == (2, 2)
    assert errors["getUpdates:500"] == 1


async def test_a_reply_sent_again_after_an_error_is_not_overtaken(
    bot_runner: BotRunner, client: SandboxClient, settings: Settings
) -> None:
    """A tick refused by Telegram (a 500) is shown again before the chat's next screens. Sent
    again later, the older ticks would land over the newer ones: "Commerce et vente" ticked,
    then gone from the screen although it is stored."""
    codes = await make_event(settings)
    person = client.user(2205, first_name=FIRST_NAME, language_code="fr")
    await person.command("start", codes.candidate)
    await tap(person, AGREE)
    await tap(person, its_me(person))
    await tap(person, "26-35")
    question = await asked(person, SECTORS_Q)
    edits = (await client.stats())["calls"].get("editMessageReplyMarkup", 0)
    await client.fail_next("editMessageReplyMarkup", status=500)
    await person.press("Santé")  # its screen is refused once, then sent again
    await person.press("Commerce et vente")

    async def all_edits_done() -> bool:
        calls = (await client.stats())["calls"].get("editMessageReplyMarkup", 0)
        return calls - edits >= 3  # the refused one, its second try, the next tick

    assert await eventually(all_edits_done, timeout=15)
    await bot_runner.handled(client)
    shown = next(m for m in await person.received() if m.message_id == question.message_id)
    assert {"✅ Santé", "✅ Commerce et vente"} <= set(shown.button_labels), shown.button_labels
