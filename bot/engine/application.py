"""The application that handles each update whole, or not at all.

For every update (see `bot.engine` for the whole picture):

1. `InboxQueue.put` has stored it before Telegram was told we have it;
2. one transaction (`Database.unit_of_work`) opens; the update is skipped if its inbox row is
   already done (a second delivery); the person's conversation steps and drafts are loaded;
3. PTB's handlers run as usual; every session they open joins the transaction, and what
   they show is captured (`bot.engine.capture`);
4. the steps, the drafts, the captured replies (as outbox rows) and the inbox row's "done"
   commit together;
5. then the replies, taken for sending in that same transaction, are sent in order by the
   outbox (`Dispatcher.send_replies`) while the next update is handled.

A crash before 4 leaves the update `new`: it is handled again from scratch after the
restart, and nothing of the first attempt was stored or shown. A crash after 4 leaves
replies in the outbox, sent after the restart, once. If a handler fails, everything it did
is rolled back, the update is marked failed (so it is not retried forever) and the person
gets an apology, in its own transaction. If the database itself fails (full disk, lost
server: `bot.engine.outage`), the update stays `new` and is tried again after a backoff, in
place, so that each person's updates keep their order; staff are told once per outage.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from telegram import Update
from telegram.error import BadRequest, NetworkError
from telegram.ext import Application, ContextTypes

from bot.context import services, translator_for
from bot.db import persistence
from bot.db.base import utcnow
from bot.engine import failpoints, inbox
from bot.engine.conversation import Conversation
from bot.engine.outage import DatabaseUnavailable, is_database_error, outage_of
from bot.engine.turn import Call, Turn, current_turn
from bot.outbox import dispatcher_of
from bot.outbox.replies import chat_of, enqueue_reply
from bot.outbox.store import Claimed

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
SWEEP_EVERY = timedelta(seconds=30)
RETRY_FIRST_SECONDS = 1.0  # then 2, 4… while the database does not answer
RETRY_MAX_SECONDS = 30.0


class _HandlerFailed(Exception):
    pass


class Engine(Application[Any, Any, Any, Any, Any, Any]):
    """PTB's `Application`, with each update handled in one transaction (module docstring)."""

    async def process_update(self, update: object) -> None:
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        await handle(self, update)

    async def _plain_process_update(self, update: Update) -> None:
        await super().process_update(update)


async def _load(application: AnyApplication, turn: Turn, session: Any) -> None:
    if turn.user_id is None:
        return
    turn.steps, drafts = await persistence.load_person(
        session, turn.chat_id, turn.user_id, _conversation_names(application)
    )
    data = application.user_data[turn.user_id]
    data.clear()
    data.update(drafts)
    turn.remember_user_data(data)


async def _save(application: AnyApplication, turn: Turn, session: Any) -> None:
    if turn.user_id is None or turn.forgotten:
        return
    data = application.user_data.get(turn.user_id, {})
    await persistence.save_person(
        session,
        turn.chat_id,
        turn.user_id,
        turn.changed_steps,
        turn.update.update_id,
        dict(data) if data != turn.user_data_before else None,
    )


async def _replies(
    application: AnyApplication, turn: Turn, session: Any, key: str
) -> list[Claimed]:
    """What the update showed, as outbox rows in its transaction, taken for sending (left
    pending for the dispatcher's loop when there is no dispatcher)."""
    chats = [chat_of(call.endpoint, call.data, turn.chat_id or 0) for call in turn.calls]
    dispatcher = dispatcher_of(application)
    floors = await dispatcher.reply_floors(session, set(chats)) if dispatcher and chats else {}
    rows: list[Claimed] = []
    for index, (call, chat_id) in enumerate(zip(turn.calls, chats, strict=True)):
        rows += await enqueue_reply(
            session,
            key=f"{key}:{index}",
            chat_id=chat_id,
            endpoint=call.endpoint,
            data=call.data,
            floor=floors.get(chat_id),
        )
    return rows


def _send(
    application: AnyApplication, rows: list[Claimed], then: Callable[[], None] | None = None
) -> None:
    dispatcher = dispatcher_of(application)
    if dispatcher is not None:
        dispatcher.send_replies(rows, then)


async def handle(application: Engine, update: Update) -> None:
    """Steps 2 to 5 of the module docstring for one update, again while the database fails.

    The next updates wait meanwhile (the database is down for them too), which keeps each
    person's messages in order; a stop leaves the update `new`, replayed at the next start.
    """
    delay = RETRY_FIRST_SECONDS
    while True:
        trouble = await _handle_once(application, update)
        if trouble is None:
            return
        outage_of(application).failed(trouble)
        if not await _pause(application, delay):
            log.info("Update %s is left for the next start", update.update_id)
            return
        delay = min(delay * 2, RETRY_MAX_SECONDS)


async def _pause(application: AnyApplication, seconds: float) -> bool:
    """Sleep `seconds`; False as soon as the application is stopping."""
    deadline = asyncio.get_running_loop().time() + seconds
    while application.running:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            return True
        await asyncio.sleep(min(left, 0.25))
    return False


async def _handle_once(application: Engine, update: Update) -> BaseException | None:
    """One attempt; the database error that stopped it, if any (then nothing was kept)."""
    database = services(application).database
    turn = Turn.of(update)
    claimed: list[Claimed] = []
    try:
        async with database.unit_of_work() as unit:
            if not await inbox.begin(unit.session, update):
                log.info("Update %s was handled already", update.update_id)
                return None
            await _load(application, turn, unit.session)
            with turn.active():
                await application._plain_process_update(update)
            if turn.error is not None:
                raise _HandlerFailed
            failpoints.reach("handled")
            turn.forgotten = turn.user_id in unit.forgotten
            await _save(application, turn, unit.session)
            # Who sent it is kept only while they are in a conversation (its timeout needs it).
            await inbox.finish(unit.session, update, scrub=not turn.in_conversation())
            claimed = await _replies(application, turn, unit.session, f"reply:{update.update_id}")
    except _HandlerFailed:
        if is_database_error(turn.error, from_handler=True):
            return turn.error
        await _apologise(application, update, turn.error)
        return None
    except Exception as error:
        if is_database_error(error):
            return error
        log.error("Could not store update %s", update.update_id, exc_info=True)
        await _apologise(application, update, error)
        return None
    outage_of(application).succeeded()
    failpoints.reach("committed")
    _send(application, claimed, then=partial(failpoints.reach, "replied"))
    return None


async def _apologise(
    application: AnyApplication, update: Update, error: BaseException | None
) -> None:
    """Everything the handler did is rolled back; the person is told, once, in French."""
    turn = Turn.of(update)
    _ = translator_for(update)
    if update.callback_query is not None:
        turn.calls.append(_call("answerCallbackQuery", callback_query_id=update.callback_query.id))
    if turn.chat_id is not None:
        turn.calls.append(
            _call(
                "sendMessage",
                chat_id=turn.chat_id,
                text=_("Sorry, something went wrong on our side. What you entered is kept.")
                + "\n"
                + _("Please try again in a moment, or type /aide."),
                parse_mode="HTML",
            )
        )
    reason = type(error).__name__ if error is not None else "error"
    try:
        async with services(application).database.session() as session:
            await inbox.store(session, update)
            await inbox.finish(session, update, error=reason, scrub=True)
            claimed = await _replies(application, turn, session, f"reply:{update.update_id}:error")
    except Exception:
        log.error("Could not record the failure of update %s", update.update_id, exc_info=True)
        return
    _send(application, claimed)


def _call(endpoint: str, **data: Any) -> Call:
    return Call(endpoint, data)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """PTB's error handler: the engine rolls the update back and apologises (see `handle`)."""
    turn = current_turn()
    if turn is not None and update is turn.update:
        if not is_database_error(context.error, from_handler=True):  # else `handle` retries
            log.error(
                "Error while handling update %s", turn.update.update_id, exc_info=context.error
            )
        turn.error = context.error or RuntimeError("unknown error")
        return
    if isinstance(context.error, DatabaseUnavailable):
        return  # `InboxQueue.put` told the outage; PTB fetches the update again
    if context.error is not None and is_database_error(context.error, from_handler=True):
        # A job (the idle sweep, reminders…) could not write: it runs again at its next turn.
        outage_of(context.application).failed(context.error)
        return
    if isinstance(context.error, NetworkError) and not isinstance(context.error, BadRequest):
        # Fetching updates failed (a timeout, a 5xx, a closed connection): PTB tries again.
        log.warning("Telegram could not be reached: %s", context.error)
        return
    log.error("Error outside an update", exc_info=context.error)


# ---------------------------------------------------------------- idle conversations


def conversations(application: AnyApplication) -> list[Conversation]:
    return [
        handler
        for group in application.handlers.values()
        for handler in group
        if isinstance(handler, Conversation)
    ]


def _conversation_names(application: AnyApplication) -> list[str]:
    return [conversation.name for conversation in conversations(application)]


async def close_idle(application: Engine) -> None:
    """Nudge, then close, conversations idle too long, each in its own turn.

    With `nudge_after`, a step idle that long gets the `on_nudge` handlers once (the step is
    marked, its idle clock starts again), and is closed `timeout - nudge_after` later.
    """
    database = services(application).database
    now = utcnow()
    for conversation in conversations(application):
        if conversation.timeout is None:
            continue
        nudge = conversation.nudge_after
        nudging = nudge is not None and nudge < conversation.timeout
        first_sign = now - (nudge if nudge is not None and nudging else conversation.timeout)
        async with database.session() as session:
            idle = await persistence.idle_steps(session, conversation.name, first_sign)
        for chat_id, user_id, step in idle:
            if nudging and not step.nudged:
                await _run_idle(application, conversation, chat_id, user_id, step, nudge=True)
            elif not nudging or step.updated_at < now - (conversation.timeout - (nudge or ZERO)):
                await _run_idle(application, conversation, chat_id, user_id, step, nudge=False)
    async with database.session() as session:
        await inbox.prune(session)


ZERO = timedelta(0)


def _stand_in(chat_id: int, user_id: int, bot: Any) -> Update:
    """An update to run idle handlers with when the person's last one is no longer kept."""
    update = Update.de_json(
        {
            "update_id": 0,
            "message": {
                "message_id": 0,
                "date": int(utcnow().timestamp()),
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": user_id, "is_bot": False, "first_name": ""},
            },
        },
        bot,
    )
    assert update is not None
    return update


async def _run_idle(
    application: Engine,
    conversation: Conversation,
    chat_id: int,
    user_id: int,
    step: Any,
    *,
    nudge: bool,
) -> None:
    database = services(application).database
    async with database.unit_of_work() as unit:
        last = (
            await inbox.last_update(unit.session, step.update_id, application.bot)
            if step.update_id is not None
            else None
        ) or _stand_in(chat_id, user_id, application.bot)
        if nudge:
            await persistence.save_step(
                unit.session,
                conversation.name,
                chat_id,
                user_id,
                step.state,
                step.update_id,
                nudged=True,
            )
        else:
            await persistence.save_step(
                unit.session, conversation.name, chat_id, user_id, None, None
            )
        turn = Turn.of(last)
        await _load(application, turn, unit.session)
        context = ContextTypes.DEFAULT_TYPE.from_update(last, application)
        with turn.active():
            for handler in conversation.on_nudge if nudge else conversation.on_timeout:
                check = handler.check_update(last)
                if check is not None and check is not False:
                    await handler.handle_update(last, application, check, context)
        turn.changed_steps.pop(conversation.name, None)
        await _save(application, turn, unit.session)
        kind = "nudge" if nudge else "timeout"
        stamp = int(step.updated_at.timestamp())
        claimed = await _replies(
            application,
            turn,
            unit.session,
            f"{kind}:{conversation.name}:{chat_id}:{last.update_id}:{stamp}",
        )
    _send(application, claimed)


async def start(application: AnyApplication) -> None:
    """post_init: unfinished updates back on the queue; idle conversations swept regularly."""
    queue = application.update_queue
    outage = outage_of(application)
    dispatcher = dispatcher_of(application)
    if dispatcher is not None:
        dispatcher.database_trouble = outage.trouble
    if isinstance(queue, inbox.InboxQueue):
        queue.outage = outage
        await queue.replay(application.bot)
    timeouts = [c.timeout for c in conversations(application) if c.timeout is not None]
    if application.job_queue is not None and timeouts and isinstance(application, Engine):
        every = max(min(min(timeouts) / 3, SWEEP_EVERY), timedelta(seconds=0.5))
        engine = application

        async def sweep(context: Any) -> None:
            await close_idle(engine)

        application.job_queue.run_repeating(sweep, interval=every, first=every, name="idle")
