"""One async engine per process and a session factory; one session per handler or job.

While an update is handled, `Database.unit_of_work()` opens the update's one transaction and
every `Database.session()` opened by that task (services, the outbox) joins it as a
savepoint: the update's changes, its conversation step and its "done" mark commit together
or not at all. Other tasks (the outbox dispatcher, jobs, tasks a handler starts) get their
own session as before.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.db.migrate import upgrade_to_head

# How long a transaction waits for SQLite's write lock. An update's transaction holds it while
# a plan is solved (up to `SOLVE_SECONDS`), hence well above that.
BUSY_SECONDS = 30


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets the dispatcher read while a handler writes; foreign keys make erasure cascade.

    The driver's own implicit BEGIN is turned off: `_begin_immediate` starts every
    transaction instead.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock when a transaction starts, waiting (busy_timeout) if need be.

    A deferred transaction that reads, then writes, fails at once with "database is locked"
    when another connection committed in between: busy_timeout cannot help a snapshot that
    is already stale. Starting with the lock serialises writers instead of failing them.
    An update's transaction holds the lock while its handler runs, planning included (up
    to `SOLVE_SECONDS`), hence a busy timeout well above that.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class _SqliteConnection(aiosqlite.Connection):
    """aiosqlite, with statements run in the event loop's own thread.

    aiosqlite hands every call (cursor, execute, fetch, close, commit) to a thread of its
    own and back: about 0.12 ms of CPU each, a dozen per transaction, most of a short
    transaction's cost. In WAL mode only taking the write lock can wait (`BEGIN IMMEDIATE`,
    for another process's transaction, up to `BUSY_SECONDS`), and pragmas at connection
    time; those still go through the thread, so a wait never blocks the event loop. Every
    other statement runs while this transaction holds the lock, or reads a snapshot, and
    returns in microseconds.

    The two threads never use the connection at once: while a call is queued or running in
    aiosqlite's thread (even one whose caller was cancelled), the next calls queue behind
    it there, in order.
    """

    _queued = 0  # calls handed to the thread (counted in the event loop's thread)
    _finished = 0  # calls the thread is done with (counted in that thread)

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._queued != self._finished or (
            args and isinstance(args[0], str) and _may_wait(args[0])
        ):
            self._queued += 1
            return await super()._execute(self._counted, fn, *args, **kwargs)
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    def _counted(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        finally:
            self._finished += 1


def _may_wait(sql: str) -> bool:
    return sql.lstrip()[:6].upper() in ("BEGIN ", "PRAGMA")


@dataclass
class Unit:
    """The transaction of one update, shared by every session its task opens."""

    session: AsyncSession
    owner: asyncio.Task[Any] | None
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    forgotten: set[int] = field(default_factory=set)  # Telegram ids erased in this unit
    closed: bool = False

    def joins(self) -> bool:
        return not self.closed and asyncio.current_task() is self.owner


_unit: ContextVar[Unit | None] = ContextVar("passerelle_unit_of_work", default=None)


def current_unit() -> Unit | None:
    """The update transaction this task runs in, if any (tasks it starts get their own)."""
    unit = _unit.get()
    return unit if unit is not None and unit.joins() else None


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current update's transaction is committed (at once if none)."""
    unit = current_unit()
    if unit is None:
        callback()
    else:
        unit.after_commit.append(callback)


class _Writer:
    """One SQLite transaction at a time in this process, handed over at once.

    Every SQLite transaction takes the write lock (`_begin_immediate`). Between two
    connections of one process SQLite's busy handler would poll for it in sleeps of 1 to
    100 ms; under load (an update, the inbox storing the next ones, the outbox recording
    what went out) those sleeps were a third of an update's time. Queuing here first leaves
    SQLite's wait for other processes only. A task already holding its turn (a session
    opened inside another one) goes on, as SQLite itself would have let it try.
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None and task is self._owner:
            yield
            return
        async with asyncio.timeout(BUSY_SECONDS):
            await self._lock.acquire()
        self._owner = task
        try:
            yield
        finally:
            self._owner = None
            self._lock.release()


class Database:
    """Owns the engine; `migrate()` is idempotent so persistence and post_init can both call it."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite"):
            # A file needs no ping; connections skip aiosqlite's thread (`_SqliteConnection`).
            self.engine: AsyncEngine = create_async_engine(url, async_creator=self._connect)
        else:
            self.engine = create_async_engine(url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _begin_immediate)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._migrated = False
        self._lock = asyncio.Lock()
        self._writer = _Writer() if self.engine.dialect.name == "sqlite" else None

    async def _connect(self) -> aiosqlite.Connection:
        args, options = self.engine.dialect.create_connect_args(self.engine.url)
        connector = partial(sqlite3.connect, *args, **{**options, "check_same_thread": False})
        return await _SqliteConnection(connector, 64)

    async def migrate(self) -> None:
        async with self._lock:
            if self._migrated:
                return
            async with self.engine.begin() as connection:
                await connection.run_sync(upgrade_to_head)
            self._migrated = True

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session that commits on success and rolls back on error.

        Inside an update's unit of work it is that unit's session, behind a savepoint: an
        error inside the block undoes the block only, and nothing commits before the unit.
        """
        unit = current_unit()
        if unit is not None:
            async with unit.session.begin_nested():
                yield unit.session
            return
        async with self._turn(), self.sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    def _turn(self) -> AbstractAsyncContextManager[None]:
        return self._writer.turn() if self._writer is not None else nullcontext()

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[Unit]:
        """One transaction for everything the current task does until the block ends.

        Commits when the block ends normally, rolls back when it raises; the `after_commit`
        callbacks run after a successful commit only.
        """
        async with self._turn(), self.sessions() as session:
            unit = Unit(session, asyncio.current_task())
            token = _unit.set(unit)
            try:
                yield unit
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
            finally:
                unit.closed = True
                _unit.reset(token)
        for callback in unit.after_commit:
            callback()

    async def dispose(self) -> None:
        await self.engine.dispose()


async def unreachable(url: str) -> str | None:
    """Why the database cannot be used, in one line; None when it answers and takes writes.

    Called once at start-up, so a server that is down, a bad address or a read-only file
    stops the bot with one clear line instead of a traceback at the first update.
    """
    try:
        database = Database(url)
    except Exception as error:  # a malformed URL, an unknown or missing driver
        return _first_line(error)
    try:
        async with database.engine.connect() as connection:
            # A write, undone: a read-only file or server is refused here, not at the
            # first update.
            transaction = await connection.begin()
            await connection.execute(text("create table passerelle_write_probe (x integer)"))
            await transaction.rollback()
    except Exception as error:  # refused, unknown host, bad password, read-only file...
        return _first_line(error)
    finally:
        await database.dispose()
    return None


def _first_line(error: BaseException) -> str:
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    line = (str(cause).strip().splitlines() or [""])[0].strip()
    return line or type(cause).__name__
