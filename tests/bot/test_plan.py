"""`/plan` end to end: plan, adjust (allowed and refused), recalculate, publish once.

The event is stored with our real `Database`; participants first write `/start` so the
local Bot API knows their chats, as Telegram would.
"""

from __future__ import annotations

import json

from bot.sandbox.client import SandboxClient
from tests.conftest import BotRunner, Sql
from tests.helpers.plan import (
    CANNOT_COME_BUTTON,
    CONFIRM_BUTTON,
    CONSTRAINT,
    PUBLISHED,
    is_convocation,
    is_plan,
    open_plan,
    publish,
    rooms_of,
    seed_event,
)
from tests.helpers.texts import begins, contains, contains_n, says, t
from tests.helpers.waiting import drained

REFUSED = "Refused, a rule would be broken:"
IMPORT_Q = (
    "Send me the plan as a JSON file. I will check every rule before keeping it. "
    "Nothing is sent before you publish."
)


async def test_plan_adjust_and_publish_once(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_event(bot_runner, client)
    message = await open_plan(scenario)
    assert contains(message.text, "• {site}, room {room}: {people}", site="Espace Riponne")
    for first in ("Alice", "Bruno", "Chloé", "David"):
        assert first in message.text
    assert "Emma" not in message.text  # status waiting: not planned
    buttons = {t("Publish"), t("Recalculate"), t("Adjust"), t("Cancel")}
    assert buttons <= set(message.button_labels)
    assert sql.scalar("select count(*) from plans where published_at is null") == 1
    assert sql.scalar("select count(*) from outbox where kind like 'convocation%'") == 0
    first_plan = sql.scalar("select max(id) from plans")
    rooms = rooms_of(sql, first_plan)
    alice = f"c{scenario.person_ids['Alice']}"

    # A refused move: Alice into the other room, which already has two candidates.
    await scenario.staff.press(t("Adjust"))
    await scenario.staff.wait_for(says("Who do you want to move?"))
    await scenario.staff.press(t("{name} (room {room})", name="Alice", room=rooms[alice]))
    await scenario.staff.wait_for(says("Where should {name} go (round {number})?", name="Alice"))
    other_room = 2 if rooms[alice] == 1 else 1
    await scenario.staff.press(t("→ {site}, room {room}", site="Espace Riponne", room=other_room))
    refused = await scenario.staff.wait_for(begins(REFUSED))
    too_many = "{where}: {count} candidates for {seats} seat(s)"
    assert contains(refused.text, too_many, count=3, seats=2)
    assert alice not in refused.text  # ids are shown as first names
    assert sql.scalar("select count(*) from plans") == 1

    # A valid swap with a candidate of the other room.
    mate = next(
        first
        for first in ("Bruno", "Chloé", "David")
        if rooms[f"c{scenario.person_ids[first]}"] == other_room
    )
    await scenario.staff.press(t("⇄ swap with {name}", name=mate))
    await scenario.staff.wait_for(says("Done: the rules are respected."))
    adjusted = await scenario.staff.wait_for(lambda m: is_plan(m, version=2))
    assert adjusted.buttons
    second_plan = sql.scalar("select max(id) from plans")
    assert sql.scalar("select source from plans where id = ?", second_plan) == "adjusted"
    assert rooms_of(sql, second_plan)[alice] == other_room

    # Publishing sends convocations, once, even when the button is pressed twice.
    result = await publish(scenario)
    assert contains_n(result.text, *PUBLISHED, 8)
    published = sql.scalar("select published_at from plans where id = ?", second_plan)
    assert published is not None
    queued = sql.scalar("select count(*) from outbox where kind = 'convocation'")
    assert queued == 8
    await scenario.staff.press_data(f"plan:pub:{second_plan}")
    await scenario.staff.wait_for(says("This plan is already published. Nothing was sent twice."))
    assert sql.scalar("select count(*) from outbox where kind = 'convocation'") == 8
    assert sql.scalar("select published_at from plans where id = ?", second_plan) == published

    # The old draft cannot be published any more.
    await scenario.staff.press_data(f"plan:pub:{first_plan}")
    await scenario.staff.wait_for(says("A newer plan exists for this event. Type /plan to see it."))
    assert sql.scalar("select count(*) from plans where published_at is not null") == 1

    alice_user = scenario.candidates["Alice"]
    convocation = await alice_user.wait_for(is_convocation, 10)
    assert convocation.button_labels == [t(CONFIRM_BUTTON), t(CANNOT_COME_BUTTON), t("Learn more")]
    await drained(sql)  # every convocation due is out: a second one would be here by now
    assert len([m for m in await alice_user.received() if is_convocation(m)]) == 1


async def test_recalculate_export_and_import(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_event(bot_runner, client, waiting=False)
    await open_plan(scenario)
    await scenario.staff.press(t("Recalculate"))
    await scenario.staff.wait_for(lambda m: is_plan(m, version=2), 20)
    assert sql("select version, seed from plans order by version") == [(1, 0), (2, 1)]

    await scenario.staff.press(t("Export JSON"))
    exported = await scenario.staff.wait_for(lambda m: m.kind == "document")
    assert exported.document is not None
    data = json.loads(exported.document)
    assert len(data["candidates"]) == 4 and len(data["employers"]) == 4
    assert CONSTRAINT not in exported.document.decode()

    # A plan made offline: everyone in room 1 breaks the capacity rule, then a valid one.
    keys_e = [e["id"] for e in data["employers"]]
    keys_c = [c["id"] for c in data["candidates"]]
    site = data["event"]["sites"][0]["id"]
    bad = {
        "rounds": [
            {
                "round": 1,
                "rooms": [{"site": site, "room": 1, "employers": keys_e, "candidates": keys_c}],
            }
        ],
        "waiting": [],
    }
    await scenario.staff.press(t("Import a plan"))
    await scenario.staff.wait_for(says(IMPORT_Q))
    await scenario.staff.send_document(json.dumps(bad).encode(), filename="plan.json")
    refused = await scenario.staff.wait_for(begins(REFUSED))
    too_many = "{where}: {count} employers for {seats} seat(s)"
    assert contains(refused.text, too_many, count=4, seats=2)
    assert sql.scalar("select count(*) from plans") == 2

    good = {
        "rounds": [
            {
                "round": 1,
                "rooms": [
                    {"site": site, "room": 1, "employers": keys_e[:2], "candidates": keys_c[:2]},
                    {"site": site, "room": 2, "employers": keys_e[2:], "candidates": keys_c[2:]},
                ],
            }
        ],
        "waiting": [],
    }
    await scenario.staff.send_document(json.dumps(good).encode(), filename="plan.json")
    await scenario.staff.wait_for(says("Plan imported and checked: every rule is respected."))
    await scenario.staff.wait_for(lambda m: is_plan(m, version=3))
    assert sql.scalar("select source from plans where version = 3") == "imported"
    assert sql.scalar("select count(*) from outbox where kind = 'convocation'") == 0
