"""The durable inbox: an update is a row before Telegram is told we have it.

PTB's updater puts each fetched update on the application's `update_queue` and confirms it
to Telegram with the next `getUpdates` offset; its webhook server answers 200 once `put`
returns. `InboxQueue.put` stores the update first, so in both modes an update is confirmed
only when it is in the database. The engine then handles it from there and marks it done in
the same transaction as everything its handler changed; an update left `new` by a crash is
put back on the queue at the next start (`replay`), and one delivered twice is handled once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy import update as update_rows
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, Update
from telegram.request import HTTPXRequest

from bot.db.base import dialect_of, insert_for, table_of, utcnow
from bot.db.models.inbox import InboxStatus, InboxUpdate
from bot.db.session import Database
from bot.engine import failpoints
from bot.engine.outage import DatabaseUnavailable, Outage, describe, is_database_error

log = logging.getLogger(__name__)

KEEP_HANDLED = timedelta(days=2)
FETCH_WAIT_SECONDS = 1.0  # at most, before fetching more updates (see `store_fetched`)


def _row(update: Update) -> dict[str, Any]:
    user = update.effective_user
    return {
        "update_id": update.update_id,
        "user_id": user.id if user else None,
        "payload": update.to_dict(),
        "status": InboxStatus.NEW,
        "received_at": utcnow(),
    }


_INBOX = table_of(InboxUpdate)
_STATUS = select(_INBOX.c.status).where(_INBOX.c.update_id == bindparam("update_id"))


@cache
def _keep(dialect: str) -> Any:
    return (
        insert_for(dialect)(_INBOX)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(_INBOX.c.update_id)
    )


async def store(session: AsyncSession, update: Update) -> str:
    """Keep the update (once); its status: `new` unless it was handled already."""
    stored = await session.scalar(_keep(dialect_of(session)), _row(update))
    if stored is not None:
        return InboxStatus.NEW
    status = await session.scalar(_STATUS, {"update_id": update.update_id})
    return str(status or InboxStatus.NEW)


async def begin(session: AsyncSession, update: Update) -> bool:
    """In the update's transaction: False if it was handled already (a second delivery).

    The update was stored by `InboxQueue.put`; it is stored here only when it came another
    way (PTB's `process_update` called directly).
    """
    status = await session.scalar(_STATUS, {"update_id": update.update_id})
    if status is None:
        status = await store(session, update)
    return str(status) == InboxStatus.NEW


def _slim(update: Update) -> dict[str, Any]:
    """What is kept of a handled update: who and where, for a conversation's timeout.

    Nothing people wrote is kept (a button's message can name other people).
    """
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None:
        return {"update_id": update.update_id}
    sender: dict[str, Any] = {"id": user.id, "is_bot": False, "first_name": ""}
    if user.language_code:
        sender["language_code"] = user.language_code
    return {
        "update_id": update.update_id,
        "message": {
            "message_id": 0,
            "date": 0,
            "chat": {"id": chat.id, "type": chat.type},
            "from": sender,
        },
    }


_FINISH = update_rows(_INBOX).where(_INBOX.c.update_id == bindparam("done_id"))


async def finish(
    session: AsyncSession, update: Update, *, error: str | None = None, scrub: bool = False
) -> None:
    """Done (or failed), keeping only `_slim`, or with `scrub` only its id (for duplicates)."""
    values: dict[str, Any] = {
        "done_id": update.update_id,
        "status": InboxStatus.FAILED if error else InboxStatus.DONE,
        "handled_at": utcnow(),
        "error": error,
        "payload": {} if scrub else _slim(update),
    }
    if scrub:
        values["user_id"] = None
    await session.execute(_FINISH, values)


async def last_update(session: AsyncSession, update_id: int, bot: Bot) -> Update | None:
    payload = await session.scalar(
        select(InboxUpdate.payload).where(InboxUpdate.update_id == update_id)
    )
    return Update.de_json(dict(payload), bot) if payload else None


async def prune(session: AsyncSession) -> None:
    """Handled updates are kept two days (a conversation's timeout needs its last one)."""
    await session.execute(
        delete(InboxUpdate)
        .where(InboxUpdate.status != InboxStatus.NEW)
        .where(InboxUpdate.received_at < utcnow() - KEEP_HANDLED)
    )


class InboxQueue(asyncio.Queue[object]):
    """The application's update queue: `put` returns once the update is stored."""

    def __init__(self, database: Database) -> None:
        super().__init__()
        self.database = database
        self.outage: Outage | None = None  # set at start (`bot.engine.application.start`)
        self._polling = False  # set by the first `store_fetched` (see `ConfirmingRequest`)
        self._fetched: list[Update] = []
        self._drained = asyncio.Event()  # nothing waits in the queue
        self._drained.set()

    def _put(self, item: object) -> None:
        super()._put(item)
        self._drained.clear()

    def _get(self) -> object:
        item = super()._get()
        if self.empty():
            self._drained.set()
        return item

    async def put(self, item: object) -> None:
        """Store, then queue. A database that cannot be written raises `DatabaseUnavailable`:
        the update is not confirmed, so Telegram gives it again later (see `bot.engine.outage`).

        When polling, the updates one `getUpdates` brought are kept aside and stored
        together by `store_fetched`, then queued, before the next `getUpdates` confirms
        them: one transaction per batch instead of one per update.
        """
        if not isinstance(item, Update):
            await super().put(item)
        elif self._polling:
            if all(kept.update_id != item.update_id for kept in self._fetched):
                self._fetched.append(item)  # (Telegram gives them again after a failure)
        else:
            await self._store_and_queue([item])

    async def store_fetched(self) -> None:
        """Before a `getUpdates` (which confirms what the previous one brought): those
        updates stored in one transaction, then queued. Kept for the next try if the
        database fails."""
        self._polling = True
        if self._fetched:
            batch = list(self._fetched)
            await self._store_and_queue(batch)
            del self._fetched[: len(batch)]
        # Updates are handled one at a time: fetching more before the queue is empty only
        # makes more, smaller batches (a request and a transaction each). Telegram keeps
        # them meanwhile; the wait is capped so that a long update does not hold the rest.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drained.wait(), FETCH_WAIT_SECONDS)

    async def _store_and_queue(self, updates: list[Update]) -> None:
        statuses: list[str] = []
        try:
            async with self.database.session() as session:
                for update in updates:
                    statuses.append(await store(session, update))
        except Exception as error:
            if not is_database_error(error):
                raise
            if self.outage is not None:
                self.outage.failed(error)
            raise DatabaseUnavailable(describe(error)) from error
        if self.outage is not None:
            self.outage.succeeded()
        failpoints.reach("stored")
        for update, status in zip(updates, statuses, strict=True):
            if status == InboxStatus.NEW:
                await super().put(update)
            else:
                log.info("Update %s was delivered again; already handled", update.update_id)

    async def replay(self, bot: Bot) -> int:
        """Updates stored but not handled when the process stopped, back on the queue."""
        async with self.database.session() as session:
            rows = await session.scalars(
                select(InboxUpdate.payload)
                .where(InboxUpdate.status == InboxStatus.NEW)
                .order_by(InboxUpdate.update_id)
            )
            pending = [Update.de_json(dict(payload), bot) for payload in rows]
        for item in pending:
            await super().put(item)
        if pending:
            log.info("Inbox: %s update(s) from before the restart to handle", len(pending))
        return len(pending)


class ConfirmingRequest(HTTPXRequest):
    """PTB's connection for `getUpdates` alone (polling): the updates the previous call
    brought are stored before this call's offset confirms them to Telegram."""

    def __init__(self, inbox: InboxQueue, **options: Any) -> None:
        super().__init__(**options)
        self.inbox = inbox

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        await self.inbox.store_fetched()
        return await super().do_request(*args, **kwargs)
