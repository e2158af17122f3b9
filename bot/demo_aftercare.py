"""The demo's last part: what happens after the job dating, as people live it.

The scheduler (`bot.services.aftercare.schedule.tick`, run here as its repeating job runs it)
asks "did your meeting take place?" after each round; a candidate answers and rates it, the
employer she met fills a short card about her, Sophie reviews it with /avis and sends it;
30 days later (`bot.clock.shift`) the follow-up "Où en êtes-vous ?" goes out and the
candidate answers; Sophie gets the event's report with /bilan (a chart and an Excel file).
Other people answer in the background, so the report has figures.

The people answer the questions on their screen one after the other (`walk`): a button they
prefer when it is there, a sentence when a text is asked, "Done" once a choice is ticked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot import clock
from bot.demo_kit import (
    Demo,
    aware,
    drained,
    event_start,
    gather_limited,
    move_clock_to,
    photos,
    says,
    until,
    wait_for,
)
from bot.i18n import N_, Translator, catalog
from bot.outbox import wake
from bot.outbox.staleness import SURVEY_KIND
from bot.sandbox.client import BotMessage, User
from bot.services.aftercare import schedule

QUESTION_PREFIXES = ("sv:", "fu:")
CANDIDATE_Q = N_("Did your meeting with {names} take place?")
EMPLOYER_Q = N_("Did you meet {name}?")
FOLLOW_UP_Q = (
    "Hello {name}. {count} day ago, you were at “{event}”. Where do you stand today?",
    "Hello {name}. {count} days ago, you were at “{event}”. Where do you stand today?",
)
COMMENT_Q = N_("What did you like?")
STRENGTH_Q = N_("A strength for {name}: what went well? One sentence is enough.")
TIP_Q = N_("A concrete tip for {name}: what to try next time?")
START_Q = N_("I don't know")
THANKS = (
    N_("Thank you for your answers! They help the team prepare the next meetings."),
    N_("Thank you for this card! It will help {name} move forward."),
    N_("Thank you for telling us. The team will take it into account."),
    N_("Thank you for telling us. We hope to see you at a next meeting."),
    N_("Noted: we will not ask you about this meeting again. Thank you."),
    N_("You can change your answers at any time with /situation."),
)
REVIEW_NOTICE = N_(
    "Employers' opinions about candidates are waiting for your review: “{event}”. "
    "Nothing reaches the candidates before you decide."
)
CARD_TO_REVIEW = N_("<b>Opinion to review – {event}</b> ({count} waiting)")
CARD_RECEIVED = N_("You met {employer} at “{event}”. Here is their message for you:")
REPORT_Q = N_("Which report do you want?")
PRESENT = N_("Present: {candidates} candidates, {employers} employers.")
MAX_STEPS = 16

AFTERCARE_PHASES = (
    (N_("After the event: did the meetings take place?"), 5.0),
    (N_("After the event: an employer's card, reviewed by Sophie"), 3.0),
    (N_("After the event: 30 days later, and the report"), 4.0),
)


@dataclass(frozen=True)
class Rule:
    """When the screen shows `when`, press `label` (or type it, with `typed`)."""

    when: Callable[[BotMessage], bool]
    label: str
    typed: bool = False


@dataclass
class Walk:
    """How one person answers: rules first, then the buttons they prefer, then sentences."""

    rules: Sequence[Rule] = ()
    prefer: Sequence[str] = ()
    sentences: Sequence[str] = ("Merci pour cet échange.",)
    typed: list[str] = field(default_factory=list)


def is_question(message: BotMessage) -> bool:
    """A questionnaire's first question (its buttons carry `sv:` or `fu:`)."""
    return any(
        data is not None and data.startswith(QUESTION_PREFIXES)
        for row in message.buttons
        for _label, data in row
    )


def says_n(
    _: Translator, plurals: tuple[str, str], **values: object
) -> Callable[[BotMessage], bool]:
    translations = catalog(_.language)
    tests = [says(_, translations.ngettext(*plurals, n), **values) for n in (1, 2)]
    return lambda message: any(test(message) for test in tests)


def finished(_: Translator) -> Callable[[BotMessage], bool]:
    tests = [says(_, text) for text in THANKS]
    return lambda message: any(test(message) for test in tests)


def data_of(message: BotMessage, label: str) -> str | None:
    return next((data for row in message.buttons for text, data in row if text == label), None)


def _choice(_: Translator, message: BotMessage, walk: Walk) -> tuple[str, bool] | None:
    """What to do with the latest message: (label, typed) or None (nothing to answer)."""
    for rule in walk.rules:
        if rule.when(message):
            return rule.label, rule.typed
    labels = [label for label in message.button_labels if not label.startswith("✏️")]
    if not labels:
        if message.buttons or is_question(message):
            return None
        sentence = walk.sentences[len(walk.typed) % len(walk.sentences)]
        walk.typed.append(sentence)
        return sentence, True
    ticked = [label for label in labels if label.startswith("✅ ")]
    onwards = [label for label in labels if label.startswith("➡️")]
    if ticked and onwards:
        return onwards[0], False
    for wanted in walk.prefer:
        if wanted in labels:
            return wanted, False
    return labels[0], False


async def walk(
    demo: Demo, user: User, question: BotMessage, first: str, how: Walk, *, shown: bool
) -> bool:
    """Press `first` under `question`, then answer what comes until a thanks; True if done."""
    _ = demo._
    done = finished(_)
    data = data_of(question, first)
    if data is None:
        return False
    quiet = not shown
    latest = await _step(
        demo,
        user,
        f"[{first}]",
        lambda: user.press_data(data, message_id=question.message_id),
        quiet,
    )
    for _number in range(MAX_STEPS):
        if latest is None or done(latest):
            return latest is not None
        choice = _choice(_, latest, how)
        if choice is None:
            return False
        label, typed = choice
        latest = await _answer(demo, user, label, typed, quiet)
    return False


async def _answer(
    demo: Demo, user: User, label: str, typed: bool, quiet: bool
) -> BotMessage | None:
    if typed:
        return await _step(demo, user, label, lambda: user.send(label), quiet)
    return await _step(demo, user, f"[{label}]", lambda: user.press(label), quiet)


async def _step(
    demo: Demo, user: User, label: str, action: Callable[[], object], quiet: bool
) -> BotMessage | None:
    """One answer; then the newest message on the person's screen."""

    async def act() -> None:
        result = action()
        if asyncio.iscoroutine(result):
            await result

    before = {m.message_id: (m.text, m.button_labels) for m in await user.received()}
    seen = max(before, default=0)

    def fresh(message: BotMessage) -> bool:
        if message.message_id > seen:
            return not is_question(message)  # another questionnaire's arrival is no answer
        old = before.get(message.message_id)
        return (
            old is not None
            and old != (message.text, message.button_labels)
            and any(label.startswith("✅") for label in message.button_labels)
        )

    try:
        await demo.transcript.act(user, label, act, fresh, timeout=20, quiet=quiet)
    except AssertionError:
        return None
    await asyncio.sleep(0.05)
    messages = [m for m in await user.received() if not m.deleted and not is_question(m)]
    edited = [
        m
        for m in messages
        if m.message_id <= seen and before.get(m.message_id) != (m.text, m.button_labels)
    ]
    newest = [m for m in messages if m.message_id > seen]
    if newest:
        return newest[-1]
    return edited[-1] if edited else None


async def run_scheduler(demo: Demo) -> int:
    """The scheduler's run, as its repeating job does it; returns the questionnaires created."""
    report = await schedule.tick(demo.bot_database, clock.now())
    wake(demo.application)
    return report.created


async def arrived(demo: Demo, users: Sequence[User], timeout: float = 20) -> None:
    """Until every question due for `users` has been sent (the outbox sends one a second)."""
    marks = ",".join("?" * len(users))
    query = (
        f"select send_after from outbox where kind = ? and chat_id in ({marks}) "
        "and status in ('pending', 'sending')"
    )

    def sent() -> bool:
        now = clock.now()
        rows = demo.sql(query, SURVEY_KIND, *[user.id for user in users])
        return not any(aware(str(row[0])) <= now for row in rows)

    await until(sent, timeout)


def asked_people(demo: Demo, event_id: int, kind: str) -> set[int]:
    """Telegram ids of the people with an open questionnaire of `kind` for the event."""
    rows = demo.sql(
        "select p.telegram_id from questionnaires q join people p on p.id = q.person_id "
        "where q.event_id = ? and q.kind = ? and q.status = 'open'",
        event_id,
        kind,
    )
    return {int(str(row[0])) for row in rows}


async def questions_of(user: User) -> list[BotMessage]:
    return [m for m in await user.received() if is_question(m) and not m.deleted]


async def question_saying(
    user: User, matches: Callable[[BotMessage], bool], timeout: float = 30
) -> BotMessage:
    return await wait_for(user, lambda m: is_question(m) and matches(m), timeout=timeout)


@dataclass(frozen=True)
class Cast:
    """Who the after-event part follows: the event, the employer shown, the candidate shown,
    and everyone else of the event (who answers in the background)."""

    event_id: int
    event_name: str
    employer: User
    candidate: User
    others: Sequence[User]
    ends_minutes: int


# ------------------------------------------------------------------------- the script


async def play_aftercare(demo: Demo, sophie: User, cast: Cast) -> None:
    _, t = demo._, demo.transcript
    event = cast.event_name
    demo.phase(_.plain(AFTERCARE_PHASES[0][0]))
    starts = event_start(demo, cast.event_id)
    delay = int(
        str(demo.scalar("select feedback_delay_minutes from events where id = ?", cast.event_id))
    )
    move_clock_to(demo, starts + timedelta(minutes=cast.ends_minutes + delay + 1))
    created = await run_scheduler(demo)
    t.section(
        _.plain(
            "14. After each round, the bot asks everyone: did your meeting take place? "
            "({count} questions)",
            count=created,
        )
    )
    sofia, julien = cast.candidate, cast.employer
    await arrived(demo, [sofia, julien])
    background = asyncio.create_task(_others_answer(demo, cast))
    question = await question_saying(
        sofia, lambda m: says(_, CANDIDATE_Q)(m) and julien.first_name in m.text
    )
    t.say(_.plain("📬 {name} receives:", name=sofia.first_name))
    t.show(question)
    await walk(
        demo,
        sofia,
        question,
        _.plain("Yes"),
        Walk(
            rules=(Rule(says(_, COMMENT_Q), "Il m'a donné des conseils pour mon CV.", True),),
            prefer=("🙂 " + _.plain("Useful"), _.plain("CV and letter")),
        ),
        shown=True,
    )

    demo.phase(_.plain(AFTERCARE_PHASES[1][0]))
    t.section(
        _.plain(
            "15. {employer}'s side: a short card about {candidate}, then Sophie's review",
            employer=julien.first_name,
            candidate=sofia.first_name,
        )
    )
    card_question = await question_saying(julien, says(_, EMPLOYER_Q, name=sofia.first_name))
    t.say(_.plain("📬 {name} receives:", name=julien.first_name))
    t.show(card_question)
    await walk(
        demo,
        julien,
        card_question,
        _.plain("Yes"),
        Walk(
            rules=(
                Rule(says(_, STRENGTH_Q), "Très à l'écoute, de bonnes questions.", True),
                Rule(says(_, TIP_Q), "Préparez deux exemples concrets de votre expérience.", True),
            ),
            prefer=(
                "✅ " + _.plain("That's right"),
                _.plain("Good"),
                _.plain("Interview planned"),
            ),
        ),
        shown=True,
    )
    await review(demo, sophie, sofia, event)
    await background

    demo.phase(_.plain(AFTERCARE_PHASES[2][0]))
    await follow_up(demo, cast)
    await report(demo, sophie, event)


async def _others_answer(demo: Demo, cast: Cast) -> None:
    """Candidates answer "did it happen?" and rate their meeting; one says the employer did
    not come. Each first question waits until it has arrived."""
    _ = demo._
    asked = asked_people(demo, cast.event_id, "cand")
    people = [user for user in cast.others if user is not cast.candidate and user.id in asked]
    share = people[: 3 if demo.quick else 10]
    labels = (_.plain("Yes"),) * 5 + (_.plain("No, the person did not come"),)
    faces = ("🙂 " + _.plain("Useful"), "😀 " + _.plain("Very useful"), "😐 " + _.plain("A little"))

    async def one(number: int, user: User) -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            found = await questions_of(user)
            if found:
                how = Walk(prefer=(faces[number % len(faces)], _.plain("Skip")))
                await walk(demo, user, found[0], labels[number % len(labels)], how, shown=False)
                return
            await asyncio.sleep(0.3)

    await gather_limited([one(number, user) for number, user in enumerate(share)], limit=3)


async def review(demo: Demo, sophie: User, candidate: User, event: str) -> None:
    """Sophie reads the card with /avis and sends it; the candidate receives it."""
    _, t = demo._, demo.transcript
    notice = await wait_for(sophie, says(_, REVIEW_NOTICE, event=event), timeout=30)
    t.say(_.plain("\n📬 Sophie is told:"))
    t.show(notice)
    is_card = says(_, CARD_TO_REVIEW, event=event)
    await t.act(sophie, "/avis", lambda: sophie.command("avis"), lambda m: bool(m.buttons))
    for _step_number in range(3):
        screen = await sophie.last()
        if is_card(screen):
            break
        label = next((b for b in screen.button_labels if event in b), None)
        if label is None:
            label = _.plain("Review the opinions")
        await t.press(sophie, label, lambda m: bool(m.buttons))
    await t.press(sophie, _.plain("Send"), None)
    card = await wait_for(candidate, says(_, CARD_RECEIVED, event=event), timeout=30)
    t.say(_.plain("\n📬 {name} receives, once Sophie has sent it:", name=candidate.first_name))
    t.show(card)


async def follow_up(demo: Demo, cast: Cast) -> None:
    """30 days later: "Où en êtes-vous ?"; the candidate found a job."""
    _, t = demo._, demo.transcript
    move_clock_to(demo, event_start(demo, cast.event_id) + timedelta(days=30, minutes=1))
    created = await run_scheduler(demo)
    t.section(
        _.plain(
            "16. Thirty days later, the bot asks the candidates: where do you stand? "
            "({count} questions)",
            count=created,
        )
    )
    sofia = cast.candidate
    is_follow_up = says_n(_, FOLLOW_UP_Q, name=sofia.first_name, event=cast.event_name)
    question = await question_saying(sofia, is_follow_up)
    t.say(_.plain("📬 {name} receives:", name=sofia.first_name))
    t.show(question)
    asked = asked_people(demo, cast.event_id, "follow")
    others = [user for user in cast.others if user is not sofia and user.id in asked]
    others = others[: 3 if demo.quick else 8]
    situations = (
        _.plain("I am in training"),
        _.plain("I am still looking"),
        _.plain("I have a job"),
    )
    background = asyncio.create_task(_others_follow(demo, others, situations, cast.event_name))
    await walk(
        demo,
        sofia,
        question,
        _.plain("I have a job"),
        Walk(
            prefer=(
                "✅ " + _.plain("That's right"),
                _.plain(START_Q),
                _.plain("No planned end"),
                _.plain("Yes"),
            )
        ),
        shown=True,
    )
    await background
    await drained(demo)


async def _others_follow(
    demo: Demo, users: Sequence[User], situations: Sequence[str], event: str
) -> None:
    _ = demo._

    async def one(number: int, user: User) -> None:
        is_follow_up = says_n(_, FOLLOW_UP_Q, event=event)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            found = [m for m in await questions_of(user) if is_follow_up(m)]
            if found:
                how = Walk(
                    prefer=("✅ " + _.plain("That's right"), _.plain(START_Q), _.plain("Yes"))
                )
                label = situations[number % len(situations)]
                await walk(demo, user, found[0], label, how, shown=False)
                return
            await asyncio.sleep(0.3)

    await gather_limited([one(number, user) for number, user in enumerate(users)], limit=3)


async def report(demo: Demo, sophie: User, event: str) -> None:
    """/bilan: the chart with its summary, then the Excel file; both saved."""
    _, t = demo._, demo.transcript
    t.section(_.plain("17. Sophie asks for the report of the job dating with /bilan"))
    choice = await t.act(sophie, "/bilan", lambda: sophie.command("bilan"), says(_, REPORT_Q))
    assert choice is not None
    label = next(label for label in choice.button_labels if event in label)
    count = len(await photos(sophie, 0, 0))
    documents = len([m for m in await sophie.received() if m.kind == "document"])
    await t.press(sophie, label, lambda m: m.kind == "document")
    chart = (await photos(sophie, count + 1))[-1]
    workbook = [m for m in await sophie.received() if m.kind == "document"][documents:]
    path = demo.save("bilan-emploi-booster.png", chart.photo)
    t.say("   💾 " + _.plain("Report chart saved: {path}", path=path))
    if workbook:
        path = demo.save(workbook[-1].filename or "bilan.xlsx", workbook[-1].document)
        t.say("   💾 " + _.plain("Excel file saved: {path}", path=path))
