"""Offline mode: the real bot against the local Bot API, with a scripted conversation.

With no Telegram token, `passerelle run` starts `bot.sandbox` on 127.0.0.1, runs the bot on
the SQLite default, plays a short conversation as simulated users and prints it as a chat
transcript, so a newcomer sees the product work without any account.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import signal
import sys
from collections.abc import Awaitable, Callable

from bot.config import Settings
from bot.embedded import running_bot
from bot.i18n import Translator
from bot.sandbox.client import BotMessage, SandboxClient, User
from bot.sandbox.server import SandboxServer

DEMO_TOKEN = "100000:OFFLINE-DEMO"
DEMO_STAFF_ID = 7000001
DEMO_CANDIDATE_ID = 7000101
DEMO_EMPLOYER_ID = 7000201
SETTLE_SECONDS = 0.4
TAG = re.compile(r"<[^>]+>")


def _plain(text: str) -> str:
    return html.unescape(TAG.sub("", text))


class Transcript:
    """Prints each exchange as it happens: the user's action, then what the bot answered."""

    def __init__(self, write: Callable[[str], object] = print) -> None:
        self.write = write
        self.seen: dict[int, int] = {}

    async def act(self, user: User, label: str, action: Awaitable[object]) -> None:
        before = len(await user.received())
        self.write(f"\n👤 {user.first_name} : {label}")
        await action
        with contextlib.suppress(AssertionError):
            await user.wait_for_count(before + 1, timeout=10)
        await asyncio.sleep(SETTLE_SECONDS)
        for message in (await user.received())[before:]:
            self._show(message)

    def _show(self, message: BotMessage) -> None:
        kind = {"photo": "🖼 ", "document": "📎 "}.get(message.kind, "")
        name = f"[{message.filename}] " if message.filename else ""
        for number, line in enumerate(_plain(message.text).splitlines() or [""]):
            self.write(
                ("🤖 " if number == 0 else "   ") + (kind + name if number == 0 else "") + line
            )
        if message.buttons:
            labels = "  ".join(f"[{label}]" for row in message.buttons for label, _ in row)
            self.write(f"   {labels}")


async def play_script(client: SandboxClient, transcript: Transcript, _: Translator) -> None:
    """The scripted visit: a candidate and an employer choose their role, staff asks for help."""
    amina = client.user(DEMO_CANDIDATE_ID, first_name="Amina", language_code="fr")
    await transcript.act(amina, "/start", amina.command("start"))
    candidate = _.plain("Candidate")
    await transcript.act(amina, f"[{candidate}]", amina.press(candidate))
    await transcript.act(amina, "/aide", amina.command("aide"))
    marc = client.user(DEMO_EMPLOYER_ID, first_name="Marc", language_code="fr")
    await transcript.act(marc, "/start", marc.command("start"))
    employer = _.plain("Employer")
    await transcript.act(marc, f"[{employer}]", marc.press(employer))
    staff = client.user(DEMO_STAFF_ID, first_name="Sophie", language_code="fr")
    await transcript.act(staff, "/aide", staff.command("aide"))


async def run_demo(settings: Settings, *, serve: bool = False) -> int:
    _ = Translator.for_language("fr")
    for noisy in ("telegram", "apscheduler", "httpx", "tornado", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    staff_ids = settings.staff_ids or [DEMO_STAFF_ID]
    async with SandboxServer() as server:
        demo_settings = settings.model_copy(update={"api_url": server.url, "staff_ids": staff_ids})
        print(
            _.plain(
                "Offline demo: local Bot API on {url}, database {database}",
                url=server.url,
                database=demo_settings.resolved_database_url,
            )
        )
        async with (
            running_bot(demo_settings, token=DEMO_TOKEN),
            SandboxClient(server.url, DEMO_TOKEN) as client,
        ):
            transcript = Transcript()
            await play_script(client, transcript, _)
            print("\n" + _.plain("Demo finished. Set PASSERELLE_TOKEN to run on Telegram."))
            if serve:
                print(_.plain("The bot keeps running on {url}. Ctrl+C to stop.", url=server.url))
                await _wait_for_signal()
    sys.stdout.flush()
    return 0


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
