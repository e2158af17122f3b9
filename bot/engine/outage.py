"""The database stops taking writes while the bot runs (full disk, lost server), then returns.

Nothing is lost meanwhile: an update that cannot be stored is not confirmed to Telegram
(`InboxQueue.put` raises `DatabaseUnavailable`, which PTB's polling loop retries with a
backoff and a webhook answers with a 500), and one stored but not handled is tried again
after a backoff (`bot.engine.application.handle`). This module only keeps staff and the log
informed: `Outage.failed` at every failed write, `Outage.succeeded` at every successful one
(a boolean check while all is well). The first failure of an outage writes ONE error line
and sends ONE message to each root staff member; the first success after it one info line
and one message. The messages go straight to Telegram with `bot.send_message`, not through
the outbox: the outbox is a table of the very database that is failing. For the same reason
an outage is remembered across a restart by a file in the data folder (`MARKER`), so that
staff told it was down hear it is back even when another run sees it come back.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from telegram import Bot
from telegram.error import TelegramError

from bot.config import masked_url
from bot.context import services
from bot.i18n import N_, Translator

log = logging.getLogger(__name__)

DOWN = N_(
    "The database no longer answers: messages received wait and will be handled as soon "
    "as it is back. Check the disk or the database server."
)
BACK = N_("The database answers again: the messages that were waiting are being handled now.")

# SQLite's result codes for a database that cannot be written or reached now; any other
# (no such table, a constraint, a syntax error) is a bug, not an outage.
_SQLITE_OUTAGE = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_FULL",
    "SQLITE_IOERR",
    "SQLITE_READONLY",
    "SQLITE_CANTOPEN",
    "SQLITE_PROTOCOL",
)
_DISK_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EROFS, errno.EDQUOT, errno.EIO}


class DatabaseUnavailable(TelegramError):
    """Raised by `InboxQueue.put`: a `TelegramError`, so that PTB's polling loop retries
    `getUpdates` with the same offset (backoff up to 30 s) instead of stopping."""


def is_database_error(error: BaseException | None, *, from_handler: bool = False) -> bool:
    """Whether `error` says the database cannot be written or reached now.

    `from_handler`: the error came out of a handler, where a timeout or a file error may be
    the handler's own; only the database driver's word counts there.
    """
    if error is None:
        return False
    if isinstance(error, DatabaseUnavailable):
        return True
    if isinstance(error, DBAPIError):
        name = getattr(error.orig, "sqlite_errorname", None)
        if isinstance(name, str):
            return name.startswith(_SQLITE_OUTAGE)
        return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    if isinstance(error, PoolTimeout | ConnectionError):
        return True
    if from_handler:
        return False
    if isinstance(error, TimeoutError):  # waiting for a connection or for SQLite's lock
        return True
    return isinstance(error, OSError) and error.errno in _DISK_ERRNOS


def describe(error: BaseException) -> str:
    """The error's first line for the log: the driver's own words, no password."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    cause = cause.__cause__ if isinstance(cause, DatabaseUnavailable) and cause.__cause__ else cause
    line = (str(cause).strip().splitlines() or [""])[0].strip()
    return masked_url(f"{type(cause).__name__}: {line}" if line else type(cause).__name__)


MARKER = "database-down"


class Outage:
    """Whether the database is down now, and who has been told."""

    def __init__(self, bot: Bot, staff_ids: list[int], marker: Path | None = None) -> None:
        self.bot = bot
        self.staff_ids = list(staff_ids)
        self.marker = marker
        self.down = marker is not None and marker.exists()  # told down by an earlier run
        self.outages = 0
        self.failures = 0  # failed writes in the current (or last) outage
        self._sending: set[asyncio.Task[None]] = set()

    def failed(self, error: BaseException) -> None:
        """A write failed: the first of an outage is logged and told to staff, not the next."""
        self.failures += 1
        if self.down:
            return
        self.down = True
        self.outages += 1
        self.failures = 1
        log.error(
            "Database unavailable (%s); updates wait and are handled when it answers",
            describe(error),
        )
        self._remember(down=True)
        self._tell(DOWN)

    def trouble(self, error: BaseException) -> bool:
        """`failed` if `error` is the database failing (True), else nothing (False): for the
        outbox, which logs other errors itself."""
        if not is_database_error(error):
            return False
        self.failed(error)
        return True

    def succeeded(self) -> None:
        """A write went through: if the database was down, it is back."""
        if not self.down:
            return
        self.down = False
        if self.failures:
            log.info("Database answers again after %s failed attempt(s)", self.failures)
        else:  # the outage began before this run started
            log.info("Database answers again (it was down when the bot last stopped)")
        self._remember(down=False)
        self._tell(BACK)

    def _remember(self, *, down: bool) -> None:
        """The marker file; a folder that cannot be written (a full or read-only disk)
        only loses the "back" message of a restart."""
        if self.marker is None:
            return
        try:
            if down:
                self.marker.touch()
            else:
                self.marker.unlink(missing_ok=True)
        except OSError as error:
            log.warning("Could not note the database outage in %s: %s", self.marker, error)

    def _tell(self, message: str) -> None:
        text = Translator.for_language("fr").plain(message)
        for chat_id in self.staff_ids:
            task = asyncio.get_running_loop().create_task(self._send(chat_id, text))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, chat_id: int, text: str) -> None:
        try:
            await self.bot.send_message(chat_id, text, parse_mode=None)
        except Exception as error:  # Telegram down too, a staff member who blocked the bot
            log.warning("Could not tell staff %s about the database: %s", chat_id, error)


def outage_of(application: Any) -> Outage:
    """The application's one `Outage`, made at first use."""
    shared = services(application)
    if shared.outage is None:
        settings = shared.settings
        shared.outage = Outage(application.bot, settings.staff_ids, settings.data_dir / MARKER)
    return shared.outage
