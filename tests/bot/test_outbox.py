"""The outbox through the real bot and the local Bot API: once, in order, retried, paced."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot import clock
from bot.context import services
from bot.db.session import Database
from bot.outbox import enqueue, wake
from bot.outbox.replies import enqueue_reply
from bot.sandbox.client import SandboxClient, User
from tests.conftest import BotRunner, Sql
from tests.helpers.waiting import drained, eventually


@pytest.fixture(autouse=True)
def real_clock() -> AsyncIterator[None]:
    clock.reset()
    yield None
    clock.reset()


async def started(client: SandboxClient, user_id: int, name: str = "Alice") -> User:
    """A user who opened the bot (so Telegram lets the bot write to them)."""
    user = client.user(user_id, first_name=name)
    await user.command("start")
    await user.wait_for(lambda m: True)
    return user


async def queue(runner: BotRunner, **message: Any) -> bool:
    assert runner.application is not None
    async with services(runner.application).database.session() as session:
        queued = await enqueue(session, **message)
    wake(runner.application)
    return queued


def texts(messages: list[Any], prefix: str) -> list[str]:
    """Texts of the messages starting with `prefix` (test texts never look like the welcome)."""
    return [m.text for m in messages if m.text.startswith(prefix)]


async def test_enqueued_message_is_delivered_once_and_recorded(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    alice = await started(client, 1001)
    assert await queue(bot_runner, key="t:1", chat_id=1001, kind="notice", text="Salut <b>A</b>")
    message = await alice.wait_for(lambda m: m.text == "Salut A")
    await drained(sql)  # every row due is sent: nothing more comes
    assert len(texts(await alice.received(), "Salut A")) == 1
    status, message_id, attempts = sql(
        "SELECT status, telegram_message_id, attempts FROM outbox WHERE idempotency_key='t:1'"
    )[0]
    assert (status, message_id, attempts) == ("sent", message.message_id, 1)


async def test_same_key_twice_sends_one_message(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    alice = await started(client, 1002)
    assert await queue(bot_runner, key="dup", chat_id=1002, kind="notice", text="Une fois")
    assert not await queue(bot_runner, key="dup", chat_id=1002, kind="notice", text="Une fois")
    await alice.wait_for(lambda m: m.text == "Une fois")
    await drained(sql)  # every row due is sent: nothing more comes
    assert len(texts(await alice.received(), "Une fois")) == 1
    assert sql.scalar("SELECT count(*) FROM outbox WHERE idempotency_key LIKE 'dup%'") == 1


async def test_pending_rows_survive_a_restart_and_go_out_once(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    alice = await started(client, 1003)
    for index in range(3):  # one chat: the dispatcher spaces them by a second
        await queue(bot_runner, key=f"r:{index}", chat_id=1003, kind="notice", text=f"Msg {index}")
    await alice.wait_for(lambda m: m.text == "Msg 0")
    await bot_runner.restart()
    await alice.wait_for(lambda m: m.text == "Msg 2", timeout=8)
    await drained(sql)  # every row due is sent: nothing more comes
    got = texts(await alice.received(), "Msg ")
    assert got == ["Msg 0", "Msg 1", "Msg 2"]
    assert sql.scalar("SELECT count(*) FROM outbox WHERE status='sent'") == 3


async def test_rows_queued_while_the_bot_is_down_are_sent_at_start(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    alice = await started(client, 1004)
    await bot_runner.stop()
    database = Database(bot_runner.settings.resolved_database_url)
    async with database.session() as session:
        await enqueue(session, key="down", chat_id=1004, kind="notice", text="Pendant la panne")
    await database.dispose()
    await bot_runner.start()
    await alice.wait_for(lambda m: m.text == "Pendant la panne")
    await drained(sql)  # every row due is sent: nothing more comes
    assert len(texts(await alice.received(), "Pendant la panne")) == 1


async def test_blocked_person_is_marked_unreachable_and_not_retried(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    await started(client, 1005)
    await client.block(1005)
    await queue(bot_runner, key="b", chat_id=1005, kind="notice", text="Bloqué", person_id=None)
    await drained(sql)  # the row is settled: sent, retried later or given up
    assert sql("SELECT status, attempts FROM outbox WHERE idempotency_key='b'") == [
        ("unreachable", 1)
    ]
    assert sql.scalar("SELECT unreachable_at FROM people WHERE telegram_id=1005") is not None
    stats = await client.stats()
    assert stats["errors"].get("sendMessage:403") == 1


async def test_server_error_is_retried_then_delivered(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    alice = await started(client, 1006)
    await client.fail_next("sendMessage", status=500, chat_id=1006)
    await queue(bot_runner, key="e", chat_id=1006, kind="notice", text="Après une erreur")
    await alice.wait_for(lambda m: m.text == "Après une erreur", timeout=6)
    await drained(sql)  # every row due is sent: nothing more comes
    assert len(texts(await alice.received(), "Après une erreur")) == 1
    assert sql("SELECT status, attempts FROM outbox WHERE idempotency_key='e'") == [("sent", 2)]


async def test_rate_limited_by_the_server_nothing_is_lost(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    users = [await started(client, 1100 + index, f"P{index}") for index in range(8)]
    await client.set_rate_limit(global_per_second=3, per_chat_per_second=1)
    for user in users:
        await queue(bot_runner, key=f"flood:{user.id}", chat_id=user.id, kind="notice", text="Flot")
    for user in users:
        await user.wait_for(lambda m: m.text == "Flot", timeout=15)
    await drained(sql)  # every row due is sent: nothing more comes
    stats = await client.stats()
    assert stats["rate_limited_total"] > 0
    for user in users:
        assert len(texts(await user.received(), "Flot")) == 1
    assert sql.scalar("SELECT count(*) FROM outbox WHERE status='sent'") == len(users)


async def test_long_text_is_split_with_buttons_on_the_last_part(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    alice = await started(client, 1007)
    words = [f"mot{index}" for index in range(900)]
    text = " ".join(words)  # about 5,900 characters
    assert len(text) > 5000
    await queue(
        bot_runner,
        key="long",
        chat_id=1007,
        kind="notice",
        text=text,
        buttons=[[("OK", "noop:1")]],
    )
    last = await alice.wait_for(lambda m: m.text.endswith("mot899"), timeout=6)
    parts = [m for m in await alice.received() if m.text.startswith("mot") or "mot899" in m.text]
    assert len(parts) == 2
    assert all(len(part.text) <= 4096 for part in parts)
    assert " ".join(part.text for part in parts).split() == words
    assert parts[0].buttons == [] and last.buttons == [[("OK", "noop:1")]]


async def test_after_a_crash_journaled_rows_are_not_resent_and_others_are(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    """What a `kill -9` leaves: rows still `sending`. The journal says which Telegram already
    accepted (not resent); the others go out again (at-least-once)."""
    alice = await started(client, 1008)
    await queue(bot_runner, key="k:1", chat_id=1008, kind="notice", text="Déjà reçu")
    delivered = await alice.wait_for(lambda m: m.text == "Déjà reçu")
    await bot_runner.stop()
    database = Database(bot_runner.settings.resolved_database_url)
    async with database.session() as session:
        await enqueue(session, key="k:2", chat_id=1008, kind="notice", text="Jamais parti")
    await database.dispose()
    row_1 = sql.scalar("SELECT id FROM outbox WHERE idempotency_key='k:1'")
    # As if the bot died after Telegram's answer to k:1 but before the commit, and while k:2
    # was claimed but not yet handed over.
    await sql.write("UPDATE outbox SET status='sending', telegram_message_id=NULL, sent_at=NULL")
    journal = bot_runner.settings.data_dir / "outbox-sent.journal"
    journal.write_text(f"{row_1} {delivered.message_id}\n")

    await bot_runner.start()
    await alice.wait_for(lambda m: m.text == "Jamais parti")
    await drained(sql)
    assert texts(await alice.received(), "Déjà reçu") == ["Déjà reçu"]
    assert texts(await alice.received(), "Jamais parti") == ["Jamais parti"]
    assert sql("SELECT idempotency_key, status, telegram_message_id FROM outbox ORDER BY id")[
        0
    ] == ("k:1", "sent", delivered.message_id)
    assert await eventually(lambda: journal.read_text() == "")


async def test_after_a_crash_unjournaled_rows_are_probed_not_resent(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    """The window the journal cannot close: Telegram accepted the message but the bot died
    before its answer arrived. The row is `sending`, with no journal entry. At start the
    dispatcher edits the ids above the row's floor with the row's exact content: "not
    modified" finds it (not resent, recorded with its id); a row Telegram never got is sent."""
    alice = await started(client, 1009)
    welcome = (await alice.received())[-1]
    await queue(
        bot_runner,
        key="p:1",
        chat_id=1009,
        kind="notice",
        text="Convocation <b>probe</b>",
        buttons=[[("Je confirme", "att:1:yes")]],
    )
    delivered = await alice.wait_for(lambda m: m.text == "Convocation probe")
    await bot_runner.stop()
    floor = json.loads(sql.scalar("SELECT payload FROM outbox"))["probe_floor"]
    assert floor >= welcome.message_id  # the handler's reply is known: the probe stays above
    database = Database(bot_runner.settings.resolved_database_url)
    async with database.session() as session:
        await enqueue(session, key="p:2", chat_id=1009, kind="notice", text="Jamais reçu")
    await database.dispose()
    # As if the bot died while both requests were out (their "started" lines are in the
    # journal): p:1's answer never came back, p:2 never reached Telegram.
    await sql.write("UPDATE outbox SET status='sending', telegram_message_id=NULL, sent_at=NULL")
    payload = json.loads(sql.scalar("SELECT payload FROM outbox WHERE idempotency_key='p:2'"))
    payload["probe_floor"] = delivered.message_id
    await sql.write("UPDATE outbox SET payload=? WHERE idempotency_key='p:2'", json.dumps(payload))
    journal = bot_runner.settings.data_dir / "outbox-sent.journal"
    assert journal.read_text() == ""
    row_ids = [row_id for (row_id,) in sql("SELECT id FROM outbox ORDER BY id")]
    journal.write_text("".join(f"{row_id} -\n" for row_id in row_ids))
    probes_before = (await client.stats())["errors"].get("editMessageText:400", 0)

    await bot_runner.start()
    await alice.wait_for(lambda m: m.text == "Jamais reçu")
    await drained(sql)  # every row due is sent: nothing more comes
    received = await alice.received()
    assert texts(received, "Convocation") == ["Convocation probe"]
    assert texts(received, "Jamais reçu") == ["Jamais reçu"]
    assert all(m.edits == [] for m in received)  # probing changed nothing
    assert next(m for m in received if m.message_id == delivered.message_id).buttons == [
        [("Je confirme", "att:1:yes")]
    ]
    assert sql("SELECT idempotency_key, status, telegram_message_id FROM outbox ORDER BY id") == [
        ("p:1", "sent", delivered.message_id),
        ("p:2", "sent", delivered.message_id + 1),
    ]
    # p:1: found at once; p:2: its own floor + 1, 2, 3 missing, then sent.
    probes = (await client.stats())["errors"].get("editMessageText:400", 0) - probes_before
    assert probes == 4
    assert await eventually(lambda: journal.read_text() == "")


async def test_probe_is_skipped_when_the_bot_wrote_above_the_floor(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    """A handler reply after the claim could sit between the floor and the message: editing
    it would change it, so such a row is sent again rather than probed."""
    alice = await started(client, 1010)
    await queue(bot_runner, key="s:1", chat_id=1010, kind="notice", text="Sans sonde")
    delivered = await alice.wait_for(lambda m: m.text == "Sans sonde")
    await alice.command("start")  # the bot answers directly, above the row's floor
    reply = await alice.wait_for(lambda m: m.message_id > delivered.message_id)
    await bot_runner.stop()
    await sql.write("UPDATE outbox SET status='sending', telegram_message_id=NULL, sent_at=NULL")
    row_id = sql.scalar("SELECT id FROM outbox")
    (bot_runner.settings.data_dir / "outbox-sent.journal").write_text(f"{row_id} -\n")
    await bot_runner.start()
    await alice.wait_for(lambda m: m.text == "Sans sonde" and m.message_id > reply.message_id)
    await drained(sql)  # every row due is sent: nothing more comes
    received = await alice.received()
    assert all(m.edits == [] for m in received)
    assert len(texts(received, "Sans sonde")) == 2


async def test_person_without_telegram_chat_is_kept_unreachable_not_sent(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    """People registered by staff have a placeholder (negative) id until they claim it."""
    assert await queue(bot_runner, key="ghost", chat_id=-42, kind="notice", text="Pour plus tard")
    await drained(sql)  # every row due is sent: nothing more comes
    assert sql("SELECT status, attempts FROM outbox WHERE idempotency_key='ghost'") == [
        ("unreachable", 0)
    ]
    stats = await client.stats()
    assert stats["sends_total"] == 0


async def test_replies_a_crash_left_unsent_go_out_before_newer_ones(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    """A crash after an update's commit leaves its replies unsent. They go out at the restart,
    before the replies of what the person sends next: an old screen landing late would show a
    step the person has already left (a tick they have since removed)."""
    alice = await started(client, 1011)
    last = (await alice.received())[-1]
    await bot_runner.stop()
    database = Database(bot_runner.settings.resolved_database_url)
    async with database.session() as session:
        for index in (1, 2):  # two rows of one chat: the dispatcher's loop spaces them by 1 s
            await enqueue_reply(
                session,
                key=f"left:{index}",
                chat_id=1011,
                endpoint="sendMessage",
                data={"chat_id": 1011, "text": f"Écran {index}"},
                floor=None,
            )
    await database.dispose()
    await bot_runner.start()
    await alice.send("bonjour")  # handled at once, answered directly
    await bot_runner.handled(client)
    order = [m.text for m in await alice.received() if m.message_id > last.message_id]
    assert order[:2] == ["Écran 1", "Écran 2"], order
    assert len(order) > 2 and "Écran" not in " ".join(order[2:]), order
