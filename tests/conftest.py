"""Shared fixtures: a local Bot API server, the real bot polling it, users to act with.

Everything is real: the PTB `Application` talks HTTP to `bot.sandbox` on 127.0.0.1 and stores
in a SQLite file under the test's tmp folder. `bot_runner.restart()` stops the bot and builds
a fresh one on the same file, as a process restart would.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application
from bot.config import Settings, load_settings
from bot.embedded import AnyApplication, start_application, stop_application
from bot.sandbox.client import SandboxClient
from bot.sandbox.server import SandboxServer
from tests.helpers.waiting import drained, handled

TOKEN = "123456:TEST-TOKEN"
STAFF_ID = 900001
DATABASE_FILE = "passerelle.sqlite3"


class BotRunner:
    """Starts, stops and restarts the real application against the sandbox."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.application: AnyApplication | None = None

    async def start(self) -> AnyApplication:
        self.application = build_application(self.settings, token=TOKEN)
        await start_application(self.application)
        return self.application

    async def stop(self) -> None:
        if self.application is not None:
            await stop_application(self.application)
            self.application = None

    async def restart(self) -> AnyApplication:
        await self.stop()
        return await self.start()

    async def handled(self, client: SandboxClient, timeout: float = 10.0) -> None:
        """Wait until the bot has handled every update the test sent so far, replies sent.

        What a test checks next ("nothing else was sent", "nothing changed") is then final
        for those updates: they are processed, and nothing due is left in the outbox.
        """
        await handled(self.application, client, timeout)
        await drained(Sql(self.settings.data_dir / DATABASE_FILE), timeout)


class Sql:
    """Reads the bot's SQLite file directly, to check what is really stored.

    Reads may block: in WAL mode they never wait for a writer. Writes go through
    `await sql.write(...)` in a thread: a blocking write from the test's coroutine would stop
    the event loop the bot runs in, while the bot may hold the write lock (deadlock).
    """

    WRITE = re.compile(r"^\s*(insert|update|delete|replace)\b", re.IGNORECASE)

    def __init__(self, path: Path) -> None:
        self.path = path

    def _run(self, query: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(self.path, timeout=30)) as connection, connection:
            return list(connection.execute(query, params))

    def __call__(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        if self.WRITE.match(query):
            raise AssertionError("write with `await sql.write(...)`, not `sql(...)`")
        return self._run(query, params)

    def scalar(self, query: str, *params: Any) -> Any:
        rows = self(query, *params)
        return rows[0][0] if rows else None

    async def write(self, query: str, *params: Any) -> None:
        await asyncio.to_thread(self._run, query, params)


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    server = SandboxServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def settings(tmp_path: Path, sandbox: SandboxServer) -> Settings:
    return load_settings(
        api_url=sandbox.url,
        data_dir=tmp_path / "data",
        staff_ids=[STAFF_ID],
        conversation_timeout_minutes=30,
    )


@pytest.fixture
def sql(settings: Settings) -> Sql:
    return Sql(settings.data_dir / DATABASE_FILE)


@pytest.fixture
async def bot_runner(settings: Settings) -> AsyncIterator[BotRunner]:
    runner = BotRunner(settings)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    sandbox_client = SandboxClient(sandbox.url, TOKEN)
    try:
        yield sandbox_client
    finally:
        await sandbox_client.aclose()
