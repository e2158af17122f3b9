"""The bot as a real process (`python -m bot run`), as it runs in production.

`start_bot_process` starts one. `BotProcess` starts it again and again on the same data
folder, kills it with SIGKILL (a power cut: nothing runs after it), lets a failpoint kill it
(`PASSERELLE_FAILPOINT`, see `bot.engine.failpoints`) and keeps every run's log in one file,
to show when a test fails. Its runs are forked from one process that imported the bot once
(`tests.helpers.shifted_bot`): a restart after a kill takes what a real start takes after
the imports, and each run's clock may be moved (`clock_offset`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from datetime import timedelta
from pathlib import Path
from typing import IO

from bot.outbox.replies import KIND as REPLY
from bot.sandbox.client import SandboxClient
from bot.sandbox.server import SandboxServer
from tests.conftest import TOKEN, Sql, database_for
from tests.helpers.shifted_bot import LOG_VARIABLE
from tests.helpers.waiting import due_messages, eventually

ROOT = Path(__file__).resolve().parents[2]
START = 30.0  # seconds for the bot process to start on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_environment(sandbox: SandboxServer, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of `python -m bot run` against the sandbox; `settings` are added
    as `PASSERELLE_<NAME>` (e.g. `failpoint="handled:1"`, `log_level="INFO"`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASSERELLE_")}
    env.update(
        PASSERELLE_TOKEN=TOKEN,
        PASSERELLE_API_URL=sandbox.url,
        PASSERELLE_DATA_DIR=str(data_dir),
        PASSERELLE_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    database_url = database_for(data_dir)  # the test's PostgreSQL database, if any
    if database_url is not None:
        env["PASSERELLE_DATABASE_URL"] = database_url
    env.update({f"PASSERELLE_{name.upper()}": value for name, value in settings.items()})
    return env


async def start_bot_process(
    sandbox: SandboxServer,
    data_dir: Path,
    *,
    output: IO[bytes] | None = None,
    **settings: str,
) -> asyncio.subprocess.Process:
    """`python -m bot run` on `data_dir` (see `bot_environment` for `settings`)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=data_dir.parent,
        env=bot_environment(sandbox, data_dir, **settings),
        stdout=output,
        stderr=output,
    )


class Forked:
    """A bot forked by `tests.helpers.shifted_bot`, handled as `asyncio.subprocess.Process`
    is (signal, wait, returncode); it is not our child: its exit code is not known, only
    that it is gone (given as -SIGKILL)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._gone = False

    @property
    def returncode(self) -> int | None:
        if not self._gone:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self._gone = True
        return -signal.SIGKILL if self._gone else None

    def send_signal(self, number: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, number)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    async def wait(self) -> int:
        while (code := self.returncode) is None:
            await asyncio.sleep(0.02)
        return code


class BotProcess:
    """One bot on one data folder, started, killed and started again by a test.

    Polling by default; `webhook=True` runs it as a webhook on a port kept across restarts.
    Every run writes to `log_path` (`log_tail()` shows its end in an assertion message), and
    runs on the clock moved by `clock_offset` (set before a start).
    """

    def __init__(
        self,
        sandbox: SandboxServer,
        client: SandboxClient,
        data_dir: Path,
        *,
        webhook: bool = False,
        **settings: str,
    ) -> None:
        self.sandbox = sandbox
        self.client = client
        self.data_dir = data_dir
        self.settings = dict(settings)
        self.webhook_port = free_port() if webhook else None
        if self.webhook_port is not None:
            self.settings.update(
                webhook_url=f"http://127.0.0.1:{self.webhook_port}/telegram",
                webhook_secret="crash-test-secret",
                webhook_port=str(self.webhook_port),
            )
        self.log_path = data_dir.parent / "bot-process.log"
        self.clock_offset = timedelta(0)
        self.process: Forked | None = None
        self.starts = 0
        self.kills = 0  # by the test (SIGKILL)
        self.failpoint_deaths = 0  # by the process itself (a failpoint)
        self._calls_before_start = 0
        self._forker: asyncio.subprocess.Process | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self, failpoint: str | None = None) -> None:
        assert not self.running, "the bot is already running"
        self.starts += 1
        self._calls_before_start = await self._listener_calls()
        with self.log_path.open("ab") as log:
            log.write(
                f"---- start #{self.starts} failpoint={failpoint} "
                f"clock +{self.clock_offset}\n".encode()
            )
        self.process = await self._fork(failpoint)

    async def _fork(self, failpoint: str | None) -> Forked:
        if self._forker is None:
            env = bot_environment(self.sandbox, self.data_dir, **self.settings)
            env[LOG_VARIABLE] = str(self.log_path)
            with self.log_path.open("ab") as log:
                self._forker = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "tests.helpers.shifted_bot",
                    "run",
                    cwd=self.data_dir.parent,
                    env=env,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    stderr=log,
                )
        assert self._forker.stdin is not None and self._forker.stdout is not None
        order = {"offset": self.clock_offset.total_seconds(), "failpoint": failpoint}
        self._forker.stdin.write(json.dumps(order).encode() + b"\n")
        await self._forker.stdin.drain()
        line = await asyncio.wait_for(self._forker.stdout.readline(), START)
        assert line.strip(), f"the bot could not be forked\n{self.log_tail()}"
        return Forked(int(line))

    async def _listener_calls(self) -> int:
        method = "setWebhook" if self.webhook_port is not None else "getUpdates"
        return int((await self.client.stats())["calls"].get(method, 0))

    async def listening(self) -> bool:
        """Whether this run has asked Telegram for updates (or set its webhook) yet."""
        return self.running and await self._listener_calls() > self._calls_before_start

    async def start_ready(self, failpoint: str | None = None, timeout: float = 30) -> None:
        """Start, and wait until it asks Telegram for updates (or sets its webhook)."""
        await self.start(failpoint)

        async def ready() -> bool:
            if not self.running:
                raise AssertionError(f"the bot stopped while starting\n{self.log_tail()}")
            return await self.listening()

        assert await eventually(ready, timeout), f"the bot did not start\n{self.log_tail()}"

    async def kill(self) -> None:
        """SIGKILL now, as a power cut would; returns once the process is gone."""
        assert self.process is not None and self.running
        self.process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.process.wait(), 30)
        self.kills += 1

    async def died(self, timeout: float = 30) -> None:
        """Wait for the process to kill itself at its failpoint (SIGKILL)."""
        assert self.process is not None
        try:
            code = await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"the failpoint was not reached\n{self.log_tail()}") from None
        assert code == -signal.SIGKILL, f"exit code {code}\n{self.log_tail()}"
        self.failpoint_deaths += 1

    async def stop(self, timeout: float = 60) -> int | None:
        """SIGTERM (a clean stop) if running; SIGKILL if it does not stop within `timeout`.
        Then the process the runs are forked from ends (its input closed)."""
        try:
            return await self._stop_run(timeout)
        finally:
            forker, self._forker = self._forker, None
            if forker is not None and forker.stdin is not None:
                forker.stdin.close()
                try:
                    await asyncio.wait_for(forker.wait(), 10)
                except TimeoutError:
                    forker.kill()
                    await forker.wait()

    async def _stop_run(self, timeout: float) -> int | None:
        if self.process is None or not self.running:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()
            raise AssertionError(f"the bot did not stop on SIGTERM\n{self.log_tail()}") from None

    def log_tail(self, lines: int = 60) -> str:
        if not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "bot log (end):\n" + "\n".join(text[-lines:])


async def quiet(client: SandboxClient, sql: Sql, bot: BotProcess, timeout: float = 30) -> None:
    """Every update sent so far fetched and handled, every reply sent (then still so)."""

    async def idle() -> bool:
        if (await client.stats())["pending_updates"]:
            return False
        if sql.scalar("select count(*) from inbox where status = 'new'"):
            return False
        if sql.scalar(
            "select count(*) from outbox where kind = ? and status in ('pending', 'sending')",
            REPLY,
        ):
            return False
        return not due_messages(sql)

    for _ in range(2):
        assert await eventually(idle, timeout), f"the bot is still busy\n{bot.log_tail()}"
        await asyncio.sleep(0.3)
