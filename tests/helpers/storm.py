"""A storm of SIGKILLs while staff publish a plan, broadcast, and people answer afterwards.

    event = await seed_storm_event(settings, client)        # 8 employers, 24 candidates
    bot = BotProcess(sandbox, client, settings.data_dir, staff_ids=str(STAFF_ID))
    killer = Killer(bot, rng)                 # `storm(done, 20)`: kills, restarts, again
    ana = Actor(user, rng)
    await ana.press(question, YES, says(RATING), "did it happen", deadline)

`BotProcess` forks its runs from one process that imported the bot, so a restart takes a
fraction of a second, each on a clock the test can move (`clock_offset`). An `Actor` acts,
then waits for the answer it expects; when the bot stays silent for a few seconds it does
the same again, as people do, and keeps what it sent (update ids, button presses) so a test
can check all was handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

from bot.config import Settings
from bot.db.base import utcnow
from bot.db.models.events import Event, Registration, RegistrationStatus, Site
from bot.db.models.people import CandidateProfile, EmployerProfile, Person, Role
from bot.db.session import Database
from bot.sandbox.client import BotMessage, SandboxClient, User
from tests.conftest import STAFF_ID
from tests.helpers.crowd import press_data
from tests.helpers.process import START, BotProcess
from tests.helpers.texts import t
from tests.helpers.waiting import eventually

Expect = Callable[[BotMessage], bool]

# ---------------------------------------------------------------- the event


EVENT_NAME = "Ose ton projet"
SITE = "Espace Riponne"
SECTORS = ("D", "J", "I", "G")
# First names are unique: an employer's questions are told apart by the candidate's name.
EMPLOYER_NAMES = ("Marie", "Luc", "Nora", "Paul", "Inès", "Hugo", "Zoé", "Omar")
CANDIDATE_NAMES = (
    "Awa", "Bilal", "Chloé", "Dylan", "Elif", "Farid", "Gaëlle", "Jules",
    "Amina", "Bruno", "Célia", "David", "Emma", "Fanny", "Gabin", "Hana",
    "Ilyes", "Jade", "Karim", "Léa", "Malik", "Nina", "Oscar", "Rania",
)  # fmt: skip


@dataclass
class StormEvent:
    """One event, its people (users of the sandbox) and their `people.id` by telegram id."""

    event_id: int
    starts_at: datetime
    staff: User
    employers: list[User]
    candidates: list[User]
    person_ids: dict[int, int]

    @property
    def participants(self) -> list[User]:
        return [*self.employers, *self.candidates]

    @property
    def everyone(self) -> list[User]:
        return [self.staff, *self.participants]


async def seed_storm_event(
    settings: Settings, client: SandboxClient, *, employers: int = 8, candidates: int = 24
) -> StormEvent:
    """An event in three days, one round of 90 minutes in 4 rooms (2 employers, 6 candidates
    each), everyone registered, with our own models. No reminders before it and no follow-up
    after it: the questionnaires of the round are the only thing after the event."""
    database = Database(settings.resolved_database_url)
    await database.migrate()
    starts_at = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
    staff = client.user(STAFF_ID, first_name="Sophie")
    employer_users = [
        client.user(4100 + i, first_name=EMPLOYER_NAMES[i], last_name=f"E{i}")
        for i in range(employers)
    ]
    candidate_users = [
        client.user(4200 + i, first_name=CANDIDATE_NAMES[i], last_name=f"C{i}")
        for i in range(candidates)
    ]
    person_ids: dict[int, int] = {}
    try:
        async with database.session() as session:
            event = Event(
                name=EVENT_NAME,
                starts_at=starts_at,
                timezone="Europe/Zurich",
                rounds=1,
                round_minutes=90,
                duration_minutes=90,
                employers_per_room=2,
                candidates_per_room=6,
                candidate_code="CSTORM",
                employer_code="ESTORM",
                reminder_offsets_minutes=[],
                follow_up_days=[],
                sites=[Site(name=SITE, address="Place de la Riponne 10", rooms=4, position=0)],
            )
            session.add(event)
            await session.flush()
            site_id = event.sites[0].id
            for index, user in enumerate([*employer_users, *candidate_users]):
                employer = index < employers
                sector = SECTORS[index % len(SECTORS)]
                person = Person(
                    telegram_id=user.id,
                    chat_id=user.id,
                    first_name=user.first_name,
                    last_name=user.last_name,
                    role=Role.EMPLOYER if employer else Role.CANDIDATE,
                    consent_at=utcnow(),
                )
                if employer:
                    person.employer_profile = EmployerProfile(
                        company=f"Entreprise {index}",
                        sectors=[sector],
                        jobs="vente",
                        max_candidates=8,
                    )
                else:
                    person.candidate_profile = CandidateProfile(
                        sectors=[sector],
                        target_job="vendeuse",
                        strengths=["accueil"],
                        qualities=["ponctualité"],
                        programme="COFA",
                        share_card=False,
                    )
                session.add(person)
                await session.flush()
                person_ids[user.id] = person.id
                session.add(
                    Registration(
                        event_id=event.id,
                        person_id=person.id,
                        role=Role.EMPLOYER if employer else Role.CANDIDATE,
                        site_id=site_id,
                        accepted_site_ids=[site_id],
                        status=RegistrationStatus.REGISTERED,
                    )
                )
            await session.flush()
            event_id = event.id
    finally:
        await database.dispose()
    return StormEvent(event_id, starts_at, staff, employer_users, candidate_users, person_ids)


# ---------------------------------------------------------------- the bot, killed


async def bot_calls(client: SandboxClient) -> int:
    """How many calls the bot made to the Bot API other than asking for updates."""
    calls = (await client.stats())["calls"]
    return sum(calls.values()) - sum(calls.get(m, 0) for m in ("getUpdates", "getMe"))


@dataclass
class Killer:
    """Kills the bot (SIGKILL) at random moments and starts it again at once: a quarter of
    the kills while it starts (replays, the outbox's recovery), the others while it works.
    A life in which the bot did nothing visible (no call but asking for updates) is followed
    by one that lasts until it does something: the same long update killed again and again
    would otherwise never end, and the test would prove nothing more."""

    bot: BotProcess
    rng: random.Random
    working: tuple[float, float] = (0.3, 2.5)  # seconds of work before a kill
    starting: tuple[float, float] = (0.05, 0.5)
    # At most this many kills in one part of the story (`next_part`): on a slow machine a
    # part would otherwise never end, each life too short to finish its work.
    per_part: int = 12
    in_part: int = 0
    while_listening: int = 0
    at: list[float] = field(default_factory=list)  # seconds from the first kill
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    began: float = field(default_factory=time.monotonic)

    async def kill_and_start(self) -> None:
        """One kill now, and the start after it (also what `storm` does each time)."""
        async with self.lock:
            if not self.bot.running:
                raise AssertionError(f"the bot stopped by itself\n{self.bot.log_tail()}")
            self.while_listening += await self.bot.listening()
            await self.bot.kill()
            self.at.append(time.monotonic() - self.began)
            self.in_part += 1
            await self.bot.start()

    def next_part(self) -> None:
        """The story moved on (published, broadcast, questionnaires): kills may start again."""
        self.in_part = 0

    async def storm(self, done: asyncio.Event, minimum: int) -> None:
        """Kill until `done` is set and at least `minimum` kills were done, then leave the
        bot running and listening."""
        client = self.bot.client
        idle = False
        while not (done.is_set() and self.bot.kills >= minimum):
            if self.in_part >= self.per_part and not done.is_set():
                await asyncio.sleep(0.2)  # this part has had its share: let it finish
                continue
            calls = await bot_calls(client)
            if idle and not done.is_set():
                assert await eventually(self.bot.listening, START), self.bot.log_tail()

                async def moved(before: int = calls) -> bool:
                    return await bot_calls(client) > before

                await eventually(moved, START)
            if self.rng.random() < 0.25:
                await asyncio.sleep(self.rng.uniform(*self.starting))
            else:
                assert await eventually(self.bot.listening, START), self.bot.log_tail()
                await asyncio.sleep(self.rng.uniform(*self.working))
            idle = await bot_calls(client) == calls
            await self.kill_and_start()
        assert await eventually(self.bot.listening, START), self.bot.log_tail()


# ---------------------------------------------------------------- people who repeat


def _seen(message: BotMessage) -> tuple[object, ...]:
    return (message.message_id, message.text, tuple(message.button_labels), message.deleted)


def shown_twice(conversation: list[BotMessage]) -> list[str]:
    """Bot messages the same as the bot message just before them (as first sent)."""

    def first_text(message: BotMessage) -> str:
        return message.edits[0] if message.edits else message.text

    return [
        after.describe()
        for before, after in pairwise(conversation)
        if before.from_bot and after.from_bot and first_text(before) == first_text(after)
    ]


def data_of(message: BotMessage, label: str) -> str:
    """The callback data of button `label` (a message id or the exact label) of `message`."""
    for row in message.buttons:
        for text, data in row:
            if text in (label, t(label)) and data is not None:
                return data
    raise AssertionError(f"no button {label!r} on {message.describe()}")


@dataclass(eq=False)
class Actor:
    """One person (or staff) acting as people do: act, wait for the answer, act again when
    the bot says nothing for `silence` seconds."""

    user: User
    rng: random.Random
    silence: float = 4.0
    poll: float = 0.5
    update_ids: list[int] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)  # callback query ids of the presses
    repeats: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    waiting_for: str | None = None  # what the last action is still waiting for
    screen: list[BotMessage] = field(default_factory=list)  # as last seen

    async def send(self, text: str, expect: Expect, what: str, deadline: float) -> BotMessage:
        """Send `text` (again if the bot is silent) until a new message matches `expect`."""

        async def do() -> None:
            self.update_ids.append(await self.user.send(text))

        return await self._act(do, expect, f"{what}: {text!r}", deadline)

    async def press(
        self, message: BotMessage, label: str, expect: Expect, what: str, deadline: float
    ) -> BotMessage:
        """Press `label` on `message` (again if the bot is silent) until a new or changed
        message matches `expect`."""
        data = data_of(message, label)

        async def do() -> None:
            update_id, query_id = await press_data(self.user, data, message.message_id)
            self.update_ids.append(update_id)
            self.queries.append(query_id)

        return await self._act(
            do, expect, f"{what}: press {label!r} #{message.message_id}", deadline
        )

    async def wait(self, expect: Expect, what: str, deadline: float) -> BotMessage:
        """Wait (doing nothing) for a message the bot sends on its own."""
        self.waiting_for = what
        while True:
            messages = self.screen = await self.user.received()
            found = [m for m in messages if not m.deleted and expect(m)]
            if found:
                self.waiting_for = None
                return found[-1]
            if time.monotonic() > deadline:
                raise AssertionError(self.describe(messages))
            await asyncio.sleep(self.poll)

    async def _act(
        self, do: Callable[[], Awaitable[None]], expect: Expect, what: str, deadline: float
    ) -> BotMessage:
        messages = await self.user.received()
        before = {_seen(m) for m in messages}
        seen = tuple(sorted(before, key=repr))
        await asyncio.sleep(self.rng.uniform(0.05, 0.4))  # reading, then the thumb
        self.waiting_for = what
        self.history.append(f"{time.monotonic():.1f} {what}")
        await do()
        acted_at = changed_at = time.monotonic()
        while True:
            await asyncio.sleep(self.poll)
            messages = self.screen = await self.user.received()
            found = [m for m in messages if _seen(m) not in before and not m.deleted and expect(m)]
            if found:
                self.waiting_for = None
                return found[-1]
            now = time.monotonic()
            screen = tuple(sorted((_seen(m) for m in messages), key=repr))
            if screen != seen:
                seen, changed_at = screen, now
            if now > deadline:
                raise AssertionError(self.describe(messages))
            if now - max(changed_at, acted_at) >= self.silence:
                self.repeats.append(what)
                self.history.append(f"{now:.1f} {what} (again)")
                await do()
                acted_at = time.monotonic()

    def describe(self, messages: list[BotMessage]) -> str:
        screen = "\n".join(f"  {m.describe()}" for m in messages[-8:]) or "  (nothing)"
        acts = "\n".join(f"  {line}" for line in self.history[-12:])
        return (
            f"user {self.user.id} ({self.user.first_name}) still waiting for "
            f"{self.waiting_for}; last messages:\n{screen}\nlast actions:\n{acts}"
        )


async def all_done(stories: dict[Actor, Awaitable[None]], timeout: float) -> None:
    """Run each actor's story at once; on a failure or at `timeout`, cancel the rest and
    raise with what each unfinished actor was waiting for."""
    tasks = {asyncio.ensure_future(story): actor for actor, story in stories.items()}
    finished, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    failures = [str(task.exception()) for task in finished if task.exception() is not None]
    for task in pending:
        actor = tasks[task]
        failures.append(f"still busy after {timeout:.0f}s: " + actor.describe(actor.screen))
    if failures:
        raise AssertionError(f"{len(failures)} people not done:\n" + "\n".join(failures[:6]))
