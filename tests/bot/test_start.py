"""Foundation end to end: /start, the role buttons, /aide, restarts and redelivery."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.sandbox.client import SandboxClient
from bot.sandbox.server import SandboxServer
from tests.conftest import STAFF_ID, TOKEN, BotRunner, Sql

ROOT = Path(__file__).resolve().parents[2]


async def test_start_choose_candidate_survives_restart(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    alice = client.user(1001, first_name="Alice", language_code="fr")
    await alice.command("start")
    welcome = await alice.wait_for(lambda m: "Bienvenue" in m.text)
    assert welcome.button_labels == ["Candidat·e", "Employeur·se"]

    await alice.press("Candidat·e")
    await alice.wait_for(lambda m: "Votre rôle : candidat·e" in m.text)
    assert sql.scalar("select role from people where telegram_id = 1001") == "candidate"

    await bot_runner.restart()
    await alice.command("aide")
    help_message = await alice.wait_for(lambda m: m.text.startswith("Voici ce que vous pouvez"))
    assert "/profil" in help_message.text
    assert "/plan" not in help_message.text
    assert sql.scalar("select count(*) from people") == 1


async def test_staff_button_only_for_configured_staff(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = client.user(STAFF_ID, first_name="Sophie")
    await staff.command("start")
    message = await staff.wait_for(lambda m: "Vous êtes inscrit·e comme" in m.text)
    assert "Équipe d'organisation" in message.button_labels
    await staff.command("aide")
    help_message = await staff.wait_for(lambda m: "/plan" in m.text)
    assert "/broadcast" in help_message.text

    bob = client.user(1002, first_name="Bob")
    await bob.command("start")
    welcome = await bob.wait_for(lambda m: "Bienvenue" in m.text)
    assert "Équipe d'organisation" not in welcome.button_labels
    await bob.press_data("role:staff")
    await asyncio.sleep(0.3)
    answers = await bob.callback_answers()
    assert answers and "réservé" in answers[-1]["text"]
    assert sql.scalar("select role from people where telegram_id = 1002") is None


async def test_double_press_and_forged_role(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    carla = client.user(1003, first_name="<b>Carla</b> & Co")
    await carla.command("start")
    welcome = await carla.wait_for(lambda m: "Bienvenue" in m.text)
    assert "<b>Carla</b> & Co" in welcome.text  # shown literally, not as bold
    button_data = dict(label_data for row in welcome.buttons for label_data in row)
    await carla.press("Employeur·se")
    await carla.wait_for(lambda m: "Votre rôle : employeur·se" in m.text)
    await carla.press_data(str(button_data["Employeur·se"]), message_id=welcome.message_id)
    await carla.press_data("role:astronaut")
    await asyncio.sleep(0.3)
    texts = [answer.get("text") or "" for answer in await carla.callback_answers()]
    assert any("déjà votre rôle" in text for text in texts)
    assert any("plus valable" in text for text in texts)
    confirmations = [m for m in await carla.received() if "Votre rôle" in m.text]
    assert len(confirmations) == 1
    assert sql.scalar("select first_name from people where telegram_id = 1003") == (
        "<b>Carla</b> & Co"
    )


async def _start_bot_process(sandbox: SandboxServer, data_dir: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASSERELLE_")}
    env.update(
        PASSERELLE_TOKEN=TOKEN,
        PASSERELLE_API_URL=sandbox.url,
        PASSERELLE_DATA_DIR=str(data_dir),
        PASSERELLE_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=data_dir.parent, env=env
    )


async def test_update_not_confirmed_before_a_crash_is_delivered_again(
    sandbox: SandboxServer, client: SandboxClient, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    bot_process = await _start_bot_process(sandbox, data_dir)
    try:
        dina = client.user(1004, first_name="Dina")
        await dina.command("start")
        await dina.wait_for(lambda m: "Bienvenue" in m.text, timeout=30)

        await client.hold_confirmations(True)
        update_id = await dina.command("aide")
        await dina.wait_for(lambda m: m.text.startswith("Voici"), timeout=10)
        assert await client.delivery_count(update_id) == 1
        bot_process.send_signal(signal.SIGKILL)
        await bot_process.wait()
        await client.hold_confirmations(False)

        bot_process = await _start_bot_process(sandbox, data_dir)
        await dina.wait_for_count(3, timeout=30)
        assert await client.delivery_count(update_id) == 2
        helps = [m for m in await dina.received() if m.text.startswith("Voici")]
        assert len(helps) == 2
    finally:
        if bot_process.returncode is None:
            bot_process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(bot_process.wait(), timeout=30)
    assert bot_process.returncode == 0  # SIGTERM is a clean stop
