"""Foundation end to end: /start, the role buttons, /aide, restarts and redelivery."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from bot.sandbox.client import SandboxClient
from bot.sandbox.server import SandboxServer
from tests.conftest import STAFF_ID, BotRunner, Sql
from tests.helpers.process import start_bot_process
from tests.helpers.texts import begins, contains, says, t
from tests.helpers.waiting import eventually

WELCOME = "Hello {name}! Welcome to Passerelle."
ROLE_SET = "Thank you! Your role is: {role}."
HELP = begins("Here is what you can do:")


async def test_start_choose_candidate_survives_restart(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    alice = client.user(1001, first_name="Alice", language_code="fr")
    await alice.command("start")
    welcome = await alice.wait_for(says(WELCOME))
    assert welcome.button_labels == [t("Candidate"), t("Employer")]

    await alice.press(t("Candidate"))
    await alice.wait_for(says(ROLE_SET, role=t("candidate")))
    assert sql.scalar("select role from people where telegram_id = 1001") == "candidate"

    await bot_runner.restart()
    await alice.command("aide")
    help_message = await alice.wait_for(HELP)
    assert "/profil" in help_message.text
    assert "/plan" not in help_message.text
    assert sql.scalar("select count(*) from people") == 1


async def test_staff_button_only_for_configured_staff(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    await staff.command("start")
    message = await staff.wait_for(says("Hello {name}! You are registered as: {role}."))
    assert t("Organising team") in message.button_labels
    await staff.command("aide")
    help_message = await staff.wait_for(lambda m: "/plan" in m.text)
    assert "/broadcast" in help_message.text

    bob = client.user(1002, first_name="Bob")
    await bob.command("start")
    welcome = await bob.wait_for(says(WELCOME))
    assert t("Organising team") not in welcome.button_labels
    await bob.press_data("role:staff")
    await bot_runner.handled(client)
    answers = await bob.callback_answers()
    assert answers and contains(answers[-1]["text"], "This is for the organising team only.")
    assert sql.scalar("select role from people where telegram_id = 1002") is None


async def test_double_press_and_forged_role(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    carla = client.user(1003, first_name="<b>Carla</b> & Co")
    await carla.command("start")
    welcome = await carla.wait_for(says(WELCOME))
    assert "<b>Carla</b> & Co" in welcome.text  # shown literally, not as bold
    button_data = dict(label_data for row in welcome.buttons for label_data in row)
    await carla.press(t("Employer"))
    await carla.wait_for(says(ROLE_SET, role=t("employer")))
    await carla.press_data(str(button_data[t("Employer")]), message_id=welcome.message_id)
    await carla.press_data("role:astronaut")
    await bot_runner.handled(client)
    texts = [answer.get("text") or "" for answer in await carla.callback_answers()]
    assert t("That is already your role: {role}.", role=t("employer")) in texts
    assert t("This button is no longer valid. Type /start.") in texts
    confirmations = [m for m in await carla.received() if says(ROLE_SET)(m)]
    assert len(confirmations) == 1
    assert sql.scalar("select first_name from people where telegram_id = 1003") == (
        "<b>Carla</b> & Co"
    )


async def test_update_not_confirmed_before_a_crash_is_delivered_again(
    sandbox: SandboxServer, client: SandboxClient, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    bot_process = await start_bot_process(sandbox, data_dir)
    try:
        dina = client.user(1004, first_name="Dina")
        await dina.command("start")
        await dina.wait_for(says(WELCOME), timeout=30)

        await client.hold_confirmations(True)
        update_id = await dina.command("aide")
        await dina.wait_for(HELP, timeout=10)
        assert await client.delivery_count(update_id) == 1
        bot_process.send_signal(signal.SIGKILL)
        await bot_process.wait()
        await client.hold_confirmations(False)

        bot_process = await start_bot_process(sandbox, data_dir)

        # Telegram delivers it again (it was never confirmed); the inbox knows it was handled.
        async def delivered_again() -> bool:
            return await client.delivery_count(update_id) == 2

        await eventually(delivered_again, timeout=30)
        assert await client.delivery_count(update_id) == 2
        await dina.command("aide")  # handled after the redelivery: the bot is through it
        await dina.wait_for_count(3, timeout=30)
        helps = [m for m in await dina.received() if HELP(m)]
        assert len(helps) == 2  # one per /aide sent, none for the second delivery
    finally:
        if bot_process.returncode is None:
            bot_process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(bot_process.wait(), timeout=30)
    assert bot_process.returncode == 0  # SIGTERM is a clean stop
