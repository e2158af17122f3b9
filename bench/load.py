"""Load benchmark: N people sign up at once, then staff work, beside a bare PTB echo bot.

One process holds the local Bot API sandbox (`bot.sandbox`), the bot and the simulated
people, as the tests do. Phases, each on a fresh sandbox and database:

1. N candidates (`--people`, default 1,000) open the invitation link at the same moment and
   go through the whole sign-up conversation (`tests/helpers/crowd.py` decides each answer
   from what is on their screen);
2. staff run `--staff-ops` operations (default 200): `/inscrits` and `/plan` (command, then
   the event's button), and one `/broadcast` to every candidate;
3. 30 of the people write at the same moment ("30 people writing at once").

Then a bare python-telegram-bot echo bot (one MessageHandler and one CallbackQueryHandler
answering each update) gets the same traffic: the same people, each sending the same
sequence of texts and button presses, then 30 writing at once. Both bots run with the same
rate limits: by default lifted everywhere (the sandbox's, PTB's `AIORateLimiter` overall
rate, `PASSERELLE_OUTBOX_RATE_PER_SECOND`=1000) to measure our own cost; `--rate 30` applies
Telegram's 30 messages a second to both instead.

Latency is measured inside the sandbox: from a person's action (a text or a press) to the
first message the bot sends or edits in that chat. Throughput: the people's updates over the
time from the first action to the last answer.

    .venv/bin/python bench/load.py [--people 1000] [--staff-ops 200] [--rate 0]
                                   [--profile /tmp/load.prof]

Last line: `load: ratio=<r> p95_ms=<n> errors=<n> complete=<n>/<n>` (ratio: our updates a
second over the echo bot's; p95: 30 people writing at once, our bot; errors: errors the bot
logged, "database is locked" included; complete: sign-ups stored complete, read with SQL).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import random
import sqlite3
import sys
import tempfile
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import outbox  # noqa: E402
from bot.app import build_application  # noqa: E402
from bot.config import Settings, load_settings  # noqa: E402
from bot.embedded import start_application, stop_application  # noqa: E402
from bot.engine.capture import CapturingLimiter  # noqa: E402
from bot.i18n import sectors  # noqa: E402
from bot.sandbox.client import BotMessage, SandboxClient, User  # noqa: E402
from bot.sandbox.core import Params, PollContext  # noqa: E402
from bot.sandbox.server import SandboxServer  # noqa: E402
from bot.sandbox.state import RateLimit  # noqa: E402
from tests.helpers.crowd import (  # noqa: E402
    AGE_BANDS,
    Action,
    Answers,
    Candidate,
    press_data,
    suggestions,
)
from tests.helpers.signup import SIGNED_UP, make_event  # noqa: E402
from tests.helpers.texts import begins, says, t  # noqa: E402

TOKEN = "123456:LOAD-BENCH"
STAFF_ID = 4_800_001
FIRST_ID = 7_000_000
WRITERS = 30
SILENCE = 60.0  # seconds without an answer before a person says it again
ANSWERS = {
    "sendmessage",
    "sendphoto",
    "senddocument",
    "editmessagetext",
    "editmessagecaption",
    "editmessagereplymarkup",
}
# Sectors on the first screen of the question (the others are behind "➕ Other sectors").
SECTOR_LABELS = [
    sector.short_label for sector in sectors("fr") if sector.code in ("D", "F", "G", "J", "K", "N")
]
JOBS = ("vendeuse", "magasinier", "aide-soignante", "cuisinier", "réceptionniste")


# ---------------------------------------------------------------- what the sandbox sees


class Watch:
    """Timestamps user actions and the bot's answers inside the sandbox (same process)."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.sandbox = server.sandbox
        self.pending: dict[int, deque[float]] = {}
        self.events: dict[int, asyncio.Event] = {}
        self.latencies: list[float] = []
        self.actions = 0
        self.last_answer = 0.0
        original_call = self.sandbox.call
        original_action = self.sandbox.user_action

        async def call(
            token: str, method: str, params: Params, ctx: PollContext | None = None
        ) -> tuple[int, dict[str, Any]]:
            status, payload = await original_call(token, method, params, ctx)
            if status == 200 and method.lower() in ANSWERS:
                chat = params.maybe_chat_id()
                if chat is not None:
                    self.answered(chat)
            return status, payload

        def user_action(bot: Any, body: dict[str, Any]) -> dict[str, Any]:
            chat = int(body["user"]["id"])
            self.pending.setdefault(chat, deque()).append(time.perf_counter())
            self.actions += 1
            return original_action(bot, body)

        self.sandbox.call = call  # type: ignore[method-assign]
        self.sandbox.user_action = user_action  # type: ignore[method-assign]

    async def screen(self, user: User) -> list[BotMessage]:
        """What `user.received()` gives, read in-process: the echo bot's people do not read
        their screens, so reading over HTTP and JSON would charge our bot alone for it."""
        return await user.client.as_messages(self.server.messages(user.id, TOKEN))

    def answered(self, chat: int) -> None:
        now = self.last_answer = time.perf_counter()
        waiting = self.pending.get(chat)
        while waiting:
            self.latencies.append(now - waiting.popleft())
        self.event(chat).set()

    def event(self, chat: int) -> asyncio.Event:
        found = self.events.get(chat)
        if found is None:
            found = self.events[chat] = asyncio.Event()
        return found

    def phase(self) -> None:
        """Start counting afresh (a new phase)."""
        self.latencies = []
        self.actions = 0


@dataclass
class Figures:
    updates: int
    seconds: float
    latencies: list[float]
    cpu_seconds: float = 0.0  # this process's CPU (every thread), robust to other load

    @property
    def rate(self) -> float:
        return self.updates / max(self.seconds, 1e-9)

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    def line(self, name: str) -> str:
        return (
            f"  {name}: {self.updates} updates in {self.seconds:.1f} s = {self.rate:.0f}/s; "
            f"latency p50 {self.percentile(50):.0f} ms, p95 {self.percentile(95):.0f} ms, "
            f"p99 {self.percentile(99):.0f} ms; CPU {self.cpu_per_update:.1f} ms/update"
        )

    @property
    def cpu_per_update(self) -> float:
        return self.cpu_seconds * 1000 / max(self.updates, 1)


async def measured(watch: Watch, run: Callable[[], Awaitable[None]]) -> Figures:
    watch.phase()
    started = time.perf_counter()
    cpu = time.process_time()
    await run()
    end = max(watch.last_answer, started)
    return Figures(watch.actions, end - started, list(watch.latencies), time.process_time() - cpu)


class ErrorCount(logging.Handler):
    """Errors the bot logs; "database is locked" counted apart too."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.errors = 0
        self.locked = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.errors += 1
        text = record.getMessage() + (str(record.exc_info[1]) if record.exc_info else "")
        if "database is locked" in text:
            self.locked += 1


@contextmanager
def counting_errors() -> Iterator[ErrorCount]:
    handler = ErrorCount()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


# ---------------------------------------------------------------- the people


@dataclass
class Person:
    """A candidate of `crowd.py`, driven by the sandbox's notifications instead of polling."""

    candidate: Candidate
    kinds: list[str] = field(default_factory=list)  # "text" / "press", in order
    repeats: int = 0

    @property
    def user(self) -> User:
        return self.candidate.user

    async def act(self, action: Action) -> None:
        if action.kind == "press":
            await press_data(self.user, action.value, action.message_id)
        else:
            await self.user.send(action.value)
        self.kinds.append(action.kind)

    async def sign_up(self, watch: Watch, deadline: float) -> None:
        event = watch.event(self.user.id)
        last: Action | None = None
        while time.monotonic() < deadline:
            event.clear()
            messages = await watch.screen(self.user)
            if any(says(SIGNED_UP)(m) for m in messages):
                self.candidate.done = True
                return
            action = self.candidate.next_action(messages)
            if action is not None and action != last:
                await self.act(action)
                last = action
            try:
                await asyncio.wait_for(event.wait(), SILENCE)
            except TimeoutError:
                if last is not None:  # nothing came: say it again, as people do
                    self.repeats += 1
                    await self.act(last if last.kind == "text" else Action("text", "/start"))


def people(client: SandboxClient, code: str, count: int, programmes: list[str]) -> list[Person]:
    rng = random.Random(20261203)
    found = []
    for index in range(count):
        answers = Answers(
            age=rng.choice(AGE_BANDS),
            sectors=tuple(rng.sample(SECTOR_LABELS, rng.randint(1, 2))),
            job=f"{rng.choice(JOBS)} ({index})",
            skills=tuple(rng.sample(suggestions("strengths")[:8], rng.randint(1, 2))),
            qualities=tuple(rng.sample(suggestions("qualities")[:8], rng.randint(1, 2))),
            programme=rng.choice(programmes),
            constraints=None if index % 2 else f"Garde d'enfants jusqu'à 17 h ({index})",
        )
        user = client.user(FIRST_ID + index, first_name=f"Personne{index}")
        found.append(Person(Candidate(user, code, answers, random.Random(index))))
    return found


async def writing_at_once(watch: Watch, users: list[User], text: str) -> None:
    """Each user writes `text` at the same moment; returns once each got an answer."""
    for user in users:
        watch.event(user.id).clear()
    await asyncio.gather(*(user.send(text) for user in users))
    await asyncio.gather(
        *(asyncio.wait_for(watch.event(user.id).wait(), SILENCE) for user in users)
    )


# ---------------------------------------------------------------- staff


async def answer_of(watch: Watch, user: User, act: Callable[[], Awaitable[Any]]) -> None:
    event = watch.event(user.id)
    event.clear()
    await act()
    await asyncio.wait_for(event.wait(), SILENCE)


async def staff_operations(watch: Watch, staff: User, operations: int, event_name: str) -> None:
    """`/inscrits` and `/plan` in turn (command, then the event's button), one broadcast."""
    for number in range(operations - 1):
        command = "inscrits" if number % 2 == 0 else "plan"
        await answer_of(watch, staff, lambda c=command: staff.command(c))  # type: ignore[misc]
        last = await staff.last()
        label = next((b for b in last.button_labels if event_name in b), None)
        if label is not None:
            await answer_of(watch, staff, lambda label=label: staff.press(label))  # type: ignore[misc]
    await staff.command("broadcast")
    await staff.wait_for(lambda m: t("Candidates") in m.button_labels, SILENCE)
    await staff.press(t("Candidates"))
    await staff.wait_for(begins("Write your message now (up to {limit} characters)."), SILENCE)
    await staff.send("Rappel : le forum commence à 13 h 30. Apportez votre CV.")
    await staff.wait_for(lambda m: t("Send") in m.button_labels, SILENCE)
    await staff.press(t("Send"))
    await staff.wait_for(begins("Your message has been sent."), 300)


# ---------------------------------------------------------------- our bot


@dataclass
class OurRun:
    signup: Figures
    staff: Figures
    writers: Figures
    errors: int
    locked: int
    complete: int
    repeats: int
    kinds: list[list[str]]


def complete_signups(database: Path, count: int) -> int:
    """Sign-ups stored whole: consent, profile, a registration, every answer there."""
    with closing(sqlite3.connect(database, timeout=30)) as connection:
        row = connection.execute(
            "select count(*) from people p join candidate_profiles c on c.person_id = p.id"
            " join registrations r on r.person_id = p.id"
            " where p.telegram_id between ? and ? and p.consent_at is not null"
            " and r.status = 'registered' and c.age_band is not null"
            " and c.target_job is not null and c.programme is not null"
            " and c.sectors != '[]' and c.strengths != '[]' and c.qualities != '[]'",
            (FIRST_ID, FIRST_ID + count - 1),
        ).fetchone()
    return int(row[0])


def limiter(rate: int) -> AIORateLimiter:
    """PTB's limiter for both bots: Telegram's overall rate, or none (0)."""
    return AIORateLimiter(overall_max_rate=rate, max_retries=3)


async def run_ours(
    count: int, operations: int, rate: int, profile: str | None, tmp: Path
) -> OurRun:
    server = SandboxServer(rate_limit=RateLimit(rate, 0) if rate else None)
    await server.start()
    watch = Watch(server)
    client = SandboxClient(server.url, TOKEN, timeout=120)
    settings: Settings = load_settings(
        api_url=server.url,
        data_dir=tmp / "data",
        staff_ids=[STAFF_ID],
        conversation_timeout_minutes=30,
        outbox_rate_per_second=rate or 1000,
        log_level="WARNING",
    )
    codes = await make_event(settings, name="Forum charge")
    application = build_application(
        settings,
        token=TOKEN,
        rate_limiter=CapturingLimiter(outbox.tracking_rate_limiter(settings, limiter(rate))),
    )
    profiler = cProfile.Profile(time.process_time) if profile else None
    with counting_errors() as errors:
        await start_application(application)
        try:
            crowd = people(client, codes.candidate, count, settings.programmes)
            staff = client.user(STAFF_ID, first_name="Sophie")
            await answer_of(watch, staff, lambda: staff.command("start"))
            deadline = time.monotonic() + 600 + count
            if profiler:
                profiler.enable()
            signup = await measured(
                watch, lambda: gather(person.sign_up(watch, deadline) for person in crowd)
            )
            print(signup.line("ours, sign-ups"), flush=True)
            staff_figures = await measured(
                watch, lambda: staff_operations(watch, staff, operations, "Forum charge")
            )
            print(staff_figures.line(f"ours, {operations} staff operations"), flush=True)
            writers = await measured(
                watch,
                lambda: writing_at_once(watch, [p.user for p in crowd[:WRITERS]], "Bonjour"),
            )
            print(writers.line(f"ours, {WRITERS} people writing at once"), flush=True)
            if profiler and profile:
                profiler.disable()
                profiler.dump_stats(profile)
        finally:
            await stop_application(application)
            await client.aclose()
            await server.stop()
    return OurRun(
        signup,
        staff_figures,
        writers,
        errors.errors,
        errors.locked,
        complete_signups(Path(settings.resolved_database_url.partition(":///")[2]), count),
        sum(p.repeats for p in crowd),
        [p.kinds for p in crowd],
    )


async def gather(coroutines: Iterator[Awaitable[None]] | Any) -> None:
    await asyncio.gather(*coroutines)


# ---------------------------------------------------------------- the echo bot

KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])


async def echo_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        update.effective_message.text or "?", reply_markup=KEYBOARD
    )


async def echo_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await query.edit_message_text(f"Pressed {query.id}", reply_markup=KEYBOARD)


def echo_application(url: str, rate: int) -> Application[Any, Any, Any, Any, Any, Any]:
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{url}/bot")
        .base_file_url(f"{url}/file/bot")
        .rate_limiter(limiter(rate))
        .build()
    )
    application.add_handler(MessageHandler(filters.ALL, echo_message))
    application.add_handler(CallbackQueryHandler(echo_press))
    return application


async def echo_person(watch: Watch, user: User, kinds: list[str]) -> None:
    """The same texts and presses as one of our people, each after the previous answer."""
    event = watch.event(user.id)
    for number, kind in enumerate(kinds):
        event.clear()
        if kind == "press":
            await press_data(user, "ok", None)
        else:
            await user.send(f"Réponse {number}")
        await asyncio.wait_for(event.wait(), SILENCE)


async def run_echo(kinds: list[list[str]], rate: int) -> tuple[Figures, Figures]:
    server = SandboxServer(rate_limit=RateLimit(rate, 0) if rate else None)
    await server.start()
    watch = Watch(server)
    client = SandboxClient(server.url, TOKEN, timeout=120)
    application = echo_application(server.url, rate)
    await start_application(application)
    try:
        users = [client.user(FIRST_ID + n, first_name=f"Personne{n}") for n in range(len(kinds))]
        signup = await measured(
            watch,
            lambda: gather(echo_person(watch, u, k) for u, k in zip(users, kinds, strict=True)),
        )
        print(signup.line("echo, same traffic"), flush=True)
        writers = await measured(watch, lambda: writing_at_once(watch, users[:WRITERS], "Bonjour"))
        print(writers.line(f"echo, {WRITERS} people writing at once"), flush=True)
    finally:
        await stop_application(application)
        await client.aclose()
        await server.stop()
    return signup, writers


# ---------------------------------------------------------------- main


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--staff-ops", type=int, default=200)
    parser.add_argument(
        "--rate", type=int, default=0, help="messages/s for both bots (0: limits lifted)"
    )
    parser.add_argument("--profile", help="write a cProfile of our bot's run to this file")
    options, _unknown = parser.parse_known_args()  # `./dev bench` passes one set to all
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    print(
        f"load: {options.people} people, {options.staff_ops} staff operations, "
        f"rate {'lifted' if not options.rate else f'{options.rate}/s'}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="passerelle-load-") as tmp:
        ours = await run_ours(
            options.people, options.staff_ops, options.rate, options.profile, Path(tmp)
        )
    echo, echo_writers = await run_echo(ours.kinds, options.rate)
    ratio = ours.signup.rate / max(echo.rate, 1e-9)
    presses = sum(kind == "press" for kinds in ours.kinds for kind in kinds)
    texts = sum(kind == "text" for kinds in ours.kinds for kind in kinds)
    print(
        f"  traffic: {texts} texts and {presses} presses; repeats after {SILENCE:.0f} s "
        f"of silence: {ours.repeats}"
    )
    print(
        f"  ours/echo: throughput {ratio:.2f}; p95 {ours.signup.percentile(95):.0f} ms vs "
        f"{echo.percentile(95):.0f} ms; {WRITERS} at once p95 "
        f"{ours.writers.percentile(95):.0f} ms vs {echo_writers.percentile(95):.0f} ms"
    )
    print(f"  errors logged: {ours.errors} (database is locked: {ours.locked})")
    print(
        f"load: ratio={ratio:.2f} p95_ms={ours.writers.percentile(95):.0f} "
        f"errors={ours.errors} complete={ours.complete}/{options.people}"
    )


if __name__ == "__main__":
    asyncio.run(main())
