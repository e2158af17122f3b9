"""Two bot processes in webhook mode on one PostgreSQL database, behind a load balancer, as a
large structure would run them: a publication and everyone's answer, each message exactly
once. Needs PostgreSQL (`PASSERELLE_TEST_DATABASE_URL`): SQLite is for one process."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from bot.config import Settings
from bot.sandbox.client import SandboxClient
from bot.sandbox.server import SandboxServer
from tests.conftest import STAFF_ID, TEST_DATABASE_URL, BotRunner, Sql
from tests.helpers.balancer import Balancer
from tests.helpers.plan import (
    CONFIRM_BUTTON,
    EVENT_NAME,
    is_convocation,
    open_plan,
    publish,
    seed_event,
)
from tests.helpers.process import BotProcess, free_port
from tests.helpers.texts import says, t
from tests.helpers.waiting import due_messages, eventually

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="PASSERELLE_TEST_DATABASE_URL (PostgreSQL) is not set"
)
CONFIRMED = "Thank you! Your attendance is confirmed for {event}. See you soon."


async def test_two_processes_one_database_every_message_once(
    sandbox: SandboxServer,
    client: SandboxClient,
    bot_runner: BotRunner,
    settings: Settings,
    sql: Sql,
    tmp_path: Path,
) -> None:
    scenario = await seed_event(bot_runner, client, waiting=False)
    await bot_runner.stop()  # from here on, only the two processes
    ports = [free_port(), free_port()]
    balancer = Balancer([f"http://127.0.0.1:{port}" for port in ports])
    await balancer.start()
    bots = []
    for name, port in zip(("a", "b"), ports, strict=True):
        data_dir = tmp_path / name / "data"  # each its own files (outbox journal), one database
        data_dir.mkdir(parents=True)
        bots.append(
            BotProcess(
                sandbox,
                client,
                data_dir,
                database_url=settings.resolved_database_url,
                staff_ids=str(STAFF_ID),
                webhook_url=balancer.url,
                webhook_secret="two-processes-secret",
                webhook_port=str(port),
                outbox_rate_per_second="300",
            )
        )

    async def both_listening() -> bool:
        return int((await client.stats())["calls"].get("setWebhook", 0)) >= 2

    try:
        await asyncio.gather(*(bot.start() for bot in bots))
        assert await eventually(both_listening, 60), "\n".join(b.log_tail() for b in bots)
        await open_plan(scenario)
        await publish(scenario)
        for user in scenario.participants.values():
            await user.wait_for(is_convocation, 30)
        await asyncio.gather(
            *(user.press(t(CONFIRM_BUTTON)) for user in scenario.participants.values())
        )
        for user in scenario.participants.values():
            await user.wait_for(says(CONFIRMED, event=EVENT_NAME), 30)

        async def quiet() -> bool:
            new = sql.scalar("select count(*) from inbox where status = 'new'")
            return not new and not due_messages(sql)

        assert await eventually(quiet, 30)
    finally:
        await asyncio.gather(*(bot.stop() for bot in bots))
        await balancer.stop()

    # Both processes took calls: the load was really shared.
    assert len(balancer.served) == 2 and min(balancer.served.values()) > 0, balancer.served
    for name, user in scenario.participants.items():
        texts = Counter(m.text for m in await user.received() if m.from_bot)
        assert sum(1 for m in await user.received() if is_convocation(m)) == 1, name
        assert texts[t(CONFIRMED, event=EVENT_NAME)] == 1, (name, texts)
        assert all(count == 1 for count in texts.values()), (name, texts)
    # Everything due was sent once; what is left waits for later (reminders, questionnaires).
    outbox = Counter(status for (status,) in sql("select status from outbox"))
    assert set(outbox) <= {"sent", "pending"} and outbox["sent"] > 0, outbox
    assert not due_messages(sql)
    print(
        f"\ntwo processes: {sorted(balancer.served.values())} updates each, "
        f"{outbox['sent']} outbox messages sent once"
    )
    assert sql.scalar("select count(*) from inbox where status != 'done'") == 0
