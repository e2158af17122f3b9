"""What the offline demo's events share: the transcript, the simulated people, the progress bar.

The simulated users look for what the bot says through the message ids its code uses (see
`says`), as they read them translated, so rewording a catalog line changes nothing here.
"""

from __future__ import annotations

import asyncio
import functools
import html
import json
import re
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from bot import clock
from bot.context import services
from bot.db.models.events import RegistrationStatus
from bot.db.session import Database
from bot.i18n import N_, Translator, catalog
from bot.outbox import wake
from bot.sandbox.client import BotMessage, SandboxClient, User
from bot.services.people import TelegramIdentity
from bot.services.signup import CandidateAnswers, EmployerAnswers, complete_signup

SETTLE_SECONDS = 0.1
QUICK_SETTLE_SECONDS = 0.05
MAX_BUTTON_ROWS = 5
POLL_SECONDS = 0.05
MAX_LINES = 18  # a longer message (a plan of 60 rooms) is cut, its remaining lines counted
TAG = re.compile(r"<[^>]+>")
PLACEHOLDER = re.compile(r"\{(\w*)(?:![rsa])?(?::[^{}]*)?\}")

# What the bot says at each step: the message ids the bot's code uses.
EVENT_NAME_Q = N_("What is the name of the event? For example: Ose ton projet, spring 2027.")
STARTS_Q = N_("When does it start? Write the date and time, for example {example}.")
DURATION_Q = N_("How long does it last? Press a button or write it, e.g. 2h30.")
ZONE_Q = N_("Which time zone? The usual one is {zone}.")
SITE_KIND_Q = N_("Site {number}: is it in person or remote?")
SITE_NAME_Q = N_("What is the name of the site? For example: Maison de l'emploi, Lausanne.")
ADDRESS_Q = N_("What is its address? People will see it in their convocation.")
VIDEO_Q = N_("What is the video link? For example: https://meet.example.org/passerelle")
ROOMS_Q = N_("How many rooms (or seats, or computers) at this site? Press or type a number.")
SITES_SO_FAR = N_("Sites so far: {names}.")
FORMAT_Q = N_("Which room format? Employers + candidates in each room.")
ROUNDS_Q = N_("How many rounds (time slots)? People change rooms between rounds.")
ROUND_MINUTES_Q = N_("How long is each round? Press or type it, e.g. 20 min.")
MAX_CANDIDATES_Q = N_("How many candidates at most? With your rooms, {count} fit.")
MAX_EMPLOYERS_Q = N_("How many employers at most? With your rooms, {count} fit.")
DEADLINE_Q = N_("Until when can people sign up? Press a button or write a date, e.g. {example}.")
QUESTION_Q = N_("Do you want to ask candidates a yes/no question to check they can take part?")
EVENT_SUMMARY = N_("Here is your event. Is everything right?")
EMPLOYERS_QR = N_("QR code for employers — {name}")
CONSENT = N_("<b>Before we start: your data</b>")
SHORT_CONSENT = N_("<b>Before we start</b>")
NAME_Q = N_("What is your first name?")
AGE_Q = N_("How old are you?")
SECTORS_Q = N_("Which sectors interest you? Choose one or more, then press “Done”.")
JOB_Q = N_("What job are you aiming for?")
SKILLS_Q = N_("What are your skills? What do you know how to do?")
QUALITIES_Q = N_("What are your qualities at work (soft skills)?")
PROGRAMME_Q = N_("Which support programme are you following?")
SITE_Q = N_("Which site is easiest for you to get to?")
CONSTRAINTS_Q = N_(
    "Is there anything the team should know? For example: childcare hours, accessibility, "
    "transport."
)
PHOTO_Q = N_("Would you like to add a photo to your portrait card? Send it now.")
SUMMARY = N_("<b>Please check your answers</b>")
SIGNED_UP = N_("Thank you {name}, you are signed up for “{event}”!")
COMPANY_Q = N_("What is the name of your company or organisation?")
TITLE_Q = N_("What is your job title?")
EMPLOYER_SECTORS_Q = N_("Which sectors do you work in? Choose one or more, then press “Done”.")
JOBS_Q = N_("Which jobs do you recruit for, or know well?")
WHERE_Q = N_("Where can you come? Choose one or more, then press “Done”.")
HOW_MANY_Q = N_("How many candidates can you meet?")
WISH_Q = N_("Would you like to meet some of these candidates? Choose any, then press “Done”.")
WELCOME = N_("Hello {name}! Welcome to Passerelle.")
PLAN_Q = N_("Which event do you want to plan?")
PLAN = N_("<b>Plan {version} – {event}</b> ({state})")
# Plural messages: singular and plural ids, as `_.n` takes them (not marked: `_.n` is).
PUBLISHED = (
    "Published: {count} convocation is on its way.",
    "Published: {count} convocations are on their way.",
)
CHANGES = ("{count} convocation changes: {names}", "{count} convocations change: {names}")
CONVOCATION = N_("<b>Your convocation: {event}</b>")
CHANGED_CONVOCATION = N_("<b>Your convocation has changed: {event}</b>")
CONFIRMED = N_("Thank you! Your attendance is confirmed for {event}. See you soon.")
PORTRAIT_CARD = N_("Portrait card {of_name}")
WITHDRAW_Q = N_("You cannot come to {event}? Your seat will be offered to another person.")
WITHDRAWN = N_(
    "Thank you for telling us. You are no longer expected at {event}. "
    "Your seat goes to another person."
)
WITHDRAWAL_NOTICE = N_("<b>Withdrawal</b>: {name} ({role}) will not come to {event}.")
REMINDER = N_("Reminder: {event}")


@dataclass(frozen=True)
class Candidate:
    telegram_id: int
    first_name: str
    last_name: str
    age: str
    sector: str  # the button's label, as the person reads it
    sector_code: str  # the same sector as stored (quiet sign-ups)
    job: str
    skill: str
    quality: str
    site: str = ""


@dataclass(frozen=True)
class Employer:
    telegram_id: int
    first_name: str
    last_name: str
    company: str
    title: str
    sector: str
    sector_code: str
    jobs: str
    sites: tuple[str, ...] = ()
    remote: bool = False
    capacity: int = 2


Person = Candidate | Employer


@dataclass(frozen=True)
class SiteSpec:
    name: str
    rooms: int
    address: str = ""
    video: str = ""  # a remote site


@dataclass(frozen=True)
class EventSpec:
    """What staff answer in /evenement."""

    name: str
    day: date
    start: str  # as typed, e.g. "13h30"
    duration: str  # a button's label, e.g. "3h"
    zone: str
    sites: tuple[SiteSpec, ...]
    format_label: str  # a message id of a format button
    rounds: int
    round_minutes: str  # as typed, e.g. "30 min" (ignored for one round)
    max_candidates: int
    max_employers: int


def plain(text: str) -> str:
    return html.unescape(TAG.sub("", text))


def _look(message: BotMessage) -> tuple[str, list[str]]:
    """What a person sees of a message: an edit changes its text or its buttons."""
    return message.text, message.button_labels


def _template(text: str, values: dict[str, object], name_the_rest: bool = False) -> str:
    """A regex of a translated template as read: tags removed, values as given, the other
    placeholders matching anything (or captured by name, with `name_the_rest`)."""
    visible = plain(text)
    parts: list[str] = []
    position = 0
    for match in PLACEHOLDER.finditer(visible):
        parts.append(re.escape(visible[position : match.start()]))
        name = match.group(1)
        if name in values:
            parts.append(re.escape(str(values[name])))
        else:
            parts.append(f"(?P<{name}>.*?)" if name_the_rest and name else ".*?")
        position = match.end()
    parts.append(re.escape(visible[position:]))
    return "".join(parts)


def says(_: Translator, message: str, **values: object) -> Callable[[BotMessage], bool]:
    """A bot message showing the translation of `message` (a message id)."""
    found = re.compile(_template(_.plain(message), values), re.DOTALL)
    return lambda bot_message: found.search(bot_message.text) is not None


def begins(_: Translator, plurals: tuple[str, ...]) -> Callable[[BotMessage], bool]:
    """A bot message starting with the translation of a message id (or of a plural one)."""
    translations = catalog(_.language)
    texts = (
        [translations.ngettext(plurals[0], plurals[1], n) for n in (1, 2)]
        if len(plurals) == 2
        else [translations.gettext(plurals[0])]
    )
    found = re.compile("|".join(f"(?:{_template(text, {})})" for text in texts), re.DOTALL)
    return lambda bot_message: found.match(bot_message.text) is not None


def value_of(_: Translator, message: str, text: str, name: str) -> str | None:
    """The value of placeholder `name` in `text`, the translation of `message`."""
    found = re.fullmatch(_template(_.plain(message), {}, name_the_rest=True), text, re.DOTALL)
    return found.group(name) if found else None


def _contains(fragment: str) -> Callable[[BotMessage], bool]:
    return lambda message: fragment in message.text


def has_button(label: str) -> Callable[[BotMessage], bool]:
    return lambda message: label in message.button_labels


class Progress:
    """One line on stderr, redrawn in place on a terminal; plain lines otherwise.

    Phases have weights (about their seconds); the bar shows the share of weight done.
    """

    WIDTH = 24

    def __init__(self, phases: Sequence[tuple[str, float]], stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.weights = dict(phases)
        self.total = sum(self.weights.values()) or 1.0
        self.done = 0.0
        self.label = ""
        self.started = time.monotonic()
        self.drawn = False

    def phase(self, label: str) -> None:
        """The phase `label` begins (the previous one is done)."""
        if self.label:
            self.done += self.weights.get(self.label, 0.0)
        self.label = label
        self.draw()

    def finish(self) -> None:
        self.done, self.label = self.total, ""
        self.draw()
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False

    def line(self) -> str:
        share = min(1.0, self.done / self.total)
        filled = round(share * self.WIDTH)
        bar = "█" * filled + "░" * (self.WIDTH - filled)
        seconds = time.monotonic() - self.started
        text = f"[{bar}] {share * 100:3.0f} % · {seconds:3.0f} s"
        return f"{text} · {self.label}" if self.label else text

    def draw(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K" + self.line())
            self.drawn = True
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def clear(self) -> None:
        """Before printing on the same terminal: the bar leaves its line."""
        if self.tty and self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def redraw(self) -> None:
        if self.tty and self.drawn:
            self.draw()


class Transcript:
    """Prints each exchange as it happens: the user's action, then what the bot answered.

    With `quiet`, the same exchanges are played without printing (the repetitive parts).
    """

    def __init__(
        self,
        write: Callable[[str], object] = print,
        picture: str = "",
        progress: Progress | None = None,
        settle: float = SETTLE_SECONDS,
    ) -> None:
        self._write = write
        self.quiet = False
        self.picture = picture  # shown for a picture sent without a caption
        self.progress = progress
        self.settle = settle
        self.max_lines = MAX_LINES

    def write(self, text: str) -> None:
        if self.progress is not None:
            self.progress.clear()
        self._write(text)
        if self.progress is not None:
            sys.stdout.flush()
            self.progress.redraw()

    def say(self, text: str = "") -> None:
        if not self.quiet:
            self.write(text)

    def section(self, title: str) -> None:
        self.write("\n" + "━" * 72 + "\n" + title + "\n" + "━" * 72)

    async def act(
        self,
        user: User,
        label: str,
        action: Callable[[], Awaitable[object]],
        expect: str | Callable[[BotMessage], bool] | None = None,
        *,
        timeout: float = 20,
        quiet: bool | None = None,
    ) -> BotMessage | None:
        """Do `action`, wait for a new (or edited) bot message matching `expect`, print it all
        (unless `quiet`, or the transcript is quiet: people acting in the background)."""
        before = {m.message_id: _look(m) for m in await user.received()}
        seen = max(before, default=0)
        quiet = self.quiet if quiet is None else quiet
        if not quiet:
            self.write(f"\n👤 {user.first_name} : {label}")
        await action()
        match = None
        if expect is not None:
            matches = _contains(expect) if isinstance(expect, str) else expect

            def fresh(message: BotMessage) -> bool:
                changed = message.message_id > seen or before.get(message.message_id) != _look(
                    message
                )
                return changed and matches(message)

            match = await wait_for(user, fresh, timeout=timeout)
        if not quiet:
            await asyncio.sleep(self.settle)
            for message in await user.received():
                if message.deleted:
                    continue
                if message.message_id > seen:
                    self.show(message)
                    continue
                old = before.get(message.message_id)
                if old is None or old == _look(message):
                    continue
                if not message.buttons and message.text.startswith(old[0]):
                    continue  # the answered question, its buttons replaced by "✔ answer"
                self.show(message, edited=True)
        return match

    async def type(
        self, user: User, text: str, expect: str | Callable[[BotMessage], bool] | None = None
    ) -> BotMessage | None:
        return await self.act(user, text, lambda: user.send(text), expect)

    async def press(
        self, user: User, label: str, expect: str | Callable[[BotMessage], bool] | None = None
    ) -> BotMessage | None:
        """Press `label` once a bot message shows it (the bot answers asynchronously)."""
        await wait_for(user, has_button(label), timeout=20)
        return await self.act(user, f"[{label}]", lambda: user.press(label), expect)

    def show(self, message: BotMessage, *, edited: bool = False, indent: str = "") -> None:
        kind = {"photo": "🖼 ", "document": "📎 "}.get(message.kind, "")
        name = f"[{message.filename}] " if message.filename else ""
        mark = "✏️ " if edited else ""
        lines = plain(message.text).splitlines() or [""]
        if not lines[0] and message.kind == "photo":
            lines[0] = self.picture
        rows = [[label for label, _data in row] for row in message.buttons]
        if edited:
            # A choice ticked on the same message: its first line and the ticked buttons.
            ticked = [f"[{label}]" for row in rows for label in row if label.startswith("✅")]
            self.write("🤖 " + mark + lines[0] + (" → " + "  ".join(ticked) if ticked else ""))
            return
        if len(lines) > self.max_lines:
            hidden_lines = len(lines) - self.max_lines
            lines = [*lines[: self.max_lines], f"… (+{hidden_lines})"]
        for number, line in enumerate(lines):
            prefix = indent + "🤖 " + mark + kind + name if number == 0 else indent + "   "
            self.write(prefix + line)
        for row in rows[:MAX_BUTTON_ROWS]:
            self.write(indent + "   " + "  ".join(f"[{label}]" for label in row))
        if len(rows) > MAX_BUTTON_ROWS:
            hidden = sum(len(row) for row in rows[MAX_BUTTON_ROWS:])
            self.write(f"{indent}   … (+{hidden})")


def sync_url(url: str) -> str:
    """The same database through a synchronous driver (the demo's own looks, not the bot's)."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}[parsed.get_backend_name()]
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def _as_sqlite(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


@dataclass
class Demo:
    """What the scripts need along the way."""

    client: SandboxClient
    transcript: Transcript
    _: Translator
    folder: Path
    database: str  # the bot's database URL
    programmes: list[str]
    application: Any = None
    quick: bool = False
    progress: Progress | None = None
    events: dict[str, int] = field(default_factory=dict)  # event name → id
    shown: dict[str, str] = field(default_factory=dict)  # role in the story → first name

    def save(self, name: str, data: bytes | None) -> Path:
        path = self.folder / name
        path.write_bytes(data or b"")
        return path

    def sql(self, query: str, *params: object) -> list[tuple[object, ...]]:
        """A look at the bot's database (`?` placeholders), as SQLite gives values back:
        timestamps and JSON as text, whichever database the demo runs on."""
        numbered = iter(range(len(params)))
        statement = text(re.sub(r"\?", lambda _match: f":p{next(numbered)}", query))
        with self.reader.connect() as connection:
            rows = connection.execute(statement, {f"p{n}": v for n, v in enumerate(params)})
            return [tuple(_as_sqlite(value) for value in row) for row in rows]

    @functools.cached_property
    def reader(self) -> Engine:
        return create_engine(sync_url(self.database), poolclass=NullPool)

    def scalar(self, query: str, *params: object) -> object:
        rows = self.sql(query, *params)
        return rows[0][0] if rows else None

    def phase(self, label: str) -> None:
        if self.progress is not None:
            self.progress.phase(label)

    def user(self, person: Person | int, first_name: str = "") -> User:
        if isinstance(person, int):
            return self.client.user(person, first_name=first_name, language_code="fr")
        return self.client.user(
            person.telegram_id, first_name=person.first_name, language_code="fr"
        )

    @property
    def bot_database(self) -> Database:
        return services(self.application).database


async def wait_for(
    user: User, predicate: Callable[[BotMessage], bool], timeout: float = 20
) -> BotMessage:
    """`User.wait_for`, polling less often: the bot runs in this same process, and every look
    at a chat is a request the sandbox answers (a busy chat's history is long)."""
    deadline = time.monotonic() + timeout
    while True:
        messages = await user.received()
        for message in reversed(messages):
            if not message.deleted and predicate(message):
                return message
        if time.monotonic() >= deadline:
            return await user.wait_for(predicate, timeout=0)  # raises, listing the chat
        await asyncio.sleep(POLL_SECONDS)


async def photos(user: User, count: int, timeout: float = 15) -> list[BotMessage]:
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in await user.received() if m.kind == "photo"]
        if len(found) >= count or time.monotonic() >= deadline:
            return found
        await asyncio.sleep(POLL_SECONDS)


def known_people(demo: Demo, telegram_ids: Sequence[int]) -> int:
    marks = ",".join("?" * len(telegram_ids))
    query = f"select count(*) from people where telegram_id in ({marks})"
    return int(str(demo.scalar(query, *telegram_ids)))


async def until(check: Callable[[], bool], timeout: float = 30) -> bool:
    """Poll the database (cheap) rather than each person's chat (one request per person)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def gather_limited(coroutines: Sequence[Awaitable[object]], limit: int = 12) -> None:
    """Run many people at once, a few at a time (the bot takes one update after the other)."""
    gate = asyncio.Semaphore(limit)

    async def one(coroutine: Awaitable[object]) -> None:
        async with gate:
            await coroutine

    await asyncio.gather(*(one(coroutine) for coroutine in coroutines))


# ------------------------------------------------------------------------- time


def aware(stored: str) -> datetime:
    """A moment as SQLite gives it back (naive means UTC)."""
    when = datetime.fromisoformat(stored)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _due(demo: Demo) -> int:
    """Outbox rows due by the bot's clock and not sent yet."""
    moment = clock.now()
    rows = demo.sql("select send_after from outbox where status in ('pending', 'sending')")
    return sum(aware(str(send_after)) <= moment for (send_after,) in rows)


async def drained(demo: Demo, timeout: float = 60) -> None:
    """Wait until the outbox has sent everything due so far (it paces each chat)."""
    deadline = time.monotonic() + timeout
    while _due(demo) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)


def move_clock_to(demo: Demo, moment: datetime) -> None:
    """The bot's clock jumps to `moment` (`bot.clock.shift`); scheduled rows fall due."""
    clock.shift(moment - clock.now())
    wake(demo.application)


def event_start(demo: Demo, event_id: int) -> datetime:
    raw = datetime.fromisoformat(
        str(demo.scalar("select starts_at from events where id = ?", event_id))
    )
    return raw if raw.tzinfo else raw.replace(tzinfo=UTC)


# ------------------------------------------------------------------------- event creation


def _same_label(message: BotMessage, wanted: str) -> str:
    """The button reading `wanted`, however it is spaced ("3h", "3 h")."""

    def squeezed(text: str) -> str:
        return re.sub(r"\s+", "", text)

    return next((b for b in message.button_labels if squeezed(b) == squeezed(wanted)), wanted)


async def create_event(demo: Demo, sophie: User, spec: EventSpec) -> tuple[int, str, str]:
    """Staff create the event with /evenement; returns its id and the two invitation codes."""
    _, t = demo._, demo.transcript
    await t.act(sophie, "/evenement", lambda: sophie.command("evenement"), says(_, EVENT_NAME_Q))
    await t.type(sophie, spec.name, says(_, STARTS_Q))
    await t.type(sophie, f"{spec.day:%d/%m/%Y} {spec.start}", says(_, DURATION_Q))
    duration = await wait_for(sophie, says(_, DURATION_Q), timeout=20)
    await t.press(sophie, _same_label(duration, spec.duration), says(_, ZONE_Q))
    await t.press(sophie, spec.zone, says(_, SITE_KIND_Q))
    for number, site in enumerate(spec.sites):
        if number:
            await t.press(sophie, _.plain("Add another site"), says(_, SITE_KIND_Q))
        if site.video:
            await t.press(sophie, _.plain("Remote (video)"), says(_, VIDEO_Q))
            await t.type(sophie, site.video, says(_, ROOMS_Q))
        else:
            await t.press(sophie, _.plain("In person"), says(_, SITE_NAME_Q))
            await t.type(sophie, site.name, says(_, ADDRESS_Q))
            await t.type(sophie, site.address, says(_, ROOMS_Q))
        await t.type(sophie, str(site.rooms), says(_, SITES_SO_FAR))
    await t.press(sophie, _.plain("That's all"), says(_, FORMAT_Q))
    rounds_next = says(_, ROUND_MINUTES_Q) if spec.rounds > 1 else says(_, MAX_CANDIDATES_Q)
    await t.press(sophie, _.plain(spec.format_label), says(_, ROUNDS_Q))
    await t.type(sophie, str(spec.rounds), rounds_next)
    if spec.rounds > 1:
        await t.type(sophie, spec.round_minutes, says(_, MAX_CANDIDATES_Q))
    await t.type(sophie, str(spec.max_candidates), says(_, MAX_EMPLOYERS_Q))
    await t.type(sophie, str(spec.max_employers), says(_, DEADLINE_Q))
    await t.press(sophie, _.plain("The day before, 6 pm"), says(_, QUESTION_Q))
    summary = await t.press(sophie, _.plain("No question"), says(_, EVENT_SUMMARY))
    if t.quiet and summary is not None:
        t.quiet = False
        t.show(summary)
        t.quiet = True
    photos_before = len(await photos(sophie, 0, 0))
    create = _.plain("Create")
    employers_qr = says(_, EMPLOYERS_QR)
    await t.act(
        sophie,
        f"[{create}]",
        lambda: sophie.press(create),
        lambda m: m.kind == "photo" and employers_qr(m),
    )
    await photos(sophie, photos_before + 2)
    row = demo.sql("select id, candidate_code, employer_code from events order by id desc limit 1")
    event_id = int(str(row[0][0]))
    demo.events[spec.name] = event_id
    return event_id, str(row[0][1]), str(row[0][2])


async def save_qr_codes(demo: Demo, sophie: User, prefix: str) -> None:
    """The last two pictures Sophie got: the candidates' and the employers' QR codes."""
    _, t = demo._, demo.transcript
    pictures = (await photos(sophie, 0, 0))[-2:]
    for photo, kind in zip(pictures, ("candidats", "employeurs"), strict=False):
        path = demo.save(f"{prefix}qr-{kind}.png", photo.photo)
        t.say("   💾 " + _.plain("QR code saved: {path}", path=path))


# ------------------------------------------------------------------------- sign-ups


def _consent(_: Translator) -> Callable[[BotMessage], bool]:
    """The consent question, in full or in three short lines."""
    full, short = says(_, CONSENT), says(_, SHORT_CONSENT)
    return lambda message: full(message) or short(message)


async def sign_up_candidate(
    demo: Demo, user: User, code: str, person: Candidate, programme: str
) -> None:
    """The candidate sign-up from the invitation link, every question answered."""
    _, t = demo._, demo.transcript
    done, all_chosen = "➡️ " + _.plain("Done"), "➡️ " + _.plain("That's all")
    site_q, constraints_q = says(_, SITE_Q), says(_, CONSTRAINTS_Q)
    consent_q = _consent(_)
    await t.act(user, f"/start {code}", lambda: user.command("start", code), consent_q)
    await t.press(user, _.plain("I agree"), says(_, NAME_Q))
    await t.press(user, _.plain("It's me: {name}", name=person.first_name), says(_, AGE_Q))
    await t.press(user, person.age, says(_, SECTORS_Q))
    await t.press(user, person.sector, has_button(done))
    await t.press(user, done, says(_, JOB_Q))
    await t.type(user, person.job, says(_, SKILLS_Q))
    await t.press(user, person.skill, has_button(all_chosen))
    await t.press(user, all_chosen, says(_, QUALITIES_Q))
    await t.press(user, person.quality, has_button(all_chosen))
    await t.press(user, all_chosen, says(_, PROGRAMME_Q))
    await t.press(user, programme, lambda m: site_q(m) or constraints_q(m))
    if site_q(await user.last()):
        await t.press(user, person.site, constraints_q)
    await t.press(user, _.plain("Nothing to report"), says(_, PHOTO_Q))
    await t.press(user, _.plain("Skip"), says(_, SUMMARY))
    await t.press(user, "✅ " + _.plain("That's right"), says(_, SIGNED_UP))


async def sign_up_employer(
    demo: Demo, user: User, code: str, person: Employer, wish: str | None
) -> None:
    """The employer sign-up from the invitation link."""
    _, t = demo._, demo.transcript
    done = "➡️ " + _.plain("Done")
    where_q, how_many_q = says(_, WHERE_Q), says(_, HOW_MANY_Q)
    wish_q, summary_q = says(_, WISH_Q), says(_, SUMMARY)
    consent_q = _consent(_)
    await t.act(user, f"/start {code}", lambda: user.command("start", code), consent_q)
    await t.press(user, _.plain("I agree"), says(_, NAME_Q))
    await t.type(user, f"{person.first_name}, {person.last_name}", says(_, COMPANY_Q))
    await t.type(user, person.company, says(_, TITLE_Q))
    await t.type(user, person.title, says(_, EMPLOYER_SECTORS_Q))
    await t.press(user, person.sector, has_button(done))
    await t.press(user, done, says(_, JOBS_Q))
    await t.type(user, person.jobs, lambda m: where_q(m) or how_many_q(m))
    if where_q(await user.last()):
        places = [_.plain("Remote (video)")] if person.remote else list(person.sites)
        for place in places:
            await t.press(user, place, has_button(done))
        await t.press(user, done, how_many_q)
    await t.press(user, str(person.capacity), lambda m: wish_q(m) or summary_q(m))
    if wish_q(await user.last()):
        if wish:
            await t.press(user, wish, has_button(done))
        await t.press(user, done, summary_q)
    await t.press(user, "✅ " + _.plain("That's right"), says(_, SIGNED_UP))


def site_ids(demo: Demo, event_id: int) -> dict[str, int]:
    rows = demo.sql("select name, id from sites where event_id = ?", event_id)
    return {str(name): int(str(site_id)) for name, site_id in rows}


async def sign_up_quietly(
    demo: Demo, event_id: int, people: Sequence[Person], on_done: Callable[[], None] | None = None
) -> None:
    """Many people at once, unprinted: each says /start to the bot (so Telegram knows the
    chat), then their answers are stored as the sign-up conversation stores them."""
    _ = demo._
    sites = site_ids(demo, event_id)

    people_ids = [person.telegram_id for person in people]
    await gather_limited([demo.user(person).command("start") for person in people], limit=32)
    await until(lambda: known_people(demo, people_ids) == len(people_ids), timeout=60)
    for number, person in enumerate(people):
        identity = TelegramIdentity(
            telegram_id=person.telegram_id, chat_id=person.telegram_id, first_name=person.first_name
        )
        answers: CandidateAnswers | EmployerAnswers
        if isinstance(person, Candidate):
            answers = CandidateAnswers(
                first_name=person.first_name,
                last_name=person.last_name,
                age_band=person.age,
                sectors=(person.sector_code,),
                target_job=person.job,
                strengths=(person.skill,),
                qualities=(person.quality,),
                programme=demo.programmes[number % len(demo.programmes)],
                site_id=sites.get(person.site),
            )
        else:
            answers = EmployerAnswers(
                first_name=person.first_name,
                last_name=person.last_name,
                company=person.company,
                job_title=person.title,
                sectors=(person.sector_code,),
                jobs=person.jobs,
                accepted_site_ids=tuple(sites[name] for name in person.sites if name in sites),
                remote=person.remote,
                max_candidates=person.capacity,
            )
        await complete_signup(
            demo.bot_database,
            identity=identity,
            event_id=event_id,
            answers=answers,
            status=RegistrationStatus.REGISTERED,
        )
        if on_done is not None:
            on_done()


# ------------------------------------------------------------------------- plan, publish


async def plan_and_publish(demo: Demo, sophie: User, event: str, prefix: str) -> BotMessage:
    """/plan for `event`: the picture is saved, the plan published; returns the plan message."""
    _, t = demo._, demo.transcript
    choice = await t.act(sophie, "/plan", lambda: sophie.command("plan"), says(_, PLAN_Q))
    assert choice is not None
    label = next(label for label in reversed(choice.button_labels) if event in label)
    photos_before = len(await photos(sophie, 0, 0))
    is_plan = begins(_, (PLAN,))
    plan = await t.press(sophie, label, lambda m: is_plan(m) and bool(m.buttons))
    pictures = (await photos(sophie, photos_before + 1))[photos_before:]
    if pictures:
        path = demo.save(f"{prefix}plan.png", pictures[-1].photo)
        t.say("   💾 " + _.plain("Plan picture saved: {path}", path=path))
    assert plan is not None
    await t.press(sophie, _.plain("Publish"), begins(_, PUBLISHED))
    return plan


async def confirm_quietly(demo: Demo, users: Sequence[User], event_id: int) -> None:
    """Each presses "I confirm I will come" as soon as their convocation has arrived (the
    outbox sends one message a second per chat: some get theirs later)."""
    label = demo._.plain("I confirm I will come")
    waiting = {user.id: user for user in users}
    while waiting:
        marks = ",".join("?" * len(waiting))
        rows = demo.sql(
            "select distinct chat_id from outbox where event_id = ? and kind = 'convocation' "
            f"and status = 'sent' and chat_id in ({marks})",
            event_id,
            *waiting,
        )
        arrived = [waiting.pop(int(str(row[0]))) for row in rows]
        await gather_limited([user.press(label) for user in arrived], limit=32)
        if waiting:
            await asyncio.sleep(0.2)
    telegram_ids = [user.id for user in users]
    marks = ",".join("?" * len(telegram_ids))
    query = (
        "select count(*) from registrations r join people p on p.id = r.person_id "
        f"where r.event_id = ? and r.status = 'confirmed' and p.telegram_id in ({marks})"
    )
    await until(lambda: demo.scalar(query, event_id, *telegram_ids) == len(users), timeout=60)


def week_day(days_ahead: int, weekday: int) -> date:
    """A day at least `days_ahead` from today, on `weekday` (0 = Monday)."""
    day = date.today() + timedelta(days=days_ahead)
    return day + timedelta(days=(weekday - day.weekday()) % 7)
