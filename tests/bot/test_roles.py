"""Every staff command and staff button, tried by a candidate and by an employer.

Commands are discovered from `bot.commands` (STAFF_ONLY) among those the running bot
handles; buttons are forged with real ids. Each try is refused in French and the database
does not change.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram.ext import CommandHandler

from bot.commands import COMMANDS, STAFF_ONLY
from bot.sandbox.client import SandboxClient, User
from tests.bot.test_plan import drained, open_plan, publish, seed_event
from tests.conftest import BotRunner, Sql

REFUSED_COMMAND = "réservée à l'équipe"
REFUSED_BUTTON = "réservé à l'équipe"


def staff_commands(runner: BotRunner) -> list[str]:
    assert runner.application is not None
    handled: set[str] = set()
    for handlers in runner.application.handlers.values():
        for handler in handlers:
            if isinstance(handler, CommandHandler):
                handled |= set(handler.commands)
            for entry in getattr(handler, "entry_points", []):
                if isinstance(entry, CommandHandler):
                    handled |= set(entry.commands)
    return [c.name for c in COMMANDS if c.roles == STAFF_ONLY and c.name in handled]


def snapshot(sql: Sql) -> dict[str, Any]:
    tables = [
        name
        for (name,) in sql("select name from sqlite_master where type = 'table'")
        if name not in ("persisted_state", "alembic_version") and not name.startswith("sqlite_")
    ]
    state: dict[str, Any] = {name: sql.scalar(f'select count(*) from "{name}"') for name in tables}
    state["registrations"] = sql("select * from registrations order by id")
    state["plans"] = sql("select id, published_at, plan from plans order by id")
    state["people"] = sql("select id, role from people order by id")
    state["outbox_keys"] = sql("select idempotency_key from outbox order by id")
    return state


async def refused_everything(user: User, commands: list[str], forged: list[str]) -> None:
    for name in commands:
        before = len(await user.received())
        await user.command(name)
        await user.wait_for_count(before + 1)
        replies = [m.text for m in (await user.received())[before:]]
        assert [REFUSED_COMMAND in text for text in replies] == [True], (name, replies)
    for data in forged:
        await user.press_data(data)
    for _ in range(100):
        answers = await user.callback_answers()
        if len(answers) >= len(forged):
            break
        await asyncio.sleep(0.05)
    assert len(answers) == len(forged)
    for answer, data in zip(answers, forged, strict=True):
        assert REFUSED_BUTTON in (answer.get("text") or ""), (data, answer)


async def test_staff_commands_and_buttons_refused_to_participants(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_event(bot_runner, client)
    await open_plan(scenario)
    await publish(scenario)
    await scenario.candidates["Alice"].wait_for(lambda m: "Votre convocation" in m.text, 10)
    commands = staff_commands(bot_runner)
    assert {"plan", "presences"} <= set(commands)
    plan_id = sql.scalar("select max(id) from plans")
    event_id, reg = scenario.event_id, scenario.registrations
    alice, site = f"c{scenario.person_ids['Alice']}", f"s{scenario.site_id}"
    bruno = f"c{scenario.person_ids['Bruno']}"
    forged = [
        f"plan:ev:{event_id}",
        f"plan:pub:{plan_id}",
        f"plan:again:{plan_id}",
        f"plan:replan:{event_id}",
        f"plan:adj:{plan_id}",
        f"plan:who:{plan_id}:1:{alice}",
        f"plan:to:{plan_id}:1:{alice}:{site}:2",
        f"plan:sw:{plan_id}:1:{alice}:{bruno}",
        f"plan:exp:{event_id}",
        f"plan:imp:{event_id}",
        f"plan:drop:{plan_id}",
        f"pres:ev:{event_id}",
        f"pres:remind:{event_id}",
        f"pres:mark:{event_id}",
        f"pres:at:{reg['Bruno']}:1",
    ]
    await drained(sql)
    before = snapshot(sql)
    await refused_everything(scenario.candidates["Bruno"], commands, forged)
    await refused_everything(scenario.employers["Marie"], commands, forged)
    await asyncio.sleep(0.3)
    assert snapshot(sql) == before
    # Nobody got an export file by forging the button.
    for user in (scenario.candidates["Bruno"], scenario.employers["Marie"]):
        assert not [m for m in await user.received() if m.filename and m.filename.endswith(".json")]
