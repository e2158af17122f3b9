"""Candidates who sign up as people do, however often the bot falls over.

A `Candidate` looks at the last question on their screen and answers it as they decided
beforehand (`Answers`): a button, a text, the boxes to tick then "Done". They act again
only when the screen asks something new; when the bot stays silent for a few seconds after
an answer (nothing new on screen) they repeat that answer, as people do — or, if its buttons
are gone, type /start to get the question back. Before confirming they read the summary and
change, with its "✏️" buttons, a list of ticks that is not what they ticked (a box pressed
twice because the bot was slow is unticked). Everything they sent is kept (update ids,
repeats, corrections) so a test can check it was all handled.

Also here: what the database holds of a person's sign-up (`stored_signup`), read with SQL.
"""

from __future__ import annotations

import asyncio
import csv
import json
import random
import time
from dataclasses import dataclass, field
from itertools import permutations
from typing import TYPE_CHECKING, Any

from bot.db.persistence import CONVERSATION_PREFIX, USER_DATA, conversation_key
from bot.i18n import LOCALES_DIR
from bot.sandbox.client import BotMessage, User
from tests.helpers.signup import (
    AGE_Q,
    AGREE,
    ALL,
    CONFIRM,
    CONSENT,
    CONSTRAINTS_Q,
    DONE,
    JOB_Q,
    NAME_Q,
    NOTHING_TO_REPORT,
    PHOTO_Q,
    PROGRAMME_Q,
    QUALITIES_Q,
    SECTORS_Q,
    SIGNED_UP,
    SKILLS_Q,
    SKIP,
    SUMMARY,
    edit,
    its_me,
)
from tests.helpers.texts import pattern, says

if TYPE_CHECKING:
    from tests.conftest import Sql

# The sign-up's conversation (its name, where its draft lives in `user_data`) and the steps
# it stores, one per question: stable across releases (a sign-up begun before an upgrade
# carries on after it), so they are written out here.
CONVERSATION = "signup"
DRAFT_KEY = "signup"
CONSENT_STEP, NAME, AGE, SECTORS, JOB = "consent", "name", "age", "sec", "job"
SKILLS, QUALITIES, PROGRAMME, CONSTRAINTS, PHOTO = "str", "qual", "prg", "cons", "photo"
SUMMARY_STEP = "sum"
AGE_BANDS = ("18-25", "26-35", "36-45", "46-55", "56+")

# Each question of the candidate's sign-up (message id) and the step the bot stores for it.
QUESTIONS: tuple[tuple[str, str], ...] = (
    (CONSENT, CONSENT_STEP),
    (NAME_Q, NAME),
    (AGE_Q, AGE),
    (SECTORS_Q, SECTORS),
    (JOB_Q, JOB),
    (SKILLS_Q, SKILLS),
    (QUALITIES_Q, QUALITIES),
    (PROGRAMME_Q, PROGRAMME),
    (CONSTRAINTS_Q, CONSTRAINTS),
    (PHOTO_Q, PHOTO),
    (SUMMARY, SUMMARY_STEP),
)
_ASKS = tuple((says(message), step) for message, step in QUESTIONS)
CHECK = "✅ "


def suggestions(kind: str) -> tuple[str, ...]:
    """The suggested `strengths` or `qualities` the bot offers as buttons (data, in French)."""
    with (LOCALES_DIR / "fr" / f"{kind}.csv").open(encoding="utf-8") as handle:
        return tuple(row["label"] for row in csv.DictReader(handle))


def step_asked(message: BotMessage) -> str | None:
    """The sign-up step this bot message asks, if it is one of the questions."""
    for matches, step in _ASKS:
        if matches(message):
            return step
    return None


def last_question(messages: list[BotMessage]) -> tuple[BotMessage, str] | None:
    """The latest question on screen and its step."""
    for message in reversed(messages):
        step = step_asked(message)
        if step is not None and not message.deleted:
            return message, step
    return None


# ---------------------------------------------------------------- what the database holds


@dataclass(frozen=True)
class Stored:
    """A person's sign-up as stored: the conversation's step and the draft."""

    step: str | None
    draft: dict[str, Any] | None

    @property
    def answers(self) -> dict[str, Any]:
        return dict((self.draft or {}).get("answers") or {})


def stored_signup(sql: Sql, user_id: int, chat_id: int | None = None) -> Stored:
    rows = sql(
        "select data from persisted_state where namespace = ? and key = ?",
        CONVERSATION_PREFIX + CONVERSATION,
        conversation_key(chat_id if chat_id is not None else user_id, user_id),
    )
    step = None
    if rows:
        data = json.loads(rows[0][0])
        step = data["state"] if isinstance(data, dict) and "state" in data else data
    rows = sql(
        "select data from persisted_state where namespace = ? and key = ?",
        USER_DATA,
        str(user_id),
    )
    draft = json.loads(rows[0][0]).get(DRAFT_KEY) if rows else None
    return Stored(step, draft)


# ---------------------------------------------------------------- simulated candidates


async def press_data(user: User, data: str, message_id: int | None) -> tuple[int, str]:
    """`User.press_data`, returning the update id too: (update id, callback query id)."""
    sender: dict[str, Any] = {"id": user.id, "first_name": user.first_name}
    if user.language_code:
        sender["language_code"] = user.language_code
    result = await user.client.user_action(
        {"user": sender, "kind": "callback_query", "data": data, "message_id": message_id}
    )
    return int(result["update_id"]), str(result["callback_query_id"])


@dataclass(frozen=True)
class Answers:
    """What a candidate answers (button labels as shown, texts as typed)."""

    age: str
    sectors: tuple[str, ...]
    job: str
    skills: tuple[str, ...]
    qualities: tuple[str, ...]
    programme: str
    constraints: str | None  # None: the "Nothing to report" button


@dataclass(frozen=True)
class Action:
    """A press (`value` is the button's data, on message `message_id`) or a typed text,
    answering the question of `step`."""

    kind: str  # "press" | "text"
    value: str
    message_id: int | None = None
    label: str = ""
    step: str | None = None


# The summary's lines a candidate checks before confirming: the answers made of ticks, which
# a press said twice (the first one only slow) can untick. (message id, "✏️" button label.)
CHECKED_LINES = {
    SECTORS: ("Sectors: {value}", "Sectors"),
    SKILLS: ("Skills: {value}", "Skills"),
    QUALITIES: ("Soft skills: {value}", "Soft skills"),
}

EDITS = {edit(label): step for step, (_line, label) in CHECKED_LINES.items()}


@dataclass
class Candidate:
    """One person signing up (see the module docstring); `sign_up` returns once signed up."""

    user: User
    code: str
    answers: Answers
    rng: random.Random
    silence: float = 4.0  # seconds without anything new before repeating oneself
    poll: float = 0.3
    think: tuple[float, float] = (0.05, 0.5)
    update_ids: list[int] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)  # callback query ids of the presses
    repeats: list[Action] = field(default_factory=list)  # what was said again, in order
    corrections: list[str] = field(default_factory=list)  # steps changed from the summary
    done: bool = False
    history: list[str] = field(default_factory=list)
    screen: list[BotMessage] = field(default_factory=list)  # as last seen

    async def sign_up(self, deadline: float, *, after: float = 0) -> None:
        """Open the link `after` seconds from now and answer every question until signed
        up; AssertionError at `deadline`."""
        await asyncio.sleep(after)
        last: Action | None = None
        acted_at = changed_at = time.monotonic()
        seen: tuple[Any, ...] = ()
        while True:
            messages = self.screen = await self.user.received()
            now = time.monotonic()
            screen = tuple((m.message_id, m.text, tuple(m.button_labels)) for m in messages)
            if screen != seen:
                seen, changed_at = screen, now
            if any(says(SIGNED_UP)(m) for m in messages):
                self.done = True
                return
            if now > deadline:
                raise AssertionError(self.describe())
            action = self.next_action(messages)
            if action is not None and action != last:
                await asyncio.sleep(self.rng.uniform(*self.think))
                if action.label in EDITS:
                    self.corrections.append(EDITS[action.label])
                await self._do(action)
                last, acted_at = action, time.monotonic()
            elif last is not None and now - max(changed_at, acted_at) >= self.silence:
                again = last
                if last.kind == "press" and not self._button_shown(messages, last):
                    # Its buttons are gone but nothing came: ask the bot where we are.
                    again = Action("text", "/start", step=last.step)
                self.repeats.append(again)
                await self._do(again)
                acted_at = time.monotonic()
            await asyncio.sleep(self.poll)

    def repeated(self, step: str) -> bool:
        return any(action.step == step for action in self.repeats)

    def typed_again(self, text: str) -> bool:
        return any(action.kind == "text" and action.value == text for action in self.repeats)

    # -------------------------------------------------------- what to do on this screen

    def next_action(self, messages: list[BotMessage]) -> Action | None:
        """The answer the last question calls for (None: nothing to do but wait)."""
        found = last_question(messages)
        if found is None:
            return Action("text", f"/start {self.code}")
        question, step = found
        answers = self.answers
        if step == CONSENT_STEP:
            return self._button(question, step, AGREE)
        if step == NAME:
            return self._button(question, step, its_me(self.user))
        if step == AGE:
            return self._button(question, step, answers.age)
        if step == SECTORS:
            return self._ticks(question, step, answers.sectors, DONE)
        if step == JOB:
            return Action("text", answers.job, question.message_id, step=step)
        if step == SKILLS:
            return self._ticks(question, step, answers.skills, ALL)
        if step == QUALITIES:
            return self._ticks(question, step, answers.qualities, ALL)
        if step == PROGRAMME:
            return self._button(question, step, answers.programme)
        if step == CONSTRAINTS:
            if answers.constraints is None:
                return self._button(question, step, NOTHING_TO_REPORT)
            return Action("text", answers.constraints, question.message_id, step=step)
        if step == PHOTO:
            return self._button(question, step, SKIP)
        if step == SUMMARY_STEP:
            for checked, (line, label) in CHECKED_LINES.items():
                if not self._summary_shows(question, line, self._expected(checked)):
                    return self._button(question, step, edit(label))
            return self._button(question, step, CONFIRM)
        raise AssertionError(f"unexpected step {step}")

    def _expected(self, step: str) -> list[tuple[str, ...]]:
        """The items the summary may show for `step`, each list in any order."""
        answers = self.answers
        if step == SECTORS:
            return [answers.sectors]
        wanted = answers.skills if step == SKILLS else answers.qualities
        # The job said again after it was taken is a skill written: it has no box to untick.
        if step == SKILLS and self.typed_again(answers.job):
            return [wanted, (*wanted, answers.job)]
        return [wanted]

    @staticmethod
    def _summary_shows(summary: BotMessage, line: str, expected: list[tuple[str, ...]]) -> bool:
        lines = summary.text.splitlines()
        for items in expected:
            for order in permutations(items):
                found = pattern(line, value=", ".join(order))
                if any(found.fullmatch(text.strip()) for text in lines):
                    return True
        return False

    @staticmethod
    def _button(message: BotMessage, step: str, label: str) -> Action | None:
        for row in message.buttons:
            for text, data in row:
                if text == label and data is not None:
                    return Action("press", data, message.message_id, label, step)
        return None  # answered already (its buttons are gone): wait for the next question

    def _ticks(
        self, message: BotMessage, step: str, wanted: tuple[str, ...], finish: str
    ) -> Action | None:
        """Tick what is wanted, untick what is not, then press `finish`."""
        labels = message.button_labels
        if not labels:
            return None
        for label in wanted:
            if label in labels:
                return self._button(message, step, label)
        more = [label for label in labels if label.startswith("➕")]  # "Autres secteurs"
        hidden = [label for label in wanted if CHECK + label not in labels]
        if hidden and more:
            return self._button(message, step, more[0])
        for label in labels:
            if label.startswith(CHECK) and label.removeprefix(CHECK) not in wanted:
                return self._button(message, step, label)
        return self._button(message, step, finish)

    @staticmethod
    def _button_shown(messages: list[BotMessage], action: Action) -> bool:
        return any(
            m.message_id == action.message_id and action.label in m.button_labels for m in messages
        )

    async def _do(self, action: Action) -> None:
        self.history.append(
            f"{time.monotonic():.1f} {action.step}: {action.kind} {action.label or action.value}"
            f" (#{action.message_id})"
        )
        if action.kind == "press":
            update_id, query_id = await press_data(self.user, action.value, action.message_id)
            self.queries.append(query_id)
        else:
            update_id = await self.user.send(action.value)
        self.update_ids.append(update_id)

    def describe(self) -> str:
        screen = "\n".join(f"  {m.describe()}" for m in self.screen[-8:]) or "  (nothing)"
        acts = "\n".join(f"  {line}" for line in self.history[-15:])
        return f"user {self.user.id}; last messages:\n{screen}\nlast actions:\n{acts}"
