"""`/evenement`: staff create an event in ten short steps, check a summary, then "Create".

The questions are declared in order in `CREATION_FLOW` (`bot.engine.steps`), after what they
need: how a typed answer is read (`read_…`, raising `Invalid` with the reason) and what an
answer changes and what comes next (`keep_…`, `on_…`). The draft is `draft.CreationDraft`,
saved with each update. Staff only by construction: the conversation checks the role before
every step (`staff=True`).

Sites and eligibility questions are loops: their last question jumps back (`Goto`) until
"That's all". "Correct" on the summary re-runs one section with `fixing` set; the section's
last answer (`done`) then returns to the summary instead of going on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    TypeHandler,
)

from bot import clock
from bot.callbacks import (
    EVENT_ANSWER_BEFORE,
    EventAnswer,
    EventAnswerPair,
    EventNew,
    prefix_pattern,
)
from bot.context import services, translator_for
from bot.dates import format_minutes, in_zone, parse_french_datetime
from bot.engine.conversation import END
from bot.engine.steps import (
    AGAIN,
    At,
    Buttons,
    Flow,
    Form,
    Goto,
    Option,
    Outcome,
    Refused,
    Step,
    Text,
    Wire,
    yes_no,
)
from bot.handlers.common import Context, reply, staff_only, user_conversation
from bot.handlers.events.draft import DRAFTS, CreationDraft, QuestionDraft, SiteDraft
from bot.handlers.events.links import send_invitations
from bot.handlers.events.shared import (
    ADDRESS_LIMIT,
    DEADLINE_HOUR,
    END_OF_DAY,
    FORMATS,
    MAX_MESSAGE,
    MAX_QUESTIONS,
    MAX_SITES,
    NAME_LIMIT,
    OTHER,
    PROBLEMS,
    QUESTION_LIMIT,
    URL_LIMIT,
    Invalid,
    clean_text,
    describe,
    example_date,
    local_now,
    parse_minutes,
    parse_number,
    zone_named,
)
from bot.i18n import N_
from bot.services.events import ChangeRefused, Problem, create_event, draft_problems

CREATION = "event_creation"  # the conversation's name (stored: never rename)
CREATED_KEY = "event_created"  # in `user_data`: the last draft created, for a second "Create"

# States: strings stored with the person's step; never rename them.
NAME = "name"
STARTS_AT = "starts_at"
DURATION = "duration"
TIMEZONE = "timezone"
TIMEZONE_OTHER = "timezone_other"
SITE_KIND = "site_kind"
SITE_NAME = "site_name"
SITE_ADDRESS = "site_address"
SITE_VIDEO = "site_video"
SITE_ROOMS = "site_rooms"
SITE_MORE = "site_more"
FORMAT = "format"
EMPLOYERS_PER_ROOM = "employers_per_room"
CANDIDATES_PER_ROOM = "candidates_per_room"
ROUNDS = "rounds"
ROUND_MINUTES = "round_minutes"
MAX_CANDIDATES = "max_candidates"
MAX_EMPLOYERS = "max_employers"
DEADLINE = "deadline"
QUESTION_MORE = "question_more"
QUESTION_TEXT = "question_text"
QUESTION_ANSWER = "question_answer"
SUMMARY = "summary"
FIX = "fix"

STEP_COUNT = 10
ZONE_CHOICES = ("Europe/Paris", "Europe/Zurich", "Europe/Brussels")
DURATION_CHOICES = (60, 120, 180, 240, 480)
ROOM_CHOICES = (1, 2, 4, 6, 8)
EMPLOYER_CHOICES = (0, 1, 2, 3)
CANDIDATE_CHOICES = (1, 2, 3, 4, 6, 8, 12)
ROUND_CHOICES = (1, 2, 3, 4, 5, 6)
ROUND_MINUTE_CHOICES = (15, 20, 30, 45, 60)
UNREADABLE_DATE = N_("I cannot read this date. Please write it like this: {example}.")

# "Correct" on the summary: the sections, and the question each starts with.
SECTIONS: dict[str, tuple[str, str]] = {
    "name": (N_("Name"), NAME),
    "date": (N_("Date and time"), STARTS_AT),
    "duration": (N_("Duration"), DURATION),
    "zone": (N_("Time zone"), TIMEZONE),
    "sites": (N_("Sites"), SITE_KIND),
    "format": (N_("Room format and rounds"), FORMAT),
    "capacity": (N_("Capacities"), MAX_CANDIDATES),
    "deadline": (N_("Sign-up deadline"), DEADLINE),
    "questions": (N_("Questions"), QUESTION_MORE),
}
BACK = "back"

Here = At[CreationDraft]
T = TypeVar("T")


# --------------------------------------------------------------------------- helpers
# Texts are written `_("…")` with `_ = at.tr`: the catalog extraction looks for `_`.


def zone_of(at: Here) -> str:
    return at.draft.timezone or services(at.context).settings.timezone


def done(at: Here) -> Outcome:
    """A section is answered: on to the next one, or back to the summary when correcting."""
    if at.draft.fixing:
        at.draft.fixing = False
        return Goto(SUMMARY)
    return None


def then(at: Here, state: str) -> Outcome:
    """A section is answered and `state` comes next (or the summary, when correcting)."""
    return done(at) or Goto(state)


def question(step: int, msgid: str, /, **values: Callable[[Here], object]) -> Callable[[Here], str]:
    """The prompt `msgid` under its step number ("3/10 · …"); `values` are read at asking."""
    return numbered(step, lambda at: at.tr(msgid, **{k: v(at) for k, v in values.items()}))


def numbered(number: int, text: Callable[[Here], str]) -> Callable[[Here], str]:
    return lambda at: f"<b>{number}/{STEP_COUNT}</b> · {text(at)}"


def typed(read: Callable[[Here, str], T], keep: Callable[[Here, T], Outcome]) -> Text[Any]:
    """A typed answer: `read` gives its value or raises `Invalid` (said, then asked again)."""

    def answer(at: Here, text: str) -> Outcome:
        try:
            value = read(at, text)
        except Invalid as refusal:
            return Refused(refusal.message, refusal.values)
        return keep(at, value)

    return Text(limit=MAX_MESSAGE, answer=answer)


def numbers(
    values: Iterable[int], label: Callable[[int], str] = str
) -> Callable[[Here], list[Option]]:
    return lambda at: [Option(str(value), label(value)) for value in values]


def suggested(count: Callable[[Here], int]) -> Callable[[Here], list[Option]]:
    """One button: the number that fits the rooms."""
    return lambda at: [Option(str(count(at)), str(count(at)))]


def pressed(keep: Callable[[Here, int], Outcome]) -> Callable[[Here, Option], Outcome]:
    """A number button (one of the options offered, so its value is digits)."""
    return lambda at, option: keep(at, int(option.value))


def text_up_to(limit: int) -> Callable[[Here, str], str]:
    return lambda at, raw: clean_text(raw, limit)


def number_between(low: int, high: int) -> Callable[[Here, str], int]:
    return lambda at, raw: parse_number(raw, low, high)


def minutes_between(low: int, high: int, *, bare_is_minutes: bool) -> Callable[[Here, str], int]:
    return lambda at, raw: parse_minutes(raw, low, high, bare_is_minutes=bare_is_minutes)


# --------------------------------------------------------------------------- 1-4: what, when


def keep_name(at: Here, name: str) -> Outcome:
    at.draft.name = name
    return done(at)


def read_start(at: Here, raw: str) -> datetime:
    """The start as typed (naive, in the event's zone): a time is needed, in the future."""
    zone = zone_of(at)
    example = example_date(zone)
    parsed = parse_french_datetime(raw, today=local_now(zone).date())
    if parsed is None:
        raise Invalid(UNREADABLE_DATE, example=example)
    if parsed.at is None:
        raise Invalid(N_("Please add the start time, for example: {example}."), example=example)
    starts_at = in_zone(parsed.naive(parsed.at), zone)
    if starts_at <= clock.now():
        raise Invalid(
            N_("This date is already past. Please give a date to come, e.g. {example}."),
            example=example,
        )
    if starts_at > clock.now() + timedelta(days=3 * 365):
        raise Invalid(PROBLEMS[Problem.START_TOO_FAR])
    return parsed.naive(parsed.at)


def keep_start(at: Here, starts_at: datetime) -> Outcome:
    at.draft.starts_at = starts_at
    return done(at)


def keep_duration(at: Here, minutes: int) -> Outcome:
    at.draft.duration_minutes = minutes
    return done(at)


def zone_options(at: Here) -> list[Option]:
    """The usual zone first; on the wire a position (a zone name has a `/`)."""
    usual = zone_of(at)
    zones = [usual, *(zone for zone in ZONE_CHOICES if zone != usual)]
    options = [Option(str(index), zone, answer=zone) for index, zone in enumerate(zones)]
    return [*options, Option(OTHER, at.tr.plain("Other"))]


def on_zone(at: Here, option: Option) -> Outcome:
    if option.value == OTHER:
        return Goto(TIMEZONE_OTHER)
    return keep_zone(at, option.kept)


def read_zone(at: Here, raw: str) -> str:
    zone = zone_named(raw[:64])
    if zone is None:
        raise Invalid(N_("I do not know this time zone. Write it like Europe/Paris."))
    return zone


def keep_zone(at: Here, zone: str) -> Outcome:
    at.draft.timezone = zone
    return then(at, SITE_KIND)


# --------------------------------------------------------------------------- 5: sites (a loop)


def kind_options(at: Here) -> list[Option]:
    return [
        Option("place", at.tr.plain("In person")),
        Option("remote", at.tr.plain("Remote (video)")),
    ]


def on_kind(at: Here, option: Option) -> Outcome:
    """A new site; the next questions are its name and address, or its video link."""
    if option.value == "remote":
        at.draft.site = SiteDraft(remote=True, name=at.tr.plain("Remote"))
    else:
        at.draft.site = SiteDraft(remote=False)
    return None


def remote(at: Here) -> bool:
    return at.draft.site is None or at.draft.site.remote


def in_person(at: Here) -> bool:
    return not remote(at)


def keep_on_site(attribute: str) -> Callable[[Here, str], Outcome]:
    def keep(at: Here, value: str) -> Outcome:
        if at.draft.site is None:
            return Goto(SITE_KIND)
        setattr(at.draft.site, attribute, value)
        return None

    return keep


def read_link(at: Here, raw: str) -> str:
    link = raw.strip()
    if not re.fullmatch(r"https?://\S+", link) or len(link) > URL_LIMIT:
        raise Invalid(N_("Please send a link that starts with https://"))
    return link


def keep_rooms(at: Here, rooms: int) -> Outcome:
    """The site's last answer: it joins the list."""
    site = at.draft.site
    if site is None or site.name is None:
        return Goto(SITE_KIND)
    site.rooms = rooms
    at.draft.sites = [*at.draft.sites, site]
    at.draft.site = None
    return None


def sites_so_far(at: Here) -> str:
    _ = at.tr
    names = ", ".join(site.name or "" for site in at.draft.sites)
    return _("Sites so far: {names}.", names=names)


def more_sites_options(at: Here) -> list[Option]:
    return [
        Option("site", at.tr.plain("Add another site")),
        Option("done", at.tr.plain("That's all")),
    ]


def on_more_sites(at: Here, option: Option) -> Outcome:
    if option.value == "site":
        if len(at.draft.sites) >= MAX_SITES:
            return Refused(N_("{count} sites at most."), {"count": MAX_SITES})
        return Goto(SITE_KIND)
    return done(at) if at.draft.sites else AGAIN


# ----------------------------------------------------------------- 6-8: format, rounds, capacities


def format_prompt(at: Here) -> str:
    _ = at.tr
    return (
        _("Which room format? Employers + candidates in each room.")
        + "\n"
        + _("You can also type it, for example 2+2.")
    )


def format_options(at: Here) -> list[Option]:
    presets = [Option(key, at.tr.plain(label)) for key, (label, _e, _c) in FORMATS.items()]
    return [*presets, Option(OTHER, at.tr.plain("Other"))]


Format = tuple[str | None, int, int]  # preset key, employers and candidates per room


def on_format(at: Here, option: Option) -> Outcome:
    if option.value == OTHER:
        return Goto(EMPLOYERS_PER_ROOM)
    _label, employers, candidates = FORMATS[option.value]
    return keep_format(at, (option.value, employers, candidates))


def read_format(at: Here, raw: str) -> Format:
    """A typed format such as "2+2" or "0 + 8"."""
    match = re.fullmatch(r"\s*([0-9]{1,2})\s*\+\s*([0-9]{1,2})\s*", raw)
    if match is None:
        raise Invalid(N_("Please press a button, or type the format like this: 2+2."))
    employers, candidates = int(match.group(1)), int(match.group(2))
    if employers > 10 or not 1 <= candidates <= 30:
        raise Invalid(N_("At most 10 employers and between 1 and 30 candidates per room."))
    return None, employers, candidates


def keep_format(at: Here, chosen: Format) -> Outcome:
    at.draft.format_key, at.draft.employers_per_room, at.draft.candidates_per_room = chosen
    return Goto(ROUNDS)


def keep_employers_per_room(at: Here, employers: int) -> Outcome:
    at.draft.employers_per_room = employers
    return None


def keep_candidates_per_room(at: Here, candidates: int) -> Outcome:
    at.draft.format_key = None
    at.draft.candidates_per_room = candidates
    return None


def keep_rounds(at: Here, rounds: int) -> Outcome:
    """One round lasts the whole event: no question about its length."""
    at.draft.rounds = rounds
    if rounds == 1:
        at.draft.round_minutes = at.draft.duration_minutes or 60
        return then(at, MAX_CANDIDATES)
    return None


def keep_round_minutes(at: Here, minutes: int) -> Outcome:
    rounds, duration = at.draft.rounds or 1, at.draft.duration_minutes or 0
    if rounds * minutes > duration:
        return Refused(
            N_("{rounds} rounds of {minutes} do not fit in {duration}. Shorter rounds, please."),
            {
                "rounds": rounds,
                "minutes": format_minutes(minutes),
                "duration": format_minutes(duration),
            },
        )
    at.draft.round_minutes = minutes
    return done(at)


def fitting_candidates(at: Here) -> int:
    return max(1, at.draft.rooms * (at.draft.candidates_per_room or 1))


def fitting_employers(at: Here) -> int:
    return max(1, at.draft.rooms * (at.draft.employers_per_room or 1))


def keep_max_candidates(at: Here, count: int) -> Outcome:
    """Groups of job seekers only (no employer per room) skip the employers' maximum."""
    at.draft.max_candidates = count
    if not at.draft.employers_per_room:
        at.draft.max_employers = 0
        return then(at, DEADLINE)
    return None


def keep_max_employers(at: Here, count: int) -> Outcome:
    at.draft.max_employers = count
    return done(at)


# -------------------------------------------------------------- 9-10: deadline, questions (a loop)


def deadline_example(at: Here) -> str:
    return example_date(zone_of(at)).split(" ")[0]


def deadline_options(at: Here) -> list[Option]:
    return [
        Option("1", at.tr.plain("The day before, 6 pm")),
        Option("7", at.tr.plain("One week before, 6 pm")),
    ]


def on_days_before(at: Here, option: Option) -> Outcome:
    if at.draft.starts_at is None:
        return Goto(STARTS_AT)
    day = at.draft.starts_at.date() - timedelta(days=int(option.value))
    return keep_deadline(at, datetime.combine(day, DEADLINE_HOUR))


def read_deadline(at: Here, raw: str) -> datetime:
    """A typed day (the end of it, unless a time is given)."""
    parsed = parse_french_datetime(raw, today=local_now(zone_of(at)).date())
    if parsed is None:
        raise Invalid(UNREADABLE_DATE, example=deadline_example(at))
    return parsed.naive(END_OF_DAY)


def keep_deadline(at: Here, deadline: datetime) -> Outcome:
    """`deadline` is naive, in the event's zone; it must fall between now and the start."""
    if at.draft.starts_at is None:
        return Goto(STARTS_AT)
    if deadline >= at.draft.starts_at:
        return Refused(PROBLEMS[Problem.DEADLINE_AFTER_START])
    if in_zone(deadline, zone_of(at)) <= clock.now():
        return Refused(PROBLEMS[Problem.DEADLINE_PAST])
    at.draft.registration_deadline = deadline
    return done(at)


def questions_prompt(at: Here) -> str:
    _ = at.tr
    count = len(at.draft.questions)
    if count == 0:
        return (
            _("Do you want to ask candidates a yes/no question to check they can take part?")
            + "\n"
            + _("For example: Did you get your diploma less than two years ago?")
        )
    return at.tr.n("{count} question so far.", "{count} questions so far.", count)


def more_questions_options(at: Here) -> list[Option]:
    last = at.tr.plain("No question") if not at.draft.questions else at.tr.plain("That's all")
    return [Option("add", at.tr.plain("Add a question")), Option("done", last)]


def on_more_questions(at: Here, option: Option) -> Outcome:
    if option.value == "done":
        return then(at, SUMMARY)
    if len(at.draft.questions) >= MAX_QUESTIONS:
        return Refused(N_("{count} questions at most."), {"count": MAX_QUESTIONS})
    return None


def keep_question(at: Here, text: str) -> Outcome:
    at.draft.question = text
    return None


def read_yes_no(at: Here, raw: str) -> bool:
    answer = raw.strip().casefold()
    if answer in ("oui", "yes", "o"):
        return True
    if answer in ("non", "no", "n"):
        return False
    raise Invalid(N_("Please press Yes or No."))


def keep_admits(at: Here, admits: bool) -> Outcome:
    """The question is complete; back to "another question?"."""
    if at.draft.question:
        at.draft.questions = [
            *at.draft.questions,
            QuestionDraft(text=at.draft.question, admits=admits),
        ]
    at.draft.question = None
    return Goto(QUESTION_MORE)


# --------------------------------------------------------------------------- summary, correcting


def summary_lines(at: Here) -> list[str]:
    """The event as it will be created, and what still prevents it."""
    _ = at.tr
    try:
        event = at.draft.complete()
    except ChangeRefused:
        return [at.tr(PROBLEMS[Problem.MISSING])]
    lines = [_("Here is your event. Is everything right?"), "", describe(_, event)]
    problems = draft_problems(event, clock.now())
    if problems:
        lines += ["", *("⚠️ " + at.tr(PROBLEMS[problem]) for problem in problems)]
        lines.append(_("Please press Correct."))
    return lines


def summary_options(at: Here) -> list[Option]:
    return [
        Option("create", at.tr.plain("Create")),
        Option("fix", at.tr.plain("Correct")),
        Option("cancel", at.tr.plain("Cancel")),
    ]


async def on_summary(at: Here, option: Option) -> Outcome:
    _ = at.tr
    if option.value == "create":
        return await create(at)
    if option.value == "fix":
        return Goto(FIX)
    await at.reply(_("Event creation stopped. Nothing was created."))
    return END


async def create(at: Here) -> Outcome:
    """Store the event (its rules checked once more), then send its links and QR codes."""
    _ = at.tr
    user = at.update.effective_user
    assert user is not None and at.context.user_data is not None
    try:
        event = await create_event(services(at.context).database, at.draft.complete(), user.id)
    except ChangeRefused as refusal:
        return Refused(PROBLEMS[refusal.problem], refusal.values)
    at.context.user_data[CREATED_KEY] = {"draft": at.draft.nonce, "event": event.id}
    await at.reply(_("✅ The event “{name}” is created.", name=event.name))
    await send_invitations(at.update, at.context, event)
    return END


def section_options(at: Here) -> list[Option]:
    sections = [Option(key, at.tr.plain(label)) for key, (label, _state) in SECTIONS.items()]
    return [*sections, Option(BACK, at.tr.plain("Back to the summary"))]


def on_section(at: Here, option: Option) -> Outcome:
    """Re-run one section; sites and questions are described again from scratch."""
    if option.value == BACK:
        return Goto(SUMMARY)
    at.draft.fixing = True
    if option.value == "sites":
        at.draft.sites, at.draft.site = [], None
    if option.value == "questions":
        at.draft.questions, at.draft.question = [], None
        at.draft.fixing = False  # the question loop ends on the summary by itself
    return Goto(SECTIONS[option.value][1])


# --------------------------------------------------------------------------- the flow

CREATION_FLOW = Flow(
    "event",
    steps=(
        Step(
            NAME,
            question(
                1, N_("What is the name of the event? For example: Ose ton projet, spring 2027.")
            ),
            typed(text_up_to(NAME_LIMIT), keep_name),
            field="name",
        ),
        Step(
            STARTS_AT,
            question(
                2,
                N_("When does it start? Write the date and time, for example {example}."),
                example=lambda at: example_date(zone_of(at)),
            ),
            typed(read_start, keep_start),
            field="starts_at",
        ),
        Step(
            DURATION,
            question(3, N_("How long does it last? Press a button or write it, e.g. 2h30.")),
            (
                Buttons(
                    numbers(DURATION_CHOICES, format_minutes), pressed(keep_duration), per_row=3
                ),
                typed(minutes_between(15, 24 * 60, bare_is_minutes=False), keep_duration),
            ),
            field="duration_minutes",
        ),
        Step(
            TIMEZONE,
            question(4, N_("Which time zone? The usual one is {zone}."), zone=zone_of),
            (Buttons(zone_options, on_zone, per_row=1), typed(read_zone, keep_zone)),
            field="timezone",
        ),
        Step(
            TIMEZONE_OTHER,
            question(
                4, N_("Type the time zone, for example Europe/Luxembourg or America/Montreal.")
            ),
            typed(read_zone, keep_zone),
            field="timezone",
        ),
        Step(
            SITE_KIND,
            question(
                5,
                N_("Site {number}: is it in person or remote?"),
                number=lambda at: len(at.draft.sites) + 1,
            ),
            Buttons(kind_options, on_kind),
        ),
        Step(
            SITE_NAME,
            question(
                5, N_("What is the name of the site? For example: Maison de l'emploi, Lausanne.")
            ),
            typed(text_up_to(NAME_LIMIT), keep_on_site("name")),
            skip=remote,
        ),
        Step(
            SITE_ADDRESS,
            question(5, N_("What is its address? People will see it in their convocation.")),
            typed(text_up_to(ADDRESS_LIMIT), keep_on_site("address")),
            skip=remote,
        ),
        Step(
            SITE_VIDEO,
            question(
                5, N_("What is the video link? For example: https://meet.example.org/passerelle")
            ),
            typed(read_link, keep_on_site("video_url")),
            skip=in_person,
        ),
        Step(
            SITE_ROOMS,
            question(
                5,
                N_("How many rooms (or seats, or computers) at this site? Press or type a number."),
            ),
            (
                Buttons(numbers(ROOM_CHOICES), pressed(keep_rooms), per_row=5),
                typed(number_between(1, 200), keep_rooms),
            ),
        ),
        Step(
            SITE_MORE,
            numbered(5, sites_so_far),
            Buttons(more_sites_options, on_more_sites, per_row=1),  # "Add another site": back up
            field="sites",
        ),
        Step(
            FORMAT,
            numbered(6, format_prompt),
            (Buttons(format_options, on_format, per_row=1), typed(read_format, keep_format)),
            field="format_key",
        ),
        Step(
            EMPLOYERS_PER_ROOM,
            question(6, N_("How many employers in each room? (0 for groups of job seekers only)")),
            (
                Buttons(numbers(EMPLOYER_CHOICES), pressed(keep_employers_per_room), per_row=4),
                typed(number_between(0, 10), keep_employers_per_room),
            ),
            field="employers_per_room",
        ),
        Step(
            CANDIDATES_PER_ROOM,
            question(6, N_("How many candidates in each room?")),
            (
                Buttons(numbers(CANDIDATE_CHOICES), pressed(keep_candidates_per_room), per_row=4),
                typed(number_between(1, 30), keep_candidates_per_room),
            ),
            field="candidates_per_room",
        ),
        Step(
            ROUNDS,
            question(7, N_("How many rounds (time slots)? People change rooms between rounds.")),
            (
                Buttons(numbers(ROUND_CHOICES), pressed(keep_rounds), per_row=6),
                typed(number_between(1, 20), keep_rounds),
            ),
            field="rounds",
        ),
        Step(
            ROUND_MINUTES,
            question(7, N_("How long is each round? Press or type it, e.g. 20 min.")),
            (
                Buttons(
                    numbers(ROUND_MINUTE_CHOICES, format_minutes),
                    pressed(keep_round_minutes),
                    per_row=5,
                ),
                typed(minutes_between(5, 8 * 60, bare_is_minutes=True), keep_round_minutes),
            ),
            field="round_minutes",
        ),
        Step(
            MAX_CANDIDATES,
            question(
                8,
                N_("How many candidates at most? With your rooms, {count} fit."),
                count=fitting_candidates,
            ),
            (
                Buttons(suggested(fitting_candidates), pressed(keep_max_candidates), per_row=1),
                typed(number_between(1, 2000), keep_max_candidates),
            ),
            field="max_candidates",
        ),
        Step(
            MAX_EMPLOYERS,
            question(
                8,
                N_("How many employers at most? With your rooms, {count} fit."),
                count=fitting_employers,
            ),
            (
                Buttons(suggested(fitting_employers), pressed(keep_max_employers), per_row=1),
                typed(number_between(1, 1000), keep_max_employers),
            ),
            field="max_employers",
        ),
        Step(
            DEADLINE,
            question(
                9,
                N_(
                    "Until when can people sign up? Press a button or write a date, e.g. {example}."
                ),
                example=deadline_example,
            ),
            (
                Buttons(deadline_options, on_days_before, per_row=1),
                typed(read_deadline, keep_deadline),
            ),
            field="registration_deadline",
        ),
        Step(
            QUESTION_MORE,
            numbered(10, questions_prompt),
            Buttons(more_questions_options, on_more_questions, per_row=1),
            field="questions",
        ),
        Step(
            QUESTION_TEXT,
            question(10, N_("Type the question. People will answer yes or no.")),
            typed(text_up_to(QUESTION_LIMIT), keep_question),
            field="question",
        ),
        Step(
            QUESTION_ANSWER,
            question(10, N_("Which answer lets a person sign up?")),
            (yes_no(keep_admits), typed(read_yes_no, keep_admits)),  # then "another question?"
        ),
        Step(
            SUMMARY,
            lambda at: "\n".join(summary_lines(at)),
            Buttons(summary_options, on_summary, per_row=3),
        ),
        Step(FIX, N_("What do you want to correct?"), Buttons(section_options, on_section)),
    ),
    summary=summary_lines,
    confirm=create,
)


# --------------------------------------------------------------------------- around the flow


async def lost(update: Update, context: Context) -> int:
    """The draft is gone (erased) or unreadable: say so; the conversation ends."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    _ = translator_for(update)
    await reply(update, _(PROBLEMS[Problem.MISSING]))
    return END


FORM = Form(
    drafts=DRAFTS,
    wire=Wire(EventAnswer, EventAnswerPair),
    flows=(CREATION_FLOW,),
    lost=lost,
)


async def new_event(update: Update, context: Context) -> object:
    """`/evenement` or the list's "Create an event": a fresh draft, the first question."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    _ = translator_for(update)
    await reply(
        update,
        _("Let's create an event. {count} short steps. Type /annuler to stop.", count=STEP_COUNT),
    )
    return await FORM.begin(update, context, CreationDraft(), NAME)


async def on_abandon(update: Update, context: Context) -> int:
    """/annuler at any step: nothing is created."""
    DRAFTS.drop(context)
    _ = translator_for(update)
    await reply(update, _("Event creation stopped. Nothing was created."))
    return END


async def on_button_before(update: Update, context: Context) -> object:
    """A creation button of an earlier release, mid-creation: the current question again."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    await query.answer(_.plain("This button is no longer valid."), show_alert=True)
    return await FORM.reask(update, context)


async def on_timeout(update: object, context: Context) -> None:
    DRAFTS.drop(context)
    if isinstance(update, Update) and update.effective_chat is not None:
        _ = translator_for(update)
        minutes = services(context).settings.conversation_timeout_minutes
        await context.bot.send_message(
            update.effective_chat.id,
            _(
                "No answer for {minutes} minutes: event creation stopped. "
                "Type /evenement to start again.",
                minutes=minutes,
            ),
        )


@staff_only
async def on_stale_button(update: Update, context: Context) -> None:
    """A creation button outside the conversation (a finished or older draft): say so."""
    query = update.callback_query
    assert query is not None and context.user_data is not None
    _ = translator_for(update)
    pressed = EventAnswer.parse(query.data)
    created = context.user_data.get(CREATED_KEY) or {}
    if pressed is not None and (pressed.nonce, pressed.step, pressed.value) == (
        created.get("draft"),
        SUMMARY,
        "create",
    ):
        await query.answer(_.plain("This event is already created."), show_alert=True)
        return
    await query.answer(_.plain("This button is no longer valid."), show_alert=True)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    timeout = services(application).settings.conversation_timeout_minutes
    before = prefix_pattern(EVENT_ANSWER_BEFORE)
    application.add_handler(
        user_conversation(
            name=CREATION,
            entry_points=[
                CommandHandler("evenement", new_event),
                CallbackQueryHandler(new_event, pattern=EventNew.pattern()),
            ],
            states={
                **FORM.states(),
                ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
            },
            fallbacks=[
                CommandHandler("annuler", on_abandon),
                CallbackQueryHandler(on_button_before, pattern=before),
            ],
            allow_reentry=True,
            conversation_timeout=timedelta(minutes=timeout),
            staff=True,
            reask=FORM.reask,
        )
    )
    application.add_handler(CallbackQueryHandler(on_stale_button, pattern=EventAnswer.pattern()))
    application.add_handler(CallbackQueryHandler(on_stale_button, pattern=before))
