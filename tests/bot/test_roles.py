"""Every staff command and staff button, tried by a candidate and by an employer.

Commands are discovered from `bot.commands` (STAFF_ONLY) among those the running bot
handles; buttons are forged with real ids. Each try is refused in French and the database
does not change.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import CommandHandler

from bot.commands import COMMANDS, STAFF_ONLY
from bot.sandbox.client import SandboxClient, User
from tests.conftest import BotRunner, Sql
from tests.helpers.plan import is_convocation, open_plan, publish, seed_event
from tests.helpers.texts import contains, t
from tests.helpers.waiting import drained, eventually

REFUSED_COMMAND = "This command is for the organising team only."
REFUSED_BUTTON = "This is for the organising team only."


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
        for name in sql.tables()
        # The inbox keeps a trace of every update and replies pass through the outbox:
        # both grow with any message, refused or not.
        if name not in ("persisted_state", "alembic_version", "inbox", "outbox")
        and not name.startswith("sqlite_")
    ]
    state: dict[str, Any] = {name: sql.scalar(f'select count(*) from "{name}"') for name in tables}
    state["registrations"] = sql("select * from registrations order by id")
    state["plans"] = sql("select id, published_at, plan from plans order by id")
    state["people"] = sql("select id, role from people order by id")
    state["outbox_keys"] = sql(
        "select idempotency_key from outbox where kind != 'reply' order by id"
    )
    return state


async def refused_everything(user: User, commands: list[str], forged: list[str]) -> None:
    for name in commands:
        before = len(await user.received())
        await user.command(name)
        await user.wait_for_count(before + 1)
        replies = [m.text for m in (await user.received())[before:]]
        assert [contains(text, REFUSED_COMMAND) for text in replies] == [True], (name, replies)
    for data in forged:
        await user.press_data(data)

    async def all_answered() -> bool:
        return len(await user.callback_answers()) >= len(forged)

    await eventually(all_answered)
    answers = await user.callback_answers()
    assert len(answers) == len(forged)
    for answer, data in zip(answers, forged, strict=True):
        assert contains(answer.get("text") or "", REFUSED_BUTTON), (data, answer)


async def test_staff_commands_and_buttons_refused_to_participants(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_event(bot_runner, client)
    await open_plan(scenario)
    await publish(scenario)
    await scenario.candidates["Alice"].wait_for(is_convocation, 10)
    commands = staff_commands(bot_runner)
    assert {"plan", "presences", "equipe"} <= set(commands)
    plan_id = sql.scalar("select max(id) from plans")
    event_id, reg = scenario.event_id, scenario.registrations
    alice, site = f"c{scenario.person_ids['Alice']}", f"s{scenario.site_id}"
    bruno = f"c{scenario.person_ids['Bruno']}"
    staff_person = sql.scalar("select id from people where role = 'staff' order by id limit 1")
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
        # /equipe: the team's buttons, with real people (Alice made staff, staff removed).
        "crew:list",
        "crew:add",
        "crew:link",
        f"crew:add:{scenario.person_ids['Alice']}",
        f"crew:rm:{scenario.person_ids['Alice']}:0",
        f"crew:rm:{scenario.person_ids['Alice']}:1",
        f"crew:rm:{staff_person}:1",
        # Malformed data under staff prefixes: refused the same way (checked before parsing).
        "plan:ev:²",
        f"plan:ev:{event_id}:1",
        f"plan:to:{plan_id}:1:{alice}:{site}:-2",
        "pres:at:1:2",
        "pres:ev:" + "9" * 19,
        "insc:card:²",
        "bc:send:²",
        "crew:rm:²:1",
        "crew:nothing",
    ]
    await drained(sql)
    before = snapshot(sql)
    await refused_everything(scenario.candidates["Bruno"], commands, forged)
    await refused_everything(scenario.employers["Marie"], commands, forged)
    await bot_runner.handled(client)
    assert snapshot(sql) == before
    # Nobody got an export file by forging the button.
    for user in (scenario.candidates["Bruno"], scenario.employers["Marie"]):
        assert not [m for m in await user.received() if m.filename and m.filename.endswith(".json")]


async def test_malformed_buttons_are_answered_and_change_nothing(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    """Forged data under a known prefix gets "no longer valid": no crash, nothing changes."""
    scenario = await seed_event(bot_runner, client)
    await open_plan(scenario)
    staff, alice = scenario.staff, scenario.candidates["Alice"]
    plan_id = sql.scalar("select max(id) from plans")
    await bot_runner.handled(client)
    before = lasting(sql)
    replied = {
        "This button is no longer valid. Type /plan.": [
            "plan:ev:²",
            f"plan:pub:{plan_id}:1",
            f"plan:who:{plan_id}:1:x1",
            "plan:to:1:1:c1:s1:" + "9" * 19,
            "plan:nothing:1",
        ],
        "This button is no longer valid. Type /presences.": ["pres:at:1:2", "pres:ev:-1"],
    }
    alerts = {
        "This button is no longer valid. Type /broadcast.": ["bc:send:²", "bc:drop:1:1"],
        "This button is no longer valid. Type /start.": ["role:admin"],
        "This button is not valid.": ["erase:maybe"],
        "This button is no longer valid.": ["insc:ev:1²", "insc:page:1:-1"],
    }
    for group in (*replied.values(), *alerts.values()):
        for data in group:
            await staff.press_data(data)
    for data in ("att:²:yes", "att:1:maybe", "offer:1:nosure"):
        await alice.press_data(data)
    await bot_runner.handled(client)
    texts = [m.text for m in await staff.received()]
    for message, sent in replied.items():
        assert texts.count(t(message)) == len(sent), (message, texts)
    answers = [a.get("text") or "" for a in await staff.callback_answers()]
    for message, sent in alerts.items():
        assert answers.count(t(message)) == len(sent), (message, answers)
    texts = [m.text for m in await alice.received()]
    assert texts.count(t("This button is no longer valid.")) == 3, texts
    assert lasting(sql) == before


def lasting(sql: Sql) -> dict[str, Any]:
    """The snapshot without the record of updates and of the replies they got."""
    state = snapshot(sql)
    state.pop("inbox", None)
    state["outbox"] = sql("select idempotency_key from outbox where kind != 'reply' order by id")
    state.pop("outbox_keys")
    return state
