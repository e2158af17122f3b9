"""The one task that sends the outbox: paced, retried, and safe across crashes.

Life of a row: `pending` → claimed as `sending` (one transaction for a batch, with
`attempts + 1`) → handed to Telegram by one of a few workers → `sent` with Telegram's
message id (or `pending` again later, `unreachable`, `failed`). Results are committed by one
writer coroutine in batches (group commit).

The crash window. Between Telegram accepting a message and our commit of `sent` there is a
gap; a `kill -9` inside it leaves the row `sending` although the person has the message.
Three things close it:

* the journal (`outbox-sent.journal`, synchronous `os.write`, survives `kill -9`; see
  `journal.py`) gets "row id -" just before a request goes out and "row id, message id" the
  instant Telegram answers. At start it is replayed first: answered rows are `sent`; rows
  `sending` with no "started" line were only claimed (they sat in the queue) and go back to
  `pending`. Only requests that were out, unanswered, when the process died are left;
* those are **probed** (`probe.py`). A private chat's message ids are sequential and shared
  by both sides, and editing a message with exactly its current content answers "message is
  not modified" (a missing id: "message to edit not found"; a user's message: "message can't
  be edited"). When a row is claimed its payload gets `probe_floor`, the highest message id
  known in its chat: the outbox's own (`telegram_message_id`) and every message the
  handlers sent (`tracker.py` reads them off the application bot's answers and keeps them in
  `outbox-chat-tops.journal`). At start, ids floor+1 … floor+30 are edited with the row's
  exact text, parse mode and buttons (`editMessageCaption` for a file), stopping after 3
  missing ids in a row: "not modified" at id k ⇒ delivered as k, recorded `sent`, not
  resent; nothing found ⇒ sent again. Probes are paced like sends and honour 429s;
* a clean stop (`post_stop`) lets in-flight requests finish and releases the rest.

Why a probe changes nothing: it only ever sends a message's own content to it, and every
bot message above the floor is either this row's or one the floor would have counted. If
the tracker saw a bot message in that chat after the row was claimed (a handler answered
meanwhile), that message may sit between the floor and the row's, so the row is not probed
but sent again. Rows that cannot be told apart (a file with neither caption nor buttons;
rows claimed before this version, without a floor) and probes that fail (network, 5xx) are
sent again too: the fallback is at-least-once, never a loss.

The one case left: a bot message the tracker cannot know of above the floor — one sent by
another program with the same token, one sent by a handler whose answer was itself lost in
the same crash, or a handler message older than the tracker file (the first deployment) —
would be edited by a probe into the row's content (logged as an error); and an earlier
message with identical text and buttons above the floor would be taken for the row. Both
need an ambiguous row, i.e. a `kill -9` with that chat's request on the wire.

Limits: the global pace comes from `PASSERELLE_OUTBOX_RATE_PER_SECOND`
(`Settings.outbox_rate_per_second`, default 30, Telegram's limit), spent at 95 %; each
chat gets at most one message per ~1 s; a 429 pauses everything for its `retry_after`.
5xx and network errors are retried with exponential backoff (`send_after` pushed later;
a handler's reply waits in its own task, ahead of the chat's later replies) and give up
after `MAX_ATTEMPTS` as `failed`; 403 ("blocked") or "chat not found" make
the row `unreachable` and mark the person, with no retry. No answer to a request that
went out (read timeout: `PASSERELLE_API_TIMEOUT_SECONDS`; connection closed after writing)
may mean delivered: the probe looks for it at once and only what it does not find is sent
again (unprobeable rows, or a chat that got another message meanwhile: resent unchecked).
A reminder whose registration was withdrawn or whose event was cancelled is refused when
claimed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBUserWarning

from bot import clock
from bot.db.models.outbox import OutboxStatus
from bot.db.session import Database
from bot.outbox import replies, store
from bot.outbox.compose import decode
from bot.outbox.journal import SentJournal
from bot.outbox.pacing import ChatSpacing, RatePacer, retry_seconds
from bot.outbox.probe import FLOOR_KEY, ProbeFailed, locate, probeable
from bot.outbox.store import Claimed
from bot.outbox.tracker import ChatTops

log = logging.getLogger(__name__)

# `do_api_request("send_message")` is deliberate (see `_deliver`); PTB warns about it.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.", category=PTBUserWarning)

MAX_ATTEMPTS = 6
MAX_BACKOFF_SECONDS = 300
IDLE_POLL_SECONDS = 1.0
STOP_GRACE_SECONDS = 10.0
RECORD_ATTEMPTS = 5
RECORD_BACKOFF_MAX_SECONDS = 5.0
WRITE_LINGER_SECONDS = 0.01
UNREACHABLE_ERRORS = ("chat not found", "user is deactivated", "bot was blocked")

Recorder = Callable[[AsyncSession], Awaitable[None]]


@dataclass(frozen=True)
class Sent:
    """The common outcome, recorded in bulk."""

    row_id: int
    message_id: int
    reply: bool = False  # a reply row: dropped once delivered (see `replies.drop_delivered`)


@dataclass(frozen=True)
class Retry:
    """Sent again at `when`: a row of the loop goes back to `pending` for it; a reply is
    tried again by its own task (see `_send_replies`)."""

    row: Claimed
    when: datetime
    error: str
    counted: bool = True  # a flood wait is not an attempt

    async def __call__(self, session: AsyncSession) -> None:
        await store.mark_retry(session, self.row, self.when, self.error, counted=self.counted)


Outcome = Sent | Recorder


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


class Dispatcher:
    def __init__(
        self,
        database: Database,
        bot: Bot,
        *,
        rate: float = 30.0,
        concurrency: int = 8,
        journal: SentJournal | None = None,
        tops: ChatTops | None = None,
    ) -> None:
        self.database = database
        self.bot = bot
        self.journal = journal
        self.tops = tops if tops is not None else ChatTops()
        self.concurrency = concurrency
        self.pacer = RatePacer(rate)
        self.chats = ChatSpacing()
        self.high_water = max(2 * concurrency, int(rate / 4))
        self._queue: asyncio.Queue[Claimed | None] = asyncio.Queue()
        self._results: asyncio.Queue[Outcome | None] = asyncio.Queue()
        self._nudge = asyncio.Event()
        self._stopping = asyncio.Event()
        self._unstarted: list[int] = []
        self._in_flight: set[int] = set()
        self._flights = _Flights()  # per chat, for `_settle_unanswered`
        self._tasks: list[asyncio.Task[None]] = []
        self._claimer: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._replying: dict[int, asyncio.Task[None]] = {}  # chat id → its latest replies
        # Told of a failed database write; True when it is the database failing (a full disk,
        # a lost server: the engine's `Outage` logs it once and tells staff), to log nothing.
        self.database_trouble: Callable[[BaseException], bool] = lambda error: False
        self._unrecorded = False  # some results could not be committed: keep the journal

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        accepted = self.journal.open() if self.journal is not None else []
        started = self.journal.started if self.journal is not None else set()
        async with self.database.session() as session:
            await store.mark_sent_if_unrecorded(session, accepted)
            left = await store.in_flight(session)
            queued = [row.id for row in left if row.id not in started]
            await store.recover(session, queued)  # never handed to Telegram: send them
        if accepted:
            log.info("Outbox: %s send(s) recorded from the journal", len(accepted))
        ambiguous = [row for row in left if row.id in started]
        if ambiguous:
            await self._settle_in_flight(ambiguous)
        async with self.database.session() as session:
            leftovers = await replies.claim_leftovers(session, self.tops.get)
        if self.journal is not None:
            self.journal.clear()
        self._writer = asyncio.create_task(self._write_results(), name="outbox-writer")
        by_chat: dict[int, list[Claimed]] = {}
        for row in leftovers:
            by_chat.setdefault(row.chat_id, []).append(row)
        for rows in by_chat.values():
            # Replies a crash left unsent go first: a chat's later replies wait for them.
            self.send_replies(rows)
        self._tasks = [
            asyncio.create_task(self._work(), name=f"outbox-worker-{index}")
            for index in range(self.concurrency)
        ]
        self._claimer = asyncio.create_task(self._claim_loop(), name="outbox-claimer")

    def wake(self) -> None:
        self._nudge.set()

    async def reply_floors(self, session: AsyncSession, chat_ids: set[int]) -> dict[int, int]:
        """Where a crash-time probe of an update's replies starts, per chat: the highest
        message id known there (see `store.mark_sending`)."""
        return await store.probe_floors(session, chat_ids, self.tops.get)

    def send_replies(self, rows: list[Claimed], then: Callable[[], None] | None = None) -> None:
        """The replies of one update, right after its commit, in order, in a task of their own.

        The next update is handled while they travel; a chat's replies still go out in the
        order of its updates (each task waits for the previous one of its chats). They skip
        the per-chat spacing (the person is waiting for them) but not the global pace;
        results are recorded by the writer like any other send. `then` runs once all are
        handed over.
        """
        if not rows:
            if then is not None:
                then()
            return
        chats = {row.chat_id for row in rows}
        before = {self._replying[chat] for chat in chats if chat in self._replying}
        task = asyncio.create_task(self._send_replies(rows, before, then), name="outbox-replies")
        for chat in chats:
            self._replying[chat] = task
        task.add_done_callback(lambda done: self._replied(done, chats))

    async def _send_replies(
        self,
        rows: list[Claimed],
        before: set[asyncio.Task[None]],
        then: Callable[[], None] | None,
    ) -> None:
        if before:
            await asyncio.wait(before)
        for row in rows:
            self._in_flight.add(row.id)
            outcome = await self._send_reply(row)
            self._in_flight.discard(row.id)
            self._results.put_nowait(outcome)
        if then is not None:
            then()

    async def _send_reply(self, row: Claimed) -> Outcome:
        """Sent, and sent again here after an error, up to `MAX_ATTEMPTS`: the chat's later
        replies wait for this one, so a screen never lands after a newer one. A stop during
        the wait leaves it to the next start, which sends it before anything newer."""
        while True:
            delay = self.pacer.reserve()
            if delay > 0:
                await asyncio.sleep(delay)
            if self.journal is not None:
                self.journal.record_start(row.id)  # synchronous: see journal.py
            outcome = await self._send(row)
            if not isinstance(outcome, Retry):
                return outcome
            if await self._stopped_within((outcome.when - clock.now()).total_seconds()):
                return outcome
            if outcome.counted:
                row = replace(row, attempts=row.attempts + 1)

    def _replied(self, task: asyncio.Task[None], chats: set[int]) -> None:
        for chat in chats:
            if self._replying.get(chat) is task:
                del self._replying[chat]
        if not task.cancelled() and task.exception() is not None:
            log.error("Outbox: sending replies failed", exc_info=task.exception())

    async def _settle_in_flight(self, rows: list[Claimed]) -> None:
        """Rows a crash left `sending` with no journal entry: probe, then record or resend."""
        semaphore = asyncio.Semaphore(self.concurrency)

        async def settle(row: Claimed) -> tuple[Claimed, int | None]:
            floor = row.payload.get("probe_floor")
            if not probeable(row) or self.tops.get(row.chat_id) > int(floor or 0):
                return row, None  # cannot be told apart safely: send again
            async with semaphore:
                try:
                    markup = _markup(row.payload.get("buttons"))
                    found = await locate(self.bot, row, self.pacer, markup)
                except ProbeFailed as error:
                    log.warning("Outbox: could not probe %s (%s); sending again", row.key, error)
                    return row, None
            return row, found

        results = await asyncio.gather(*(settle(row) for row in rows))
        found = [(row.id, message_id) for row, message_id in results if message_id is not None]
        resend = [row.id for row, message_id in results if message_id is None]
        for row, message_id in results:
            if message_id is not None:
                self.tops.note(row.chat_id, message_id, durable=False)
        async with self.database.session() as session:
            await store.mark_sent(session, found)
            await store.recover(session, resend)
        log.warning(
            "Outbox: %s message(s) left in flight by a crash: %s found delivered, %s sent again",
            len(rows),
            len(found),
            len(resend),
        )

    async def stop(self) -> None:
        """Finish what is in flight, release what is not, commit everything, then return."""
        self._stopping.set()
        if self._claimer is not None:
            self._claimer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._claimer
        for _ in self._tasks:
            self._queue.put_nowait(None)
        # Replies already handed over go out too (a crash would leave them to the restart).
        running = [*self._tasks, *set(self._replying.values())]
        pending: set[asyncio.Task[None]] = set()
        if running:
            _done, pending = await asyncio.wait(running, timeout=STOP_GRACE_SECONDS)
        for task in pending:
            task.cancel()
        while not self._queue.empty():
            row = self._queue.get_nowait()
            if row is not None:
                self._unstarted.append(row.id)
        unstarted = list(self._unstarted)
        self._results.put_nowait(lambda session: store.release(session, unstarted))
        self._results.put_nowait(None)
        if self._writer is not None:
            await self._writer
        if self.journal is not None:
            self.journal.close()

    # ------------------------------------------------------------ claiming

    async def _claim_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                delay = await self._claim_once()
            except Exception as error:
                if not self.database_trouble(error):
                    log.exception("Outbox: claiming failed; trying again shortly")
                delay = IDLE_POLL_SECONDS
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._nudge.wait(), delay)
                self._nudge.clear()

    async def _claim_once(self) -> float:
        """Claim what fits in the queue; return how long to sleep before trying again."""
        room = self.high_water - self._queue.qsize()
        if room < self.high_water // 2:
            return IDLE_POLL_SECONDS
        busy = self.chats.busy()
        async with self.database.session() as session:
            rows = await store.claim_due(
                session, limit=room, busy_chats=busy, known_top=self.tops.get
            )
            upcoming = None if rows else await store.next_due(session, busy)
        for row in rows:
            self.chats.take(row.chat_id)
            self._queue.put_nowait(row)
        if rows:
            return 0.0
        delay = IDLE_POLL_SECONDS
        if upcoming is not None:
            delay = min(delay, max(0.0, (upcoming - clock.now()).total_seconds()))
        cooling = self.chats.next_free_in()
        if cooling is not None:
            delay = min(delay, cooling + 0.001)
        return max(delay, 0.005)

    # ------------------------------------------------------------ sending

    async def _work(self) -> None:
        while True:
            row = await self._queue.get()
            if row is None:
                return
            if self._queue.qsize() < self.high_water // 2:
                self._nudge.set()
            if not await self._wait_turn(row.chat_id):
                self._unstarted.append(row.id)
                self.chats.done(row.chat_id)
                continue
            self.chats.started(row.chat_id)
            self._in_flight.add(row.id)
            if self.journal is not None:
                self.journal.record_start(row.id)  # synchronous: see journal.py
            outcome = await self._send(row)
            self._in_flight.discard(row.id)  # no await until the result is queued
            self._results.put_nowait(outcome)
            self.chats.done(row.chat_id)
            self._nudge.set()

    async def _wait_turn(self, chat_id: int) -> bool:
        """Sleep until this chat and the global pace allow a send; False if stopping."""
        while True:
            delay = self.chats.wait_for(chat_id) or self.pacer.reserve()
            if delay > 0 and await self._stopped_within(delay):
                return False
            if self._stopping.is_set():
                return False
            if not self.pacer.paused() and self.chats.wait_for(chat_id) == 0:
                return True

    async def _stopped_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def _send(self, row: Claimed) -> Outcome:
        flight = await self._flights.take_off(row.chat_id)
        flight.floor = max(int(row.payload.get(FLOOR_KEY) or 0), self.tops.get(row.chat_id))
        try:
            return await self._send_once(row, flight)
        finally:
            self._flights.land(flight)

    async def _send_once(self, row: Claimed, flight: _Flight) -> Outcome:
        try:
            message_id = await self._deliver(row)
        except RetryAfter as error:
            seconds = retry_seconds(error)
            self.pacer.pause(seconds)
            when = clock.now() + timedelta(seconds=seconds)
            flood = str(error)
            log.info("Outbox: %s held back %s s by Telegram's flood limit", row.key, seconds)
            return Retry(row, when, flood, counted=False)
        except Forbidden as error:
            blocked = str(error)
            log.info("Outbox: %s: the person cannot be reached (%s)", row.key, blocked)
            return lambda s: store.mark_unreachable(s, row, blocked)
        except BadRequest as error:
            refusal = str(error)
            if replies.CALL_KEY in row.payload:
                # An edit that changes nothing, a callback query too old to answer: the
                # person's screen is as it should be, there is nothing to retry.
                log.info(
                    "Outbox: %s refused by Telegram (%s)", row.payload[replies.CALL_KEY], refusal
                )
                return lambda s: store.mark_final(s, row.id, OutboxStatus.SENT, refusal)
            if any(text in refusal.lower() for text in UNREACHABLE_ERRORS):
                return lambda s: store.mark_unreachable(s, row, refusal)
            log.error("Outbox: message %s refused by Telegram: %s", row.key, refusal)
            return lambda s: store.mark_final(s, row.id, OutboxStatus.FAILED, refusal)
        except (TelegramError, OSError) as error:
            if _unanswered(error):
                return await self._settle_unanswered(row, flight, error)
            return self._retry_or_give_up(row, error)
        except Exception as error:
            log.exception("Outbox: unexpected error sending %s", row.key)
            return self._retry_or_give_up(row, error, logged=True)
        return self._delivered(row, message_id)

    def _delivered(self, row: Claimed, message_id: int) -> Outcome:
        if self.journal is not None:
            self.journal.record(row.id, message_id)  # synchronous: see journal.py
        # The table holds the id, except for replies, dropped once delivered (see replies.py).
        self.tops.note(row.chat_id, message_id, durable=row.kind == replies.KIND)
        return Sent(row.id, message_id, reply=row.kind == replies.KIND)

    async def _settle_unanswered(self, row: Claimed, flight: _Flight, error: Exception) -> Outcome:
        """The request went out but no answer came back: Telegram may have delivered it.

        A message is looked for with the crash probe (`probe.py`) before it is sent again,
        from the floor taken when it went out. Other calls (edits, callback answers) are
        harmless to repeat; a message is sent again unchecked when it cannot be told apart
        (see `probeable`) or when something else reached its chat meanwhile (the probe could
        edit that message).
        """
        if replies.CALL_KEY in row.payload:
            return self._retry_or_give_up(row, error, "got no answer, calling again")
        candidate = replace(row, payload={**row.payload, FLOOR_KEY: flight.floor})
        if flight.crossed or self.tops.get(row.chat_id) > flight.floor or not probeable(candidate):
            return self._retry_or_give_up(row, error, "got no answer and cannot be checked")
        with self._flights.probing(row.chat_id):
            try:
                found = await locate(
                    self.bot, candidate, self.pacer, _markup(row.payload.get("buttons"))
                )
            except ProbeFailed:
                return self._retry_or_give_up(row, error, "got no answer, and the check failed")
        if found is None:
            return self._retry_or_give_up(row, error, "got no answer and did not arrive")
        log.warning(
            "Outbox: %s got no answer (%s) but arrived as message %s",
            row.key,
            _reason(error),
            found,
        )
        return self._delivered(row, found)

    def _retry_or_give_up(
        self, row: Claimed, error: Exception, why: str = "not sent", *, logged: bool = False
    ) -> Outcome:
        """Sent again after a backoff (one log line saying `why`), or `failed` at last."""
        text = f"{type(error).__name__}: {error}"
        if row.attempts >= MAX_ATTEMPTS:
            log.error("Outbox: giving up on %s after %s attempts: %s", row.key, row.attempts, text)
            return lambda s: store.mark_final(s, row.id, OutboxStatus.FAILED, text)
        delay = backoff(row.attempts)
        if not logged:
            log.warning(
                "Outbox: %s %s (%s); sending again in %s s",
                row.key,
                why,
                _reason(error),
                int(delay.total_seconds()),
            )
        return Retry(row, clock.now() + delay, text)

    async def _deliver(self, row: Claimed) -> int:
        """Send the row's payload; returns Telegram's message id."""
        payload = row.payload
        if replies.CALL_KEY in payload:
            return await self._call(payload)
        text = payload.get("text")
        parse_mode = payload.get("parse_mode")
        markup = _markup(payload.get("buttons"))
        if "photo" in payload:
            message = await self.bot.send_photo(
                row.chat_id,
                photo=decode(payload["photo"]["b64"]),
                caption=text,
                parse_mode=parse_mode,
                reply_markup=markup,
            )
            return message.message_id
        if "document" in payload:
            document = payload["document"]
            message = await self.bot.send_document(
                row.chat_id,
                document=InputFile(decode(document["b64"]), filename=document["filename"]),
                caption=text,
                parse_mode=parse_mode,
                reply_markup=markup,
            )
            return message.message_id
        # Text messages are the bulk of the traffic: ask for the raw answer and skip building
        # a full `Message` object (about a third of the CPU spent per message).
        arguments: dict[str, Any] = {"chat_id": row.chat_id, "text": text or ""}
        if parse_mode:
            arguments["parse_mode"] = parse_mode
        if markup is not None:
            arguments["reply_markup"] = markup
        answer = await self.bot.do_api_request("send_message", api_kwargs=arguments)
        assert isinstance(answer, dict)
        return int(answer["message_id"])

    async def _call(self, payload: dict[str, Any]) -> int:
        """A generic Bot API call kept by `replies`; the message id it touched, if any."""
        arguments: dict[str, Any] = dict(payload.get("params") or {})
        for name, upload in (payload.get("files") or {}).items():
            arguments[name] = InputFile(decode(upload["b64"]), filename=upload["filename"])
        answer = await self.bot.do_api_request(payload[replies.CALL_KEY], api_kwargs=arguments)
        if isinstance(answer, dict) and isinstance(answer.get("message_id"), int):
            return int(answer["message_id"])
        return 0

    # ------------------------------------------------------------ recording

    async def _write_results(self) -> None:
        """Group commit: everything finished since the last commit goes in one transaction."""
        finished = False
        while not finished:
            batch = [await self._results.get()]
            if batch[0] is not None:
                # Under load results arrive a few per millisecond: waiting a moment gathers
                # them into one commit instead of one each. The journal has them meanwhile.
                await asyncio.sleep(WRITE_LINGER_SECONDS)
            while not self._results.empty():
                batch.append(self._results.get_nowait())
            outcomes = [outcome for outcome in batch if outcome is not None]
            finished = len(outcomes) < len(batch)
            if not await self._record(outcomes):
                self._unrecorded = True  # the journal keeps them for the next start
            if self.journal is not None and self._results.empty() and not self._unrecorded:
                self.journal.clear(self._in_flight)  # the rest of it is committed now

    async def _record(self, outcomes: list[Outcome]) -> bool:
        """Commit the outcomes; False if given up. While the database is down (see
        `database_trouble`) it tries again and again, up to the stop: giving up then would
        leave rows `sending` that Telegram has, until a restart sends them again."""
        sent = [(o.row_id, o.message_id) for o in outcomes if isinstance(o, Sent) and not o.reply]
        delivered = [o.row_id for o in outcomes if isinstance(o, Sent) and o.reply]
        others = [o for o in outcomes if not isinstance(o, Sent)]
        attempt = 0
        while True:
            try:
                async with self.database.session() as session:
                    await store.mark_sent(session, sent)
                    await replies.drop_delivered(session, delivered)
                    for record in others:
                        await record(session)
                    if others:  # a reply refused or given up is dropped too
                        await replies.drop_delivered(session)
                return True
            except Exception as error:
                down = self.database_trouble(error)
                if not down:
                    log.exception("Outbox: could not record %s result(s)", len(outcomes))
                attempt += 1
                if attempt >= RECORD_ATTEMPTS and (not down or self._stopping.is_set()):
                    return False
                await asyncio.sleep(min(0.05 * 2**attempt, RECORD_BACKOFF_MAX_SECONDS))


# Errors that prove the request never reached Telegram: no connection, or none free.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)


def _unanswered(error: BaseException) -> bool:
    """Whether the request may have reached Telegram although no answer came back.

    A read timeout or a connection closed after the request was written is ambiguous; a
    refused connection, an exhausted pool or an error answer (5xx: PTB's `NetworkError`
    with no transport error behind it) proves nothing was done.
    """
    if not isinstance(error, NetworkError):  # `TimedOut` is one
        return False
    cause = error.__cause__
    if isinstance(cause, httpx.TransportError):
        return not isinstance(cause, _NEVER_SENT)
    return isinstance(error, TimedOut)


def _reason(error: BaseException) -> str:
    """The error in a few words for a log line (no traceback, no message content)."""
    cause = error.__cause__
    if isinstance(cause, httpx.HTTPError):
        return f"{type(error).__name__}: {type(cause).__name__}"
    return f"{type(error).__name__}: {error}"


@dataclass(eq=False)  # each flight is itself: `land` removes this one
class _Flight:
    """One request out to a chat: the highest message id known there when it left, and
    whether another request to the same chat was out at the same time."""

    chat_id: int
    floor: int = 0
    crossed: bool = False


class _Flights:
    """Requests out per chat, and a pause on a chat's sends while it is being probed."""

    def __init__(self) -> None:
        self._out: dict[int, list[_Flight]] = {}
        self._probing: dict[int, asyncio.Event] = {}

    async def take_off(self, chat_id: int) -> _Flight:
        while (probe := self._probing.get(chat_id)) is not None:
            await probe.wait()
        flight = _Flight(chat_id)
        out = self._out.setdefault(chat_id, [])
        for other in out:
            other.crossed = True
        flight.crossed = bool(out)
        out.append(flight)
        return flight

    def land(self, flight: _Flight) -> None:
        out = self._out.get(flight.chat_id, [])
        if flight in out:
            out.remove(flight)
        if not out:
            self._out.pop(flight.chat_id, None)

    @contextlib.contextmanager
    def probing(self, chat_id: int) -> Iterator[None]:
        done = asyncio.Event()
        self._probing[chat_id] = done
        try:
            yield None
        finally:
            self._probing.pop(chat_id, None)
            done.set()


def _markup(buttons: list[list[list[str]]] | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in buttons
        ]
    )
