"""`passerelle run` in webhook mode: the sandbox posts updates with the secret, the bot answers."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import httpx

from bot.sandbox.client import SandboxClient
from bot.sandbox.server import SandboxServer
from tests.conftest import TOKEN
from tests.helpers.texts import says, t
from tests.helpers.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_end_to_end(
    sandbox: SandboxServer, client: SandboxClient, tmp_path: Path
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASSERELLE_")}
    env.update(
        PASSERELLE_TOKEN=TOKEN,
        PASSERELLE_API_URL=sandbox.url,
        PASSERELLE_DATA_DIR=str(tmp_path / "data"),
        PASSERELLE_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
        PASSERELLE_WEBHOOK_SECRET="s3cret-token",
        PASSERELLE_WEBHOOK_PORT=str(port),
        PASSERELLE_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env
    )
    try:

        async def webhook_set() -> bool:
            return bool((await client.webhook_info()).get("url"))

        await eventually(webhook_set, timeout=15)
        info = await client.webhook_info()
        assert info["url"] == f"http://127.0.0.1:{port}/telegram"
        assert info.get("has_custom_certificate") is False

        eva = client.user(1005, first_name="Eva")
        await eva.command("start")
        await eva.wait_for(says("Hello {name}! Welcome to Passerelle."), timeout=20)
        await eva.press(t("Candidate"))
        await eva.wait_for(
            says("Thank you! Your role is: {role}.", role=t("candidate")), timeout=10
        )

        async with httpx.AsyncClient() as intruder:
            forged = await intruder.post(
                f"http://127.0.0.1:{port}/telegram",
                json={
                    "update_id": 999999,
                    "message": {
                        "message_id": 1,
                        "date": 0,
                        "chat": {"id": 1005, "type": "private"},
                        "text": "/start",
                    },
                },
            )
        assert forged.status_code == 403  # no secret header: refused before any handler
    finally:
        bot.send_signal(signal.SIGTERM)
        await asyncio.wait_for(bot.wait(), timeout=30)
    assert bot.returncode == 0
