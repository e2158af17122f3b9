"""Sign-up flows as people go through them: an event to sign up for, the questions, the buttons.

Questions are message ids (see `tests.helpers.texts`); button labels are their French texts,
with the marks the code adds around them ("➡️ ", "✅ ").
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import timedelta

from PIL import Image

from bot.config import Settings
from bot.db.base import utcnow
from bot.db.models.events import EligibilityQuestion, Event, Site
from bot.db.session import Database
from bot.sandbox.client import BotMessage, User
from tests.helpers.texts import says, t
from tests.helpers.waiting import eventually

# Questions and answers of both sign-ups (message ids).
CONSENT = "<b>Before we start</b>"
CONSENT_DETAILS = "<b>Before we start: your data</b>"
STAFF_CONSENT = "<b>Has the person read this and agreed?</b>"
NAME_Q = "What is your first name?"
STAFF_NAME_Q = "What is the person's first name?"
AGE_Q = "How old are you?"
SECTORS_Q = "Which sectors interest you? Choose one or more, then press “Done”."
JOB_Q = "What job are you aiming for?"
SKILLS_Q = "What are your skills? What do you know how to do?"
QUALITIES_Q = "What are your qualities at work (soft skills)?"
PROGRAMME_Q = "Which support programme are you following?"
SITE_Q = "Which site is easiest for you to get to?"
CONSTRAINTS_Q = (
    "Is there anything the team should know? For example: childcare hours, accessibility, "
    "transport."
)
PHOTO_Q = "Would you like to add a photo to your portrait card? Send it now."
SUMMARY = "<b>Please check your answers</b>"
SIGNED_UP = "Thank you {name}, you are signed up for “{event}”!"
COMPANY_Q = "What is the name of your company or organisation?"
TITLE_Q = "What is your job title?"
EMPLOYER_SECTORS_Q = "Which sectors do you work in? Choose one or more, then press “Done”."
JOBS_Q = "Which jobs do you recruit for, or know well?"
WHERE_Q = "Where can you come? Choose one or more, then press “Done”."
HOW_MANY_Q = "How many candidates can you meet?"
WISH_Q = "Would you like to meet some of these candidates? Choose any, then press “Done”."

# Button labels, as the code composes them.
AGREE = t("I agree")
REFUSE = t("I refuse")
DONE = "➡️ " + t("Done")
ALL = "➡️ " + t("That's all")
CONFIRM = "✅ " + t("That's right")
NOTHING_TO_REPORT = t("Nothing to report")
SKIP = t("Skip")


def its_me(user: User) -> str:
    """The button offering the Telegram first name as the answer to the name question."""
    return t("It's me: {name}", name=user.first_name)


def edit(label: str) -> str:
    """The summary's (or the card's) button to change one answer: "✏️ " and the step's label."""
    return "✏️ " + t(label)


@dataclass(frozen=True)
class Codes:
    event_id: int
    candidate: str
    employer: str


async def make_event(
    settings: Settings,
    *,
    sites: tuple[str, ...] = ("Lille Centre",),
    questions: tuple[tuple[str, bool], ...] = (),
    remote_site: bool = False,
    name: str = "Ose ton projet",
) -> Codes:
    """An open event row written with our own models, as staff would have created it."""
    database = Database(settings.resolved_database_url)
    await database.migrate()
    token = secrets.token_urlsafe(8)
    try:
        async with database.session() as session:
            event = Event(
                name=name,
                starts_at=utcnow() + timedelta(days=10),
                candidate_code=f"c_{token}",
                employer_code=f"e_{token}",
            )
            event.sites = [Site(name=site, position=i) for i, site in enumerate(sites)]
            if remote_site:
                event.sites.append(Site(name="Visio", position=len(sites), remote=True))
            event.questions = [
                EligibilityQuestion(text=text, admitting_answer=admitting, position=i)
                for i, (text, admitting) in enumerate(questions)
            ]
            session.add(event)
            await session.flush()
            return Codes(event.id, event.candidate_code, event.employer_code)
    finally:
        await database.dispose()


async def asked(user: User, message: str, /, timeout: float = 5, **values: object) -> BotMessage:
    """Wait for a bot message holding the French text of `message` (a message id)."""
    return await user.wait_for(says(message, **values), timeout=timeout)


async def tap(user: User, label: str, timeout: float = 5) -> None:
    """Press `label` once a bot message shows it (the bot answers asynchronously)."""
    await user.wait_for(
        lambda m: any(text == label for row in m.buttons for text, _data in row), timeout
    )
    await user.press(label)


async def count_of(
    user: User, message: str, expected: int | None = None, /, **values: object
) -> int:
    """How many bot messages hold `message` (waiting up to 2 s for `expected` of them)."""
    matches = says(message, **values)

    async def count() -> int:
        return len([m for m in await user.received() if matches(m)])

    if expected is not None:

        async def reached() -> bool:
            return await count() >= expected

        await eventually(reached, timeout=2)
    return await count()


async def answers_texts(user: User) -> list[str]:
    """Texts of the answers to the user's button presses, oldest first."""
    return [answer.get("text") or "" for answer in await user.callback_answers()]


def png(colour: tuple[int, int, int] = (200, 30, 30), size: int = 300) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, format="PNG")
    return out.getvalue()


async def sign_up_candidate(
    user: User, code: str, *, photo: bytes | None = None, site: str | None = None
) -> None:
    """The shortest path: every question answered with its first button or a short text."""
    await user.command("start", code)
    await asked(user, CONSENT)
    await tap(user, AGREE)
    await asked(user, NAME_Q)
    await tap(user, its_me(user))
    await asked(user, AGE_Q)
    await tap(user, "26-35")
    await asked(user, SECTORS_Q)
    await tap(user, "Santé")
    await tap(user, DONE)
    await asked(user, JOB_Q)
    await user.send("Aide-soignante")
    await asked(user, SKILLS_Q)
    await tap(user, "Accueil du public")
    await tap(user, ALL)
    await asked(user, QUALITIES_Q)
    await tap(user, "Patient·e")
    await tap(user, ALL)
    await asked(user, PROGRAMME_Q)
    await tap(user, "COI")
    if site:
        await asked(user, SITE_Q)
        await tap(user, site)
    await asked(user, CONSTRAINTS_Q)
    await tap(user, NOTHING_TO_REPORT)
    await asked(user, PHOTO_Q)
    if photo:
        await user.send_photo(photo)
    else:
        await tap(user, SKIP)


async def tap_sector(user: User, label: str, timeout: float = 5) -> None:
    """Tick a sector, opening "Autres secteurs" first when it is not among the six shown."""
    more = "➕ " + t("Other sectors")
    question = await user.wait_for(
        lambda m: any(text in (label, more) for row in m.buttons for text, _data in row), timeout
    )
    if label not in question.button_labels:
        await user.press(more)
    await tap(user, label, timeout)
