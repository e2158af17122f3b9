"""Shared fixtures: a local Bot API server, the real bot polling it, users to act with.

Everything is real: the PTB `Application` talks HTTP to `bot.sandbox` on 127.0.0.1 and stores
in a SQLite file under the test's tmp folder. `bot_runner.restart()` stops the bot and builds
a fresh one on the same file, as a process restart would.

With `PASSERELLE_TEST_DATABASE_URL` set to a PostgreSQL server (any database of it, e.g.
`postgresql+asyncpg://postgres@127.0.0.1:5432/postgres`), each test gets instead a fresh
database copied from a migrated template, dropped after the test.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import re
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.adapt import Loader
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bot import clock
from bot.app import build_application
from bot.config import Settings, load_settings
from bot.db.migrate import upgrade_to_head
from bot.embedded import AnyApplication, start_application, stop_application
from bot.sandbox.client import SandboxClient
from bot.sandbox.server import SandboxServer
from tests.helpers.waiting import drained, handled

TOKEN = "123456:TEST-TOKEN"
STAFF_ID = 900001
DATABASE_FILE = "passerelle.sqlite3"
TEST_DATABASE_URL = os.environ.get("PASSERELLE_TEST_DATABASE_URL", "").strip()
TEMPLATE_DATABASE = f"passerelle_test_template_{os.getpid()}"
_template_built = False


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
        await drained(Sql.of(self.settings), timeout)


class _TextLoader(Loader):
    """Gives JSON back as its text, as SQLite stores it."""

    def load(self, data: Any) -> str:
        return bytes(data).decode()


class _NumericLoader(Loader):
    """A decimal (e.g. `avg(...)`) as a float, as SQLite computes it."""

    def load(self, data: Any) -> float:
        return float(bytes(data).decode())


class _TimestampLoader(Loader):
    """Gives a timestamp back as SQLAlchemy writes it into SQLite: UTC, naive, microseconds."""

    def load(self, data: Any) -> str:
        moment = datetime.fromisoformat(bytes(data).decode())
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


class _DateLoader(Loader):
    def load(self, data: Any) -> str:
        return date.fromisoformat(bytes(data).decode()).isoformat()


class _BoolLoader(Loader):
    def load(self, data: Any) -> int:
        return 1 if bytes(data) == b"t" else 0


def _postgres_dsn(url: str, database: str | None = None) -> str:
    """A libpq address from a SQLAlchemy URL (any driver), optionally for another database."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _paramstyle(query: str) -> str:
    """sqlite3's `?` placeholders as psycopg's `%s`, outside quoted text."""
    parts = re.split(r"('(?:[^']|'')*')", query)
    return "".join(
        part.replace("%", "%%") if index % 2 else part.replace("%", "%%").replace("?", "%s")
        for index, part in enumerate(parts)
    )


# One connection per PostgreSQL test database, kept for the test: tests poll the database
# every few milliseconds, and a connection each time would make the server start a process
# each time. The lock lets `Sql.write` use it from a thread.
_READERS: dict[str, psycopg.Connection[Any]] = {}
_READERS_LOCK = threading.Lock()


def _reader(url: str) -> psycopg.Connection[Any]:
    connection = _READERS.get(url)
    if connection is None or connection.closed:
        connection = psycopg.connect(_postgres_dsn(url), autocommit=True)
        connection.execute("SET TIME ZONE 'UTC'")
        for type_name in ("json", "jsonb"):
            connection.adapters.register_loader(type_name, _TextLoader)
        connection.adapters.register_loader("numeric", _NumericLoader)
        for type_name in ("timestamptz", "timestamp"):
            connection.adapters.register_loader(type_name, _TimestampLoader)
        connection.adapters.register_loader("date", _DateLoader)
        connection.adapters.register_loader("bool", _BoolLoader)
        _READERS[url] = connection
    return connection


def _close_reader(url: str) -> None:
    connection = _READERS.pop(url, None)
    if connection is not None:
        connection.close()


class Sql:
    """Reads the bot's database directly, to check what is really stored.

    The same queries and the same values on SQLite and on PostgreSQL: `?` placeholders, and
    values as SQLite gives them back (timestamps as UTC text, JSON as text, booleans as 0/1),
    so a test reads the same way on both. `dialect` is "sqlite" or "postgresql" for the
    rare query written differently (see `tables()` and `cells()`).

    Reads may block: in WAL mode they never wait for a writer. Writes go through
    `await sql.write(...)` in a thread: a blocking write from the test's coroutine would stop
    the event loop the bot runs in, while the bot may hold the write lock (deadlock).
    """

    WRITE = re.compile(r"^\s*(insert|update|delete|replace)\b", re.IGNORECASE)

    def __init__(self, target: Path | str) -> None:
        """`target`: the SQLite file, or a PostgreSQL SQLAlchemy URL."""
        self.url = target if isinstance(target, str) else None
        self.path = target if isinstance(target, Path) else Path()
        self.dialect = "postgresql" if self.url else "sqlite"

    @classmethod
    def of(cls, settings: Settings) -> Sql:
        url = settings.resolved_database_url
        if url.startswith("postgresql"):
            return cls(url)
        return cls(Path(url.partition(":///")[2]))

    def _run(self, query: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if self.url is None:
            with closing(sqlite3.connect(self.path, timeout=30)) as connection, connection:
                return list(connection.execute(query, params))
        with _READERS_LOCK:
            try:
                cursor = _reader(self.url).execute(_paramstyle(query), params)
            except psycopg.OperationalError:  # the server or the test closed it: once more
                _close_reader(self.url)
                cursor = _reader(self.url).execute(_paramstyle(query), params)
            return list(cursor.fetchall()) if cursor.description is not None else []

    def __call__(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        if self.WRITE.match(query):
            raise AssertionError("write with `await sql.write(...)`, not `sql(...)`")
        return self._run(query, params)

    def scalar(self, query: str, *params: Any) -> Any:
        rows = self(query, *params)
        return rows[0][0] if rows else None

    async def write(self, query: str, *params: Any) -> None:
        await asyncio.to_thread(self._run, query, params)

    def tables(self) -> list[str]:
        """The bot's tables (Alembic's bookkeeping included), on either database."""
        if self.dialect == "sqlite":
            query = "select name from sqlite_master where type = 'table'"
            query += " and name not like 'sqlite_%'"
        else:
            query = "select tablename from pg_tables where schemaname = current_schema()"
        return sorted(row[0] for row in self(query))

    def cells(self) -> list[tuple[str, str, object]]:
        """(table, column, value) for every cell of every table of the database."""
        found: list[tuple[str, str, object]] = []
        for table in self.tables():
            columns = [
                row[0]
                for row in (
                    self(f'select name from pragma_table_info("{table}")')
                    if self.dialect == "sqlite"
                    else self(
                        "select column_name from information_schema.columns"
                        " where table_schema = current_schema() and table_name = ?"
                        " order by ordinal_position",
                        table,
                    )
                )
            ]
            for row in self(f'select * from "{table}"'):
                found += [
                    (table, column, value) for column, value in zip(columns, row, strict=True)
                ]
        return found


def _admin(statement: str) -> None:
    """One statement on the PostgreSQL server's maintenance database (autocommit)."""
    with psycopg.connect(_postgres_dsn(TEST_DATABASE_URL), autocommit=True) as connection:
        connection.execute(statement)


def _template_ready() -> None:
    """Create, once per pytest process, a migrated database that every test database copies.

    Its name carries the process id, so several pytest processes can share one server; it is
    dropped when the process ends.
    """
    global _template_built
    if _template_built:
        return
    _admin(f'drop database if exists "{TEMPLATE_DATABASE}" with (force)')
    _admin(f'create database "{TEMPLATE_DATABASE}"')
    url = make_url(TEST_DATABASE_URL).set(
        drivername="postgresql+psycopg", database=TEMPLATE_DATABASE
    )
    engine = create_engine(url)
    with engine.begin() as migrating:
        upgrade_to_head(migrating)
    engine.dispose()
    _template_built = True
    atexit.register(_admin, f'drop database if exists "{TEMPLATE_DATABASE}" with (force)')


@pytest.fixture
def database_url() -> Iterator[str | None]:
    """None on SQLite (the file in the data folder); else a fresh PostgreSQL database."""
    if not TEST_DATABASE_URL:
        yield None
        return
    _template_ready()
    name = f"passerelle_test_{uuid.uuid4().hex[:12]}"
    _admin(f'create database "{name}" template "{TEMPLATE_DATABASE}"')
    url = make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with _READERS_LOCK:
            _close_reader(url)
        _admin(f'drop database if exists "{name}" with (force)')


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    server = SandboxServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


_databases: dict[Path, str] = {}


def database_for(data_dir: Path) -> str | None:
    """The PostgreSQL database of the test whose data folder this is (None: its SQLite file),
    for a bot started as a process on that folder."""
    return _databases.get(data_dir)


@pytest.fixture
def settings(tmp_path: Path, sandbox: SandboxServer, database_url: str | None) -> Settings:
    if database_url is not None:
        _databases[tmp_path / "data"] = database_url
    return load_settings(
        api_url=sandbox.url,
        data_dir=tmp_path / "data",
        database_url=database_url,
        staff_ids=[STAFF_ID],
        conversation_timeout_minutes=30,
    )


@pytest.fixture
def sql(settings: Settings) -> Sql:
    return Sql.of(settings)


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


@pytest.fixture(autouse=True)
def _real_clock() -> Iterator[None]:
    """Every test starts and ends on the real clock (tests that move it cannot leak)."""
    clock.reset()
    yield None
    clock.reset()
