"""Taking the database away from a running bot process, and giving it back.

`LoggedBot` runs `python -m bot run` with its log read through a pipe (a file would be cut
off by the file size limit too). `limit_file_size` stands for a full disk: the kernel refuses
every write that would grow a file of the process past `limit` bytes (EFBIG; Python ignores
SIGXFSZ). `CuttableProxy` stands between the bot and PostgreSQL and can cut every connection
and refuse new ones, as a server that goes away would, without touching the shared server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from bot.sandbox.client import SandboxClient
from bot.sandbox.server import SandboxServer
from tests.helpers.process import bot_environment, free_port
from tests.helpers.waiting import eventually


def limit_file_size(pid: int, limit: int | None) -> None:
    """Writes of `pid` past `limit` bytes of any file fail (None: up to the hard limit again).

    Only the soft limit moves: raising a hard limit needs a privilege containers often lack.
    """
    _soft, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (hard if limit is None else limit, hard))


def paused(pid: int) -> bool:
    """Whether the process is stopped (SIGSTOP, e.g. by a `pause` failpoint)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rpartition(")")[2].split()[0] == "T"


async def once_paused(pid: int, then: Callable[[], None], timeout: float = 30) -> None:
    """When the process stops itself, run `then` and let it go on (SIGCONT)."""
    assert await eventually(lambda: paused(pid), timeout), "the process did not pause"
    then()
    os.kill(pid, signal.SIGCONT)


class LoggedBot:
    """One bot process whose log lines are kept in `lines` (a webhook with `webhook`)."""

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
        self.settings = settings
        self.listener = "setWebhook" if webhook else "getUpdates"
        if webhook:
            port = free_port()
            self.settings.update(
                webhook_url=f"http://127.0.0.1:{port}/telegram",
                webhook_secret="outage-test-secret",
                webhook_port=str(port),
            )
        self.lines: list[str] = []
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self, timeout: float = 30) -> None:
        before = int((await self.client.stats())["calls"].get(self.listener, 0))
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=self.data_dir.parent,
            env=bot_environment(self.sandbox, self.data_dir, **self.settings),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._reader = asyncio.create_task(self._read())

        async def polling() -> bool:
            assert self.process is not None
            if self.process.returncode is not None:
                raise AssertionError(f"the bot stopped while starting\n{self.log()}")
            calls = int((await self.client.stats())["calls"].get(self.listener, 0))
            return calls > before

        assert await eventually(polling, timeout), f"the bot did not start\n{self.log()}"

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for raw in self.process.stdout:
            self.lines.append(raw.decode("utf-8", errors="replace").rstrip("\n"))

    def at(self, level: str) -> list[str]:
        """Log lines at `level` (the format is `time LEVEL logger: message`)."""
        return [line for line in self.lines if f" {level} " in line]

    def log(self, lines: int = 80) -> str:
        return "bot log (end):\n" + "\n".join(self.lines[-lines:])

    async def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM, then SIGKILL if it does not stop in time; the exit code."""
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)
        return self.process.returncode


class CuttableProxy:
    """A TCP relay to `host:port` that can drop every connection and refuse new ones."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.target_port = port
        self.port = 0
        self.up = True
        self.refused = 0  # connections refused while cut
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    def cut(self) -> None:
        """The server is gone: open connections are reset, new ones closed at once."""
        self.up = False
        for writer in list(self._open):
            transport = writer.transport
            with contextlib.suppress(Exception):
                transport.abort()
        self._open.clear()

    def restore(self) -> None:
        self.up = True

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.host, self.target_port
            )
        except OSError:
            writer.transport.abort()
            return
        self._open.update((writer, upstream_writer))
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            for end in (writer, upstream_writer):
                self._open.discard(end)
                end.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()  # one side ended: end the other too
