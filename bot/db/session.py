"""One async engine per process and a session factory; one session per handler or job."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.db.migrate import upgrade_to_head


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets the dispatcher read while a handler writes; foreign keys make erasure cascade.

    The driver's own implicit BEGIN is turned off: `_begin_immediate` starts every
    transaction instead.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock when a transaction starts, waiting (busy_timeout) if need be.

    A deferred transaction that reads, then writes, fails at once with "database is locked"
    when another connection committed in between: busy_timeout cannot help a snapshot that
    is already stale. Starting with the lock serialises writers instead of failing them.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """Owns the engine; `migrate()` is idempotent so persistence and post_init can both call it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _begin_immediate)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._migrated = False
        self._lock = asyncio.Lock()

    async def migrate(self) -> None:
        async with self._lock:
            if self._migrated:
                return
            async with self.engine.begin() as connection:
                await connection.run_sync(upgrade_to_head)
            self._migrated = True

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session that commits on success and rolls back on error."""
        async with self.sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()
