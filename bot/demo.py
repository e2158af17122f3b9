"""Offline mode: the real bot against the local Bot API, with a scripted conversation.

With no Telegram token, `passerelle run` starts `bot.sandbox` on 127.0.0.1, runs the real bot
on its own SQLite file (`<data>/demo.sqlite3`, deleted at each start so a run never meets the
previous one's people), and plays a whole event as simulated users: staff create it, people
sign up from the invitation links, staff plan and publish, convocations go out through the
outbox. Key exchanges are printed as a chat transcript; repetitive ones are played silently
and summed up in one line. Pictures (QR codes, portrait cards, the plan) land in
`<data>/demo/`.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import signal
import sqlite3
import sys
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from telegram.warnings import PTBUserWarning

from bot.config import Settings
from bot.embedded import running_bot
from bot.i18n import N_, Translator, catalog
from bot.sandbox.client import BotMessage, SandboxClient, User
from bot.sandbox.server import SandboxServer

DEMO_TOKEN = "100000:OFFLINE-DEMO"
DEMO_STAFF_ID = 7000001
DEMO_CANDIDATE_ID = 7000101
DEMO_EMPLOYER_ID = 7000201
DEMO_DATABASE = "demo.sqlite3"
DEMO_FOLDER = "demo"
SETTLE_SECONDS = 0.3
MAX_BUTTON_ROWS = 5
TAG = re.compile(r"<[^>]+>")
PLACEHOLDER = re.compile(r"\{(\w*)(?:![rsa])?(?::[^{}]*)?\}")

# What the bot says at each step: the message ids the bot's code uses. The simulated users
# look for their translation, as they read it (see `_says`), so rewording a line of the
# catalogs changes nothing here.
EVENT_NAME_Q = N_("What is the name of the event? For example: Ose ton projet, spring 2027.")
STARTS_Q = N_("When does it start? Write the date and time, for example {example}.")
DURATION_Q = N_("How long does it last? Press a button or write it, e.g. 2h30.")
ZONE_Q = N_("Which time zone? The usual one is {zone}.")
SITE_KIND_Q = N_("Site {number}: is it in person or remote?")
SITE_NAME_Q = N_("What is the name of the site? For example: Maison de l'emploi, Lausanne.")
ADDRESS_Q = N_("What is its address? People will see it in their convocation.")
ROOMS_Q = N_("How many rooms (or seats, or computers) at this site? Press or type a number.")
SITES_SO_FAR = N_("Sites so far: {names}.")
FORMAT_Q = N_("Which room format? Employers + candidates in each room.")
ROUNDS_Q = N_("How many rounds (time slots)? People change rooms between rounds.")
MAX_CANDIDATES_Q = N_("How many candidates at most? With your rooms, {count} fit.")
MAX_EMPLOYERS_Q = N_("How many employers at most? With your rooms, {count} fit.")
DEADLINE_Q = N_("Until when can people sign up? Press a button or write a date, e.g. {example}.")
QUESTION_Q = N_("Do you want to ask candidates a yes/no question to check they can take part?")
EVENT_SUMMARY = N_("Here is your event. Is everything right?")
EMPLOYERS_QR = N_("QR code for employers — {name}")
CONSENT = N_("<b>Before we start: your data</b>")
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
PLAN_Q = N_("Which event do you want to plan?")
PLAN = N_("<b>Plan {version} – {event}</b> ({state})")
# A plural message: singular and plural ids, as `_.n` takes them (not marked: `_.n` is).
PUBLISHED = (
    "Published: {count} convocation is on its way.",
    "Published: {count} convocations are on their way.",
)
CONVOCATION = N_("<b>Your convocation: {event}</b>")
CONFIRMED = N_("Thank you! Your attendance is confirmed for {event}. See you soon.")
PORTRAIT_CARD = N_("Portrait card of {name}")


@dataclass(frozen=True)
class Candidate:
    telegram_id: int
    first_name: str
    last_name: str
    age: str
    sector: str
    job: str
    skill: str
    quality: str


@dataclass(frozen=True)
class Employer:
    telegram_id: int
    first_name: str
    last_name: str
    company: str
    title: str
    sector: str
    jobs: str


CANDIDATES = (
    Candidate(
        DEMO_CANDIDATE_ID,
        "Amina",
        "Diallo",
        "26-35",
        "Santé",
        "Aide-soignante",
        "Aide aux personnes âgées",
        "Patient·e",
    ),
    Candidate(
        DEMO_CANDIDATE_ID + 1,
        "Karim",
        "Benali",
        "18-25",
        "Commerce et vente",
        "Vendeur en boulangerie",
        "Vente et conseil",
        "Souriant·e",
    ),
    Candidate(
        DEMO_CANDIDATE_ID + 2,
        "Léa",
        "Rossier",
        "36-45",
        "Hôtellerie, restauration, tourisme",
        "Cuisinière",
        "Cuisine",
        "Organisé·e",
    ),
    Candidate(
        DEMO_CANDIDATE_ID + 3,
        "Yves",
        "Morel",
        "46-55",
        "Installation et maintenance",
        "Électricien",
        "Bricolage",
        "Fiable",
    ),
)
EMPLOYERS = (
    Employer(
        DEMO_EMPLOYER_ID,
        "Claire",
        "Favre",
        "Clinique des Alpes",
        "Responsable RH",
        "Santé",
        "Aide-soignant·e, infirmier·ère",
    ),
    Employer(
        DEMO_EMPLOYER_ID + 1,
        "Marc",
        "Rochat",
        "Boulangerie du Lac",
        "Gérant",
        "Commerce et vente",
        "Vendeur·se, boulanger·ère",
    ),
    Employer(
        DEMO_EMPLOYER_ID + 2,
        "Paul",
        "Meyer",
        "Hôtel Beau-Rivage",
        "Chef de cuisine",
        "Hôtellerie, restauration, tourisme",
        "Cuisinier·ère, commis",
    ),
    Employer(
        DEMO_EMPLOYER_ID + 3,
        "Nora",
        "Keller",
        "Garage Central",
        "Cheffe d'atelier",
        "Installation et maintenance",
        "Mécanicien·ne, électricien·ne",
    ),
)
SITE_NAME = "Espace Riponne"
SITE_ADDRESS = "Place de la Riponne 10, Lausanne"
ZONE = "Europe/Zurich"


def _plain(text: str) -> str:
    return html.unescape(TAG.sub("", text))


def _look(message: BotMessage) -> tuple[str, list[str]]:
    """What a person sees of a message: an edit changes its text or its buttons."""
    return message.text, message.button_labels


def _template(text: str, values: dict[str, object], name_the_rest: bool = False) -> str:
    """A regex of a translated template as read: tags removed, values as given, the other
    placeholders matching anything (or captured by name, with `name_the_rest`)."""
    visible = _plain(text)
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


def _says(_: Translator, message: str, **values: object) -> Callable[[BotMessage], bool]:
    """A bot message showing the translation of `message` (a message id)."""
    found = re.compile(_template(_.plain(message), values), re.DOTALL)
    return lambda bot_message: found.search(bot_message.text) is not None


def _begins(_: Translator, plurals: tuple[str, ...]) -> Callable[[BotMessage], bool]:
    """A bot message starting with the translation of a message id (or of a plural one)."""
    translations = catalog(_.language)
    texts = (
        [translations.ngettext(plurals[0], plurals[1], n) for n in (1, 2)]
        if len(plurals) == 2
        else [translations.gettext(plurals[0])]
    )
    found = re.compile("|".join(f"(?:{_template(text, {})})" for text in texts), re.DOTALL)
    return lambda bot_message: found.match(bot_message.text) is not None


def _value(_: Translator, message: str, text: str, name: str) -> str | None:
    """The value of placeholder `name` in `text`, the translation of `message`."""
    found = re.fullmatch(_template(_.plain(message), {}, name_the_rest=True), text, re.DOTALL)
    return found.group(name) if found else None


def _contains(fragment: str) -> Callable[[BotMessage], bool]:
    return lambda message: fragment in message.text


def _has_button(label: str) -> Callable[[BotMessage], bool]:
    return lambda message: label in message.button_labels


class Transcript:
    """Prints each exchange as it happens: the user's action, then what the bot answered.

    With `quiet`, the same exchanges are played without printing (the repetitive parts).
    """

    def __init__(self, write: Callable[[str], object] = print, picture: str = "") -> None:
        self.write = write
        self.quiet = False
        self.picture = picture  # shown for a picture sent without a caption

    def say(self, text: str = "") -> None:
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
        timeout: float = 15,
    ) -> BotMessage | None:
        """Do `action`, wait for a new (or edited) bot message matching `expect`, print it all."""
        before = {m.message_id: _look(m) for m in await user.received()}
        seen = max(before, default=0)
        if not self.quiet:
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

            match = await user.wait_for(fresh, timeout=timeout)
        if not self.quiet:
            await asyncio.sleep(SETTLE_SECONDS)
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
        await user.wait_for(_has_button(label), timeout=15)
        return await self.act(user, f"[{label}]", lambda: user.press(label), expect)

    def show(self, message: BotMessage, *, edited: bool = False) -> None:
        kind = {"photo": "🖼 ", "document": "📎 "}.get(message.kind, "")
        name = f"[{message.filename}] " if message.filename else ""
        mark = "✏️ " if edited else ""
        lines = _plain(message.text).splitlines() or [""]
        if not lines[0] and message.kind == "photo":
            lines[0] = self.picture
        rows = [[label for label, _data in row] for row in message.buttons]
        if edited:
            # A choice ticked on the same message: its first line and the ticked buttons.
            ticked = [f"[{label}]" for row in rows for label in row if label.startswith("✅")]
            self.write("🤖 " + mark + lines[0] + (" → " + "  ".join(ticked) if ticked else ""))
            return
        for number, line in enumerate(lines):
            prefix = "🤖 " + mark + kind + name if number == 0 else "   "
            self.write(prefix + line)
        for row in rows[:MAX_BUTTON_ROWS]:
            self.write("   " + "  ".join(f"[{label}]" for label in row))
        if len(rows) > MAX_BUTTON_ROWS:
            hidden = sum(len(row) for row in rows[MAX_BUTTON_ROWS:])
            self.write(f"   … (+{hidden})")


@dataclass
class Demo:
    """What the script needs along the way."""

    client: SandboxClient
    transcript: Transcript
    _: Translator
    folder: Path
    database: Path
    programmes: list[str]

    def save(self, name: str, data: bytes | None) -> Path:
        path = self.folder / name
        path.write_bytes(data or b"")
        return path

    def sql(self, query: str, *params: object) -> list[tuple[object, ...]]:
        with contextlib.closing(sqlite3.connect(self.database, timeout=30)) as connection:
            return list(connection.execute(query, params))

    def scalar(self, query: str, *params: object) -> object:
        rows = self.sql(query, *params)
        return rows[0][0] if rows else None


async def _photos(user: User, count: int, timeout: float = 15) -> list[BotMessage]:
    deadline = time.monotonic() + timeout
    while True:
        photos = [m for m in await user.received() if m.kind == "photo"]
        if len(photos) >= count or time.monotonic() >= deadline:
            return photos
        await asyncio.sleep(0.05)


# ------------------------------------------------------------------------- 1. the event


async def create_event(demo: Demo, sophie: User) -> tuple[str, str]:
    """Sophie creates the event with /evenement; returns the two invitation codes."""
    _, t = demo._, demo.transcript
    t.section(_.plain("1. Sophie (staff) creates an event with /evenement"))
    await t.act(sophie, "/aide", lambda: sophie.command("aide"), "/evenement")
    day = date.today() + timedelta(days=21)
    day += timedelta(days=(1 - day.weekday()) % 7)  # a Tuesday, three weeks ahead or a bit more
    name = "Ose ton projet"
    await t.act(sophie, "/evenement", lambda: sophie.command("evenement"), _says(_, EVENT_NAME_Q))
    await t.type(sophie, name, _says(_, STARTS_Q))
    await t.type(sophie, f"{day:%d/%m/%Y} 13h30", _says(_, DURATION_Q))
    await t.press(sophie, "3h", _says(_, ZONE_Q))
    await t.press(sophie, ZONE, _says(_, SITE_KIND_Q))
    await t.press(sophie, _.plain("In person"), _says(_, SITE_NAME_Q))
    await t.type(sophie, SITE_NAME, _says(_, ADDRESS_Q))
    await t.type(sophie, SITE_ADDRESS, _says(_, ROOMS_Q))
    await t.press(sophie, "2", _says(_, SITES_SO_FAR))
    await t.press(sophie, _.plain("That's all"), _says(_, FORMAT_Q))
    await t.press(sophie, _.plain("Ose ton projet 2+2"), _says(_, ROUNDS_Q))
    await t.press(sophie, "1", _says(_, MAX_CANDIDATES_Q))
    await t.press(sophie, "4", _says(_, MAX_EMPLOYERS_Q))
    await t.press(sophie, "4", _says(_, DEADLINE_Q))
    await t.press(sophie, _.plain("The day before, 6 pm"), _says(_, QUESTION_Q))
    await t.press(sophie, _.plain("No question"), _says(_, EVENT_SUMMARY))
    photos_before = len(await _photos(sophie, 0, 0))
    create = _.plain("Create")
    employers_qr = _says(_, EMPLOYERS_QR)
    await t.act(
        sophie,
        f"[{create}]",
        lambda: sophie.press(create),
        lambda m: m.kind == "photo" and employers_qr(m),
    )
    photos = (await _photos(sophie, photos_before + 2))[photos_before:]
    for photo, file_name in zip(photos, ("qr-candidats.png", "qr-employeurs.png"), strict=False):
        t.say("   💾 " + _.plain("QR code saved: {path}", path=demo.save(file_name, photo.photo)))
    row = demo.sql("select candidate_code, employer_code from events order by id desc limit 1")
    return str(row[0][0]), str(row[0][1])


# ------------------------------------------------------------------------- 2. sign-ups


async def sign_up_candidate(demo: Demo, user: User, code: str, person: Candidate) -> None:
    """The candidate sign-up from the invitation link, every question answered."""
    _, t = demo._, demo.transcript
    done, all_chosen = "➡️ " + _.plain("Done"), "➡️ " + _.plain("That's all")
    site_q, constraints_q = _says(_, SITE_Q), _says(_, CONSTRAINTS_Q)
    await t.act(user, f"/start {code}", lambda: user.command("start", code), _says(_, CONSENT))
    await t.press(user, _.plain("I agree"), _says(_, NAME_Q))
    await t.press(user, _.plain("It's me: {name}", name=person.first_name), _says(_, AGE_Q))
    await t.press(user, person.age, _says(_, SECTORS_Q))
    await t.press(user, person.sector, _has_button(done))
    await t.press(user, done, _says(_, JOB_Q))
    await t.type(user, person.job, _says(_, SKILLS_Q))
    await t.press(user, person.skill, _has_button(all_chosen))
    await t.press(user, all_chosen, _says(_, QUALITIES_Q))
    await t.press(user, person.quality, _has_button(all_chosen))
    await t.press(user, all_chosen, _says(_, PROGRAMME_Q))
    programme = demo.programmes[CANDIDATES.index(person) % len(demo.programmes)]
    await t.press(user, programme, lambda m: site_q(m) or constraints_q(m))
    if site_q(await user.last()):
        await t.press(user, SITE_NAME, constraints_q)
    await t.press(user, _.plain("Nothing to report"), _says(_, PHOTO_Q))
    await t.press(user, _.plain("Skip"), _says(_, SUMMARY))
    await t.press(user, "✅ " + _.plain("That's right"), _says(_, SIGNED_UP))


async def sign_up_employer(
    demo: Demo, user: User, code: str, person: Employer, wish: str | None
) -> None:
    """The employer sign-up from the invitation link."""
    _, t = demo._, demo.transcript
    done = "➡️ " + _.plain("Done")
    where_q, how_many_q = _says(_, WHERE_Q), _says(_, HOW_MANY_Q)
    wish_q, summary_q = _says(_, WISH_Q), _says(_, SUMMARY)
    await t.act(user, f"/start {code}", lambda: user.command("start", code), _says(_, CONSENT))
    await t.press(user, _.plain("I agree"), _says(_, NAME_Q))
    await t.type(user, f"{person.first_name}, {person.last_name}", _says(_, COMPANY_Q))
    await t.type(user, person.company, _says(_, TITLE_Q))
    await t.type(user, person.title, _says(_, EMPLOYER_SECTORS_Q))
    await t.press(user, person.sector, _has_button(done))
    await t.press(user, done, _says(_, JOBS_Q))
    await t.type(user, person.jobs, lambda m: where_q(m) or how_many_q(m))
    if where_q(await user.last()):
        await t.press(user, SITE_NAME, _has_button(done))
        await t.press(user, done, how_many_q)
    await t.press(user, "2", lambda m: wish_q(m) or summary_q(m))
    if wish_q(await user.last()):
        if wish:
            await t.press(user, wish, _has_button(done))
        await t.press(user, done, summary_q)
    await t.press(user, "✅ " + _.plain("That's right"), _says(_, SIGNED_UP))


async def sign_up_everyone(demo: Demo, codes: tuple[str, str]) -> dict[str, User]:
    _, t = demo._, demo.transcript
    users = {
        p.first_name: demo.client.user(p.telegram_id, first_name=p.first_name, language_code="fr")
        for p in (*CANDIDATES, *EMPLOYERS)
    }
    amina = CANDIDATES[0]
    t.section(_.plain("2. Amina, a candidate, signs up from the candidate link"))
    await sign_up_candidate(demo, users[amina.first_name], codes[0], amina)

    started = time.monotonic()
    t.quiet = True
    try:
        await asyncio.gather(
            *(sign_up_candidate(demo, users[p.first_name], codes[0], p) for p in CANDIDATES[1:])
        )
        # Claire (the clinic) asks to meet Amina: a wish the matching takes into account.
        await asyncio.gather(
            *(
                sign_up_employer(
                    demo, users[p.first_name], codes[1], p, amina.first_name if i == 0 else None
                )
                for i, p in enumerate(EMPLOYERS)
            )
        )
    finally:
        t.quiet = False
    t.say(
        "\n⏩ "
        + _.plain(
            "{candidates} more candidates ({names}) and {employers} employers ({companies}) "
            "signed up the same way, from the links ({seconds:.0f} s, not shown).",
            candidates=len(CANDIDATES) - 1,
            names=", ".join(p.first_name for p in CANDIDATES[1:]),
            employers=len(EMPLOYERS),
            companies=", ".join(f"{p.first_name} – {p.company}" for p in EMPLOYERS),
            seconds=time.monotonic() - started,
        )
    )
    t.say("   " + _.plain("Claire asked to meet Amina."))
    return users


# ------------------------------------------------------------------------- 3. the card


async def show_profile(demo: Demo, amina: User) -> None:
    _, t = demo._, demo.transcript
    t.section(_.plain("3. Amina looks at her portrait card with /profil"))
    photos_before = len(await _photos(amina, 0, 0))
    card = await t.act(
        amina, "/profil", lambda: amina.command("profil"), lambda m: m.kind == "photo"
    )
    await _photos(amina, photos_before + 1)
    if card is not None:
        path = demo.save("fiche-amina.png", card.photo)
        t.say("   💾 " + _.plain("Portrait card saved: {path}", path=path))


# ------------------------------------------------------------------------- 4. the plan


async def plan_and_publish(demo: Demo, sophie: User) -> None:
    _, t = demo._, demo.transcript
    t.section(_.plain("4. Sophie builds the rooms with /plan and publishes"))
    choice = await t.act(sophie, "/plan", lambda: sophie.command("plan"), _says(_, PLAN_Q))
    assert choice is not None
    label = choice.button_labels[-1]
    photos_before = len(await _photos(sophie, 0, 0))
    is_plan = _begins(_, (PLAN,))
    plan = await t.press(sophie, label, lambda m: is_plan(m) and bool(m.buttons))
    pictures = (await _photos(sophie, photos_before + 1))[photos_before:]
    if pictures:
        path = demo.save("plan.png", pictures[-1].photo)
        t.say("   💾 " + _.plain("Plan picture saved: {path}", path=path))
    assert plan is not None
    if any("Claire" in line and "Amina" in line for line in plan.text.splitlines()):
        t.say("   " + _.plain("Claire's wish is respected: she meets Amina."))
    await t.press(sophie, _.plain("Publish"), _begins(_, PUBLISHED))


# ------------------------------------------------------------------------- 5. convocations


async def convocations(demo: Demo, users: dict[str, User]) -> None:
    _, t = demo._, demo.transcript
    t.section(_.plain("5. The convocations go out through the outbox"))
    amina = users[CANDIDATES[0].first_name]
    is_convocation = _says(_, CONVOCATION)
    convocation = await amina.wait_for(is_convocation, timeout=30)
    t.say(_.plain("📬 Amina receives (sent by the outbox, at most 1 message per second per chat):"))
    t.show(convocation)
    calendar = await amina.wait_for(lambda m: m.kind == "document", timeout=15)
    t.show(calendar)
    if calendar.document:
        path = demo.save(calendar.filename or "convocation.ics", calendar.document)
        t.say("   💾 " + _.plain("Calendar file saved: {path}", path=path))
    await t.press(amina, _.plain("I confirm I will come"), _says(_, CONFIRMED))

    # An employer in Amina's room: the one whose convocation names her.
    employers = [users[p.first_name] for p in EMPLOYERS]
    for employer in employers:
        await employer.wait_for(is_convocation, timeout=30)
    ahead = [
        e
        for e in employers
        if any("Amina" in m.text for m in await e.received() if is_convocation(m))
    ]
    employer = ahead[0] if ahead else employers[0]
    cards = await employer.wait_for(lambda m: m.kind == "photo" and "Amina" in m.text, timeout=30)
    # The second card follows at the chat's pace (one message a second).
    received = await _photos(employer, 2, timeout=15)
    names = [_value(_, PORTRAIT_CARD, _plain(m.text), "name") or "" for m in received]
    path = demo.save(f"fiche-vue-par-{employer.first_name.lower()}.png", cards.photo)
    t.say(
        "\n📬 "
        + _.plain(
            "{employer} received the convocation, the calendar file and the portrait cards "
            "of the candidates of the room: {names} (saved: {path}).",
            employer=employer.first_name,
            names=", ".join(names),
            path=path,
        )
    )
    t.say("   " + _.plain("Every participant got the same: their room, the time, the address."))


# ------------------------------------------------------------------------- 6. summary


async def summary(demo: Demo) -> None:
    _, t = demo._, demo.transcript
    t.section(_.plain("6. What the database holds now"))
    stats = await demo.client.stats()
    roles: dict[str, int] = {
        str(role): int(str(count))
        for role, count in demo.sql("select role, count(*) from people group by role")
    }
    t.say(
        _.plain(
            "People: {candidates} candidates, {employers} employers, {staff} staff",
            candidates=roles.get("candidate", 0),
            employers=roles.get("employer", 0),
            staff=roles.get("staff", 0),
        )
    )
    t.say(
        _.plain(
            "Registrations: {total} ({confirmed} confirmed)",
            total=demo.scalar("select count(*) from registrations"),
            confirmed=demo.scalar("select count(*) from registrations where status = 'confirmed'"),
        )
    )
    score = demo.scalar("select score from plans where published_at is not null")
    t.say(
        _.plain(
            "Plan published: version {version}, score {score}",
            version=demo.scalar("select max(version) from plans"),
            score=_.decimal(float(str(score or 0)), 1),
        )
    )
    t.say(
        _.plain(
            "Outbox: {sent} messages sent (convocations, calendar files, portrait cards), "
            "{reminders} reminders scheduled before the day",
            sent=demo.scalar("select count(*) from outbox where status = 'sent'"),
            reminders=demo.scalar(
                "select count(*) from outbox where status = 'pending' and kind = 'reminder'"
            ),
        )
    )
    t.say(_.plain("Messages sent by the bot in all: {count}", count=stats["sends_total"]))
    t.say(_.plain("Pictures and files: {folder}", folder=demo.folder))


async def play_script(demo: Demo) -> None:
    """The scripted event: create, sign up, card, plan, publish, convocations, summary."""
    sophie = demo.client.user(DEMO_STAFF_ID, first_name="Sophie", language_code="fr")
    codes = await create_event(demo, sophie)
    users = await sign_up_everyone(demo, codes)
    await show_profile(demo, users[CANDIDATES[0].first_name])
    await plan_and_publish(demo, sophie)
    await convocations(demo, users)
    await summary(demo)


def _fresh_demo_files(data_dir: Path) -> tuple[Path, Path]:
    """Delete the previous run's database and pictures: each demo starts from nothing."""
    data_dir.mkdir(parents=True, exist_ok=True)
    database = data_dir / DEMO_DATABASE
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    folder = data_dir / DEMO_FOLDER
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        if old.is_file():
            old.unlink()
    return database, folder


async def run_demo(settings: Settings, *, serve: bool = False) -> int:
    _ = Translator.for_language("fr")
    for noisy in ("telegram", "apscheduler", "httpx", "tornado", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    database, folder = _fresh_demo_files(settings.data_dir)
    staff_ids = [*settings.staff_ids, DEMO_STAFF_ID]
    started = time.monotonic()
    async with SandboxServer() as server:
        demo_settings = settings.model_copy(
            update={
                "api_url": server.url,
                "staff_ids": staff_ids,
                "database_url": f"sqlite+aiosqlite:///{database.as_posix()}",
                # The bot's other files (e.g. the outbox journals) stay with the demo's, apart
                # from the real bot's: a demo convocation must never pass for a real one.
                "data_dir": folder,
            }
        )
        print(_.plain("Offline demo: local Bot API on {url}", url=server.url))
        print(
            _.plain(
                "Demo database: {database} (deleted at each start; the bot's own database, "
                "{normal}, is not touched).",
                database=database,
                normal=settings.resolved_database_url.rpartition(":///")[2]
                or settings.resolved_database_url,
            )
        )
        print(
            _.plain(
                "Simulated users: Sophie (staff), 4 candidates and 4 employers. "
                "👤 = what a person does, 🤖 = what the bot answers."
            )
        )
        async with contextlib.AsyncExitStack() as stack:
            with warnings.catch_warnings():
                # PTB's advice on conversation settings is for developers, not for this reader.
                warnings.simplefilter("ignore", PTBUserWarning)
                await stack.enter_async_context(running_bot(demo_settings, token=DEMO_TOKEN))
            client = await stack.enter_async_context(SandboxClient(server.url, DEMO_TOKEN))
            demo = Demo(
                client=client,
                transcript=Transcript(picture=_.plain("(picture)")),
                _=_,
                folder=folder,
                database=database,
                programmes=list(settings.programmes) or ["Autre"],
            )
            # The bot's own INFO lines ("Event 1 created…") would cut the transcript.
            bot_logger = logging.getLogger("bot")
            level = bot_logger.level
            bot_logger.setLevel(logging.WARNING)
            try:
                await play_script(demo)
            finally:
                bot_logger.setLevel(level)
            print(
                "\n"
                + _.plain("Demo finished in {seconds:.0f} s.", seconds=time.monotonic() - started)
                + " "
                + _.plain("Set PASSERELLE_TOKEN to run on Telegram.")
            )
            if serve:
                print(_.plain("The bot keeps running on {url}. Ctrl+C to stop.", url=server.url))
                await _wait_for_signal()
    sys.stdout.flush()
    return 0


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
