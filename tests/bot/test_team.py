"""/equipe: the team adds people from those who wrote lately, by number or by a one-time link,
and removes those it added; configured members stay. The role lives in the database."""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.client import SandboxClient, User
from tests.conftest import STAFF_ID, BotRunner, Sql
from tests.helpers.signup import asked, tap
from tests.helpers.texts import says, t

REFUSED = "This command is for the organising team only."
TEAM = "<b>The organising team</b>"
WELCOME = "You are now part of the organising team. Type /aide to see the team's commands."
ADDED = "{name} is now part of the organising team. A message tells them so."
REMOVED = "{name} is no longer part of the organising team."
LINK = re.compile(r"https://t\.me/\S+\?start=(staff_[\w-]+)")


async def started(client: SandboxClient, user_id: int, name: str) -> User:
    user = client.user(user_id, first_name=name)
    await user.command("start")
    await user.wait_for(lambda m: bool(m.text))
    return user


def menu_of(recorded: list[dict[str, Any]], chat_id: int) -> list[str]:
    """The command menu last set for one chat (`setMyCommands` with a chat scope)."""
    menus = [
        [command["command"] for command in entry["commands"]]
        for entry in recorded
        if (entry.get("scope") or {}).get("chat_id") == chat_id
    ]
    return menus[-1] if menus else []


def role(sql: Sql, user: User) -> str | None:
    value: str | None = sql.scalar("select role from people where telegram_id = ?", user.id)
    return value


async def test_add_from_recent_people_then_remove(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    nadia = await started(client, STAFF_ID, "Nadia")
    amina = await started(client, 700_001, "Amina")
    await amina.command("equipe")
    await asked(amina, REFUSED)

    await nadia.command("equipe")
    listing = await asked(nadia, TEAM)
    assert t("• {name} (configuration)", name="Nadia") in listing.text
    assert not [
        label for label in listing.button_labels if label.startswith(t("Remove {name}", name=""))
    ]
    await tap(nadia, t("➕ Add someone"))
    offer = await asked(
        nadia, "Who joins the team? Here are the people who wrote to the bot lately."
    )
    amina_label = t("{name} – {role}", name="Amina", role=t("no role yet"))
    assert amina_label in offer.button_labels
    assert not [label for label in offer.button_labels if label.startswith("Nadia")]
    await tap(nadia, amina_label)
    await asked(nadia, ADDED, name="Amina")
    await asked(amina, WELCOME)
    assert role(sql, amina) == "staff"
    await amina.command("equipe")
    await asked(amina, TEAM)
    assert "equipe" in menu_of(await client.commands(), amina.id)

    # The same button again: nothing changes, no second welcome.
    await nadia.press(amina_label)
    await asked(
        nadia, "{name} is already part of the organising team. Nothing changes.", name="Amina"
    )
    await bot_runner.handled(client)
    assert len([m for m in await amina.received() if says(WELCOME)(m)]) == 1

    # Removing: Amina has a button, Nadia (configuration) has none; a question first.
    await nadia.command("equipe")
    listing = await nadia.wait_for(lambda m: t("Remove {name}", name="Amina") in m.button_labels)
    assert t("Remove {name}", name="Nadia") not in listing.button_labels
    await nadia.press(t("Remove {name}", name="Amina"))
    await asked(nadia, "Take {name} off the organising team?", name="Amina")
    assert role(sql, amina) == "staff"
    await tap(nadia, t("Yes, take them off"))
    await asked(nadia, REMOVED, name="Amina")
    assert role(sql, amina) is None
    assert "equipe" not in menu_of(await client.commands(), amina.id)
    before = len(await amina.received())
    await amina.command("equipe")
    await amina.wait_for_count(before + 1)
    assert says(REFUSED)(await amina.last())
    await nadia.press(t("Yes, take them off"))  # a second press changes nothing
    await asked(nadia, "{name} is not part of the organising team. Nothing changes.", name="Amina")


async def test_configured_member_cannot_be_removed(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    nadia = await started(client, STAFF_ID, "Nadia")
    person_id = sql.scalar("select id from people where telegram_id = ?", STAFF_ID)
    await nadia.press_data(f"crew:rm:{person_id}:1")
    await asked(
        nadia,
        "{name} is in the configuration of the bot and stays in the team. "
        "Only the technical manager can change that.",
        name="Nadia",
    )
    assert role(sql, nadia) == "staff"
    await nadia.press_data("crew:rm:99999:1")
    await asked(nadia, "This person is no longer known to the bot. Nothing changes.")
    await nadia.press_data("crew:rm:²:1")
    await asked(nadia, "This button is no longer valid. Type /equipe.")
    await bot_runner.handled(client)
    assert len(await nadia.callback_answers()) == 3


async def test_add_by_telegram_number(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    nadia = await started(client, STAFF_ID, "Nadia")
    await nadia.command("equipe", "700002")
    await asked(
        nadia, "I do not know this person. They must first write to the bot, for example /start."
    )
    bruno = await started(client, 700_002, "Bruno")
    await nadia.command("equipe", "700002")
    await asked(nadia, ADDED, name="Bruno")
    await asked(bruno, WELCOME)
    assert role(sql, bruno) == "staff"
    await nadia.command("equipe", "abc")
    await asked(
        nadia, "Type /equipe followed by the person's Telegram number, e.g. /equipe 123456789."
    )


async def test_one_time_link(bot_runner: BotRunner, client: SandboxClient, sql: Sql) -> None:
    nadia = await started(client, STAFF_ID, "Nadia")
    await nadia.command("equipe")
    await tap(nadia, t("🔗 A link to join the team"))
    message = await nadia.wait_for(lambda m: bool(LINK.search(m.text or "")))
    match = LINK.search(message.text or "")
    assert match is not None
    code = match.group(1)

    chloe = client.user(700_003, first_name="Chloé")
    await chloe.command("start", code)
    await asked(
        chloe,
        "Welcome to the organising team, {name}! Type /aide to see what you can do.",
        name="Chloé",
    )
    assert role(sql, chloe) == "staff"
    await chloe.command("equipe")
    await asked(chloe, TEAM)
    assert "equipe" in menu_of(await client.commands(), chloe.id)

    david = client.user(700_004, first_name="David")
    await david.command("start", code)
    await asked(david, "This link to join the team no longer works. Ask the team for a new one.")
    assert role(sql, david) is None
    await david.command("start", "staff_forged-code")
    await bot_runner.handled(client)
    texts = [m.text for m in await david.received()]
    assert (
        texts.count(t("This link to join the team no longer works. Ask the team for a new one."))
        == 2
    )
