"""Staff create events step by step (`/evenement`) and manage them (`/evenements`).

Creation is a persistent conversation: the draft lives in `user_data["event_draft"]` as
JSON, so a restart resumes at the same step. Each step validates its answer and re-asks
in French; "Corriger" on the summary re-runs one section and comes back to the summary.
"""

from __future__ import annotations

import html
import re
import secrets
import warnings
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot import clock
from bot.context import services, translator_for
from bot.dates import (
    format_minutes,
    format_short,
    format_when,
    in_zone,
    parse_duration_minutes,
    parse_french_datetime,
)
from bot.handlers.common import Context, reply, staff_only
from bot.i18n import N_, Translator
from bot.keyboards import button, column, rows, unpack
from bot.services.events import (
    ChangeRefused,
    EventDraft,
    EventView,
    Problem,
    cancel_event,
    create_event,
    draft_problems,
    get_event,
    list_events,
    update_event,
)
from bot.services.invitations import deep_link, qr_png

CREATION = "event_creation"
EDITING = "event_edit"
DRAFT_KEY = "event_draft"
CREATED_KEY = "event_created"
EDIT_KEY = "event_edit"
NEW = "evn"  # buttons of the creation conversation
MANAGE = "evt"  # buttons of the event list and details

# Creation states (strings: they are stored as JSON by our persistence).
NAME = "name"
STARTS_AT = "starts_at"
DURATION = "duration"
TIMEZONE = "timezone"
TIMEZONE_OTHER = "timezone_other"
SITE_KIND = "site_kind"
SITE_NAME = "site_name"
SITE_ADDRESS = "site_address"
SITE_ROOMS = "site_rooms"
SITE_VIDEO = "site_video"
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
EDIT_VALUE = "edit_value"

STEP_NUMBERS = {
    NAME: 1,
    STARTS_AT: 2,
    DURATION: 3,
    TIMEZONE: 4,
    TIMEZONE_OTHER: 4,
    SITE_KIND: 5,
    SITE_NAME: 5,
    SITE_ADDRESS: 5,
    SITE_ROOMS: 5,
    SITE_VIDEO: 5,
    SITE_MORE: 5,
    FORMAT: 6,
    EMPLOYERS_PER_ROOM: 6,
    CANDIDATES_PER_ROOM: 6,
    ROUNDS: 7,
    ROUND_MINUTES: 7,
    MAX_CANDIDATES: 8,
    MAX_EMPLOYERS: 8,
    DEADLINE: 9,
    QUESTION_MORE: 10,
    QUESTION_TEXT: 10,
    QUESTION_ANSWER: 10,
}
STEP_COUNT = 10

NAME_LIMIT = 200
ADDRESS_LIMIT = 500
QUESTION_LIMIT = 300
URL_LIMIT = 500
MAX_SITES = 10
MAX_QUESTIONS = 8
DEADLINE_HOUR = time(18, 0)
END_OF_DAY = time(23, 59)

ZONE_CHOICES = ("Europe/Paris", "Europe/Zurich", "Europe/Brussels")
DURATION_CHOICES = (60, 120, 180, 240, 480)
ROOM_CHOICES = (1, 2, 4, 6, 8)
ROUND_CHOICES = (1, 2, 3, 4, 5, 6)
ROUND_MINUTE_CHOICES = (15, 20, 30, 45, 60)
DEADLINE_DAYS = (1, 7)

# DOMAIN.md's five programmes as presets: (label, employers per room, candidates per room).
FORMATS: dict[str, tuple[str, int, int]] = {
    "ose": (N_("Ose ton projet 2+2"), 2, 2),
    "jobdating": (N_("Job dating 1+1"), 1, 1),
    "speed": (N_("Speed job dating 1+3"), 1, 3),
    "cosearch": (N_("Co-searching group 0+6–8"), 0, 8),
    "cohort": (N_("Cohort 0+12"), 0, 12),
}
OTHER = "other"

PROBLEMS = {
    Problem.MISSING: N_("Some answers are missing. Please type /evenement to start again."),
    Problem.START_PAST: N_("The start date is already past."),
    Problem.START_TOO_FAR: N_("The start date is more than three years away."),
    Problem.DEADLINE_AFTER_START: N_("The registration deadline must be before the start."),
    Problem.DEADLINE_PAST: N_("The registration deadline is already past."),
    Problem.ROUNDS_TOO_LONG: N_("The rounds do not fit in the duration of the event."),
    Problem.NO_SITE: N_("The event needs at least one site."),
    Problem.BELOW_REGISTERED: N_("{count} people are already registered: choose at least that."),
    Problem.CANCELLED: N_("This event is cancelled: it can no longer be changed."),
    Problem.UNKNOWN_FIELD: N_("This button is no longer valid."),
}


class Invalid(Exception):
    """An answer that cannot be used; the message says, in French, what is expected."""


# --------------------------------------------------------------------------- small helpers


def _draft(context: Context) -> dict[str, Any]:
    assert context.user_data is not None
    draft: dict[str, Any] = context.user_data.setdefault(DRAFT_KEY, {})
    return draft


def _text(update: Update) -> str:
    message = update.effective_message
    return (message.text or "") if message else ""


def _clean(_: Translator, raw: str, limit: int) -> str:
    text = " ".join(raw.split())
    if not text:
        raise Invalid(_("Your answer is empty. Please type it."))
    if len(text) > limit:
        raise Invalid(_("That is too long: {limit} characters at most.", limit=limit))
    return text


def _number(_: Translator, raw: str, low: int, high: int) -> int:
    text = raw.strip()
    if not re.fullmatch(r"[+-]?\d{1,9}", text):
        raise Invalid(_("Please type a number, for example {example}.", example=max(low, 2)))
    value = int(text)
    if value < low:
        raise Invalid(_("Please type a number of at least {low}.", low=low))
    if value > high:
        raise Invalid(_("That is too many: {high} at most.", high=high))
    return value


def _minutes(_: Translator, raw: str, low: int, high: int, *, bare_is_minutes: bool) -> int:
    text = raw.strip()
    value = int(text) if bare_is_minutes and text.isdigit() else parse_duration_minutes(text)
    if value is None:
        raise Invalid(_("Please write a duration, for example 3h, 2h30 or 90 min."))
    if value < low:
        raise Invalid(_("That is too short: at least {duration}.", duration=format_minutes(low)))
    if value > high:
        raise Invalid(_("That is too long: {duration} at most.", duration=format_minutes(high)))
    return value


def _zone_named(raw: str) -> str | None:
    """An IANA zone from 'Europe/Paris', 'europe/paris' or just 'Zurich'."""
    wanted = raw.strip().replace(" ", "_").casefold()
    if not wanted:
        return None
    zones = available_timezones()
    for zone in sorted(zones):
        if zone.casefold() == wanted:
            return zone
    for zone in sorted(zones):
        if "/" in zone and zone.rsplit("/", 1)[1].casefold() == wanted:
            return zone
    return None


def _local_now(zone: str) -> datetime:
    return clock.now().astimezone(ZoneInfo(zone))


def _example_date(zone: str) -> str:
    soon = _local_now(zone) + timedelta(days=30)
    return soon.strftime("%d/%m/%Y") + " 13h30"


def _zone(context: Context) -> str:
    return str(_draft(context).get("timezone") or services(context).settings.timezone)


def _format_label(_: Translator, key: str | None, employers: int, candidates: int) -> str:
    if key in FORMATS:
        return _.plain(FORMATS[key][0])
    return _.plain(
        "{employers} employer(s) + {candidates} candidate(s) per room",
        employers=employers,
        candidates=candidates,
    )


def _short(text: str | None, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _step(state: str, text: str) -> str:
    number = STEP_NUMBERS.get(state)
    return f"<b>{number}/{STEP_COUNT}</b> · {text}" if number else text


# --------------------------------------------------------------------------- prompts


Markup = InlineKeyboardMarkup | None
Prompt = Callable[[Translator, dict[str, Any], str], tuple[str, Markup]]


def _p_name(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    return _("What is the name of the event? For example: Ose ton projet, spring 2027."), None


def _p_starts_at(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    return (
        _(
            "When does it start? Write the date and time, for example {example}.",
            example=_example_date(zone),
        ),
        None,
    )


def _p_duration(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    choices = [button(format_minutes(m), NEW, "dur", m) for m in DURATION_CHOICES]
    return _("How long does it last? Press a button or write it, e.g. 2h30."), rows(choices, 3)


def _p_timezone(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    zones = [zone, *(choice for choice in ZONE_CHOICES if choice != zone)]
    choices = [button(choice, NEW, "tz", choice) for choice in zones]
    choices.append(button(_.plain("Other"), NEW, "tz", OTHER))
    return _("Which time zone? The usual one is {zone}.", zone=zone), column(choices)


def _p_timezone_other(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    return _("Type the time zone, for example Europe/Luxembourg or America/Montreal."), None


def _p_site_kind(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    number = len(draft.get("sites", [])) + 1
    choices = [
        button(_.plain("In person"), NEW, "site", "place"),
        button(_.plain("Remote (video)"), NEW, "site", "remote"),
    ]
    return _("Site {number}: is it in person or remote?", number=number), rows(choices)


def _p_site_name(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    return _("What is the name of the site? For example: Maison de l'emploi, Lausanne."), None


def _p_site_address(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    return _("What is its address? People will see it in their convocation."), None


def _p_site_rooms(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    choices = [button(str(n), NEW, "rooms", n) for n in ROOM_CHOICES]
    return (
        _("How many rooms (or seats, or computers) at this site? Press or type a number."),
        rows(choices, 5),
    )


def _p_site_video(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    return _("What is the video link? For example: https://meet.example.org/passerelle"), None


def _p_site_more(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    names = ", ".join(site["name"] for site in draft.get("sites", []))
    choices = [
        button(_.plain("Add another site"), NEW, "more", "site"),
        button(_.plain("That's all"), NEW, "more", "done"),
    ]
    return _("Sites so far: {names}.", names=names), column(choices)


def _p_format(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    choices = [button(_.plain(label), NEW, "fmt", key) for key, (label, _e, _c) in FORMATS.items()]
    choices.append(button(_.plain("Other"), NEW, "fmt", OTHER))
    return (
        _("Which room format? Employers + candidates in each room.")
        + "\n"
        + _("You can also type it, for example 2+2."),
        column(choices),
    )


def _p_employers_per_room(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    choices = [button(str(n), NEW, "epr", n) for n in range(4)]
    return _("How many employers in each room? (0 for groups of job seekers only)"), rows(
        choices, 4
    )


def _p_candidates_per_room(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    choices = [button(str(n), NEW, "cpr", n) for n in (1, 2, 3, 4, 6, 8, 12)]
    return _("How many candidates in each room?"), rows(choices, 4)


def _p_rounds(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    choices = [button(str(n), NEW, "rounds", n) for n in ROUND_CHOICES]
    return (
        _("How many rounds (time slots)? People change rooms between rounds."),
        rows(choices, 6),
    )


def _p_round_minutes(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    choices = [button(format_minutes(m), NEW, "rmin", m) for m in ROUND_MINUTE_CHOICES]
    return _("How long is each round? Press or type it, e.g. 20 min."), rows(choices, 5)


def _suggested_candidates(draft: dict[str, Any]) -> int:
    rooms = sum(int(site["rooms"]) for site in draft.get("sites", []))
    return max(1, rooms * int(draft.get("candidates_per_room", 1)))


def _suggested_employers(draft: dict[str, Any]) -> int:
    rooms = sum(int(site["rooms"]) for site in draft.get("sites", []))
    return max(1, rooms * int(draft.get("employers_per_room", 1)))


def _p_max_candidates(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    suggested = _suggested_candidates(draft)
    return (
        _("How many candidates at most? With your rooms, {count} fit.", count=suggested),
        column([button(str(suggested), NEW, "maxc", suggested)]),
    )


def _p_max_employers(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    suggested = _suggested_employers(draft)
    return (
        _("How many employers at most? With your rooms, {count} fit.", count=suggested),
        column([button(str(suggested), NEW, "maxe", suggested)]),
    )


def _p_deadline(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    choices = [
        button(_.plain("The day before, 6 pm"), NEW, "dl", 1),
        button(_.plain("One week before, 6 pm"), NEW, "dl", 7),
    ]
    return (
        _(
            "Until when can people sign up? Press a button or write a date, e.g. {example}.",
            example=_example_date(zone).split(" ")[0],
        ),
        column(choices),
    )


def _p_question_more(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    count = len(draft.get("questions", []))
    text = (
        _("Do you want to ask candidates a yes/no question to check they can take part?")
        + "\n"
        + _("For example: Did you get your diploma less than two years ago?")
        if count == 0
        else _.n("{count} question so far.", "{count} questions so far.", count)
    )
    choices = [
        button(_.plain("Add a question"), NEW, "q", "add"),
        button(_.plain("No question") if count == 0 else _.plain("That's all"), NEW, "q", "done"),
    ]
    return text, column(choices)


def _p_question_text(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    return _("Type the question. People will answer yes or no."), None


def _p_question_answer(_: Translator, draft: dict[str, Any], zone: str) -> tuple[str, Markup]:
    choices = [button(_.plain("Yes"), NEW, "qa", "yes"), button(_.plain("No"), NEW, "qa", "no")]
    return _("Which answer lets a person sign up?"), rows(choices)


PROMPTS: dict[str, Prompt] = {
    NAME: _p_name,
    STARTS_AT: _p_starts_at,
    DURATION: _p_duration,
    TIMEZONE: _p_timezone,
    TIMEZONE_OTHER: _p_timezone_other,
    SITE_KIND: _p_site_kind,
    SITE_NAME: _p_site_name,
    SITE_ADDRESS: _p_site_address,
    SITE_ROOMS: _p_site_rooms,
    SITE_VIDEO: _p_site_video,
    SITE_MORE: _p_site_more,
    FORMAT: _p_format,
    EMPLOYERS_PER_ROOM: _p_employers_per_room,
    CANDIDATES_PER_ROOM: _p_candidates_per_room,
    ROUNDS: _p_rounds,
    ROUND_MINUTES: _p_round_minutes,
    MAX_CANDIDATES: _p_max_candidates,
    MAX_EMPLOYERS: _p_max_employers,
    DEADLINE: _p_deadline,
    QUESTION_MORE: _p_question_more,
    QUESTION_TEXT: _p_question_text,
    QUESTION_ANSWER: _p_question_answer,
}


async def _ask(update: Update, context: Context, state: str, error: str | None = None) -> str:
    """Send the question of `state` (after `error`, if the last answer was refused)."""
    _ = translator_for(update)
    draft = _draft(context)
    draft["step"] = state
    text, markup = PROMPTS[state](_, draft, _zone(context))
    text = _step(state, text)
    await reply(update, f"⚠️ {error}\n\n{text}" if error else text, reply_markup=markup)
    return state


async def _advance(update: Update, context: Context, next_state: str) -> str:
    """The next section, or back to the summary when a section was being corrected."""
    if _draft(context).get("fixing"):
        return await _show_summary(update, context)
    return await _ask(update, context, next_state)


async def _answer(update: Update) -> list[str]:
    """Acknowledge the button press at once; returns the callback data parts."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    return unpack(query.data)


# --------------------------------------------------------------------------- describing events


def describe(_: Translator, event: EventDraft | EventView) -> str:
    """The event on one small screen: what, when, where, how, who, until when."""
    zone = event.timezone
    lines = [
        f"<b>{html.escape(event.name)}</b>",
        _("📅 {when} ({zone})", when=format_when(event.starts_at, zone), zone=zone),
        _("⏱ Duration: {duration}", duration=format_minutes(event.duration_minutes)),
    ]
    for site in event.sites:
        where = _short(site.video_url if site.remote else site.address, 80)
        lines.append(
            _.n(
                "📍 {site} — {where} — {count} room",
                "📍 {site} — {where} — {count} rooms",
                site.rooms,
                site=_short(site.name, 60),
                where=where,
            )
        )
    lines.append(
        _(
            "👥 Format: {format}",
            format=_format_label(
                _, event.format_key, event.employers_per_room, event.candidates_per_room
            ),
        )
    )
    lines.append(
        _.n(
            "🔁 {count} round of {minutes}",
            "🔁 {count} rounds of {minutes}",
            event.rounds,
            minutes=format_minutes(event.round_minutes),
        )
    )
    lines.append(
        _(
            "🎟 At most {candidates} candidates and {employers} employers",
            candidates=event.max_candidates if event.max_candidates is not None else "—",
            employers=event.max_employers if event.max_employers is not None else "—",
        )
    )
    if event.registration_deadline is not None:
        lines.append(
            _("⏳ Sign-up until {when}", when=format_when(event.registration_deadline, zone))
        )
    for question in event.questions:
        admits = _("yes") if question.admitting_answer else _("no")
        lines.append(
            _(
                "❓ {question} (admitted if: {answer})",
                question=_short(question.text, 150),
                answer=admits,
            )
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- creation: entry


@staff_only
async def new_event(update: Update, context: Context) -> str:
    """`/evenement` or the "Create an event" button: a fresh draft, first question."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = {"id": secrets.token_hex(4), "sites": [], "questions": []}
    _ = translator_for(update)
    await reply(
        update,
        _("Let's create an event. {count} short steps. Type /annuler to stop.", count=STEP_COUNT),
    )
    return await _ask(update, context, NAME)


# --------------------------------------------------------------------------- creation: states


@staff_only
async def on_name(update: Update, context: Context) -> str:
    _ = translator_for(update)
    try:
        name = _clean(_, _text(update), NAME_LIMIT)
    except Invalid as refusal:
        return await _ask(update, context, NAME, str(refusal))
    _draft(context)["name"] = name
    return await _advance(update, context, STARTS_AT)


@staff_only
async def on_starts_at(update: Update, context: Context) -> str:
    _ = translator_for(update)
    zone = _zone(context)
    example = _example_date(zone)
    raw = _text(update)
    parsed = parse_french_datetime(raw, today=_local_now(zone).date()) if raw.strip() else None
    if parsed is None:
        error = _("I cannot read this date. Please write it like this: {example}.", example=example)
        return await _ask(update, context, STARTS_AT, error)
    if parsed.at is None:
        error = _("Please add the start time, for example: {example}.", example=example)
        return await _ask(update, context, STARTS_AT, error)
    starts_at = in_zone(parsed.naive(parsed.at), zone)
    if starts_at <= clock.now():
        error = _(
            "This date is already past. Please give a date to come, e.g. {example}.",
            example=example,
        )
        return await _ask(update, context, STARTS_AT, error)
    if starts_at > clock.now() + timedelta(days=3 * 365):
        return await _ask(update, context, STARTS_AT, _(PROBLEMS[Problem.START_TOO_FAR]))
    _draft(context)["starts_at"] = parsed.naive(parsed.at).isoformat()
    return await _advance(update, context, DURATION)


async def _set_duration(update: Update, context: Context, minutes: int) -> str:
    _draft(context)["duration"] = minutes
    return await _advance(update, context, TIMEZONE)


@staff_only
async def on_duration(update: Update, context: Context) -> str:
    _ = translator_for(update)
    try:
        minutes = _minutes(_, _text(update), 15, 24 * 60, bare_is_minutes=False)
    except Invalid as refusal:
        return await _ask(update, context, DURATION, str(refusal))
    return await _set_duration(update, context, minutes)


@staff_only
async def on_duration_button(update: Update, context: Context) -> str:
    parts = await _answer(update)
    if len(parts) < 3 or not parts[2].isdigit() or int(parts[2]) not in DURATION_CHOICES:
        return await _ask(update, context, DURATION)
    return await _set_duration(update, context, int(parts[2]))


async def _set_zone(update: Update, context: Context, zone: str) -> str:
    _draft(context)["timezone"] = zone
    return await _advance(update, context, SITE_KIND)


@staff_only
async def on_timezone_button(update: Update, context: Context) -> str:
    parts = await _answer(update)
    choice = parts[2] if len(parts) > 2 else ""
    if choice == OTHER:
        return await _ask(update, context, TIMEZONE_OTHER)
    allowed = {*ZONE_CHOICES, services(context).settings.timezone, _zone(context)}
    if choice not in allowed:
        return await _ask(update, context, TIMEZONE)
    return await _set_zone(update, context, choice)


@staff_only
async def on_timezone_text(update: Update, context: Context) -> str:
    """A typed zone, in the button step or after "Other"."""
    _ = translator_for(update)
    zone = _zone_named(_text(update)[:64])
    if zone is None:
        error = _("I do not know this time zone. Write it like Europe/Paris.")
        return await _ask(update, context, TIMEZONE_OTHER, error)
    return await _set_zone(update, context, zone)


@staff_only
async def on_site_kind(update: Update, context: Context) -> str:
    parts = await _answer(update)
    kind = parts[2] if len(parts) > 2 else ""
    if kind not in ("place", "remote"):
        return await _ask(update, context, SITE_KIND)
    draft = _draft(context)
    _ = translator_for(update)
    if kind == "remote":
        draft["site"] = {"name": _.plain("Remote"), "remote": True}
        return await _ask(update, context, SITE_VIDEO)
    draft["site"] = {"remote": False}
    return await _ask(update, context, SITE_NAME)


@staff_only
async def on_site_name(update: Update, context: Context) -> str:
    _ = translator_for(update)
    try:
        name = _clean(_, _text(update), NAME_LIMIT)
    except Invalid as refusal:
        return await _ask(update, context, SITE_NAME, str(refusal))
    _draft(context).setdefault("site", {})["name"] = name
    return await _ask(update, context, SITE_ADDRESS)


@staff_only
async def on_site_address(update: Update, context: Context) -> str:
    _ = translator_for(update)
    try:
        address = _clean(_, _text(update), ADDRESS_LIMIT)
    except Invalid as refusal:
        return await _ask(update, context, SITE_ADDRESS, str(refusal))
    _draft(context).setdefault("site", {})["address"] = address
    return await _ask(update, context, SITE_ROOMS)


@staff_only
async def on_site_video(update: Update, context: Context) -> str:
    _ = translator_for(update)
    link = _text(update).strip()
    if not re.fullmatch(r"https?://\S+", link) or len(link) > URL_LIMIT:
        error = _("Please send a link that starts with https://")
        return await _ask(update, context, SITE_VIDEO, error)
    _draft(context).setdefault("site", {})["video_url"] = link
    return await _ask(update, context, SITE_ROOMS)


async def _set_rooms(update: Update, context: Context, rooms: int) -> str:
    draft = _draft(context)
    site = draft.pop("site", None)
    if not site or "name" not in site:
        return await _ask(update, context, SITE_KIND)
    site["rooms"] = rooms
    draft.setdefault("sites", []).append(site)
    return await _ask(update, context, SITE_MORE)


@staff_only
async def on_site_rooms(update: Update, context: Context) -> str:
    _ = translator_for(update)
    try:
        rooms = _number(_, _text(update), 1, 200)
    except Invalid as refusal:
        return await _ask(update, context, SITE_ROOMS, str(refusal))
    return await _set_rooms(update, context, rooms)


@staff_only
async def on_site_rooms_button(update: Update, context: Context) -> str:
    parts = await _answer(update)
    if len(parts) < 3 or not parts[2].isdigit() or int(parts[2]) not in ROOM_CHOICES:
        return await _ask(update, context, SITE_ROOMS)
    return await _set_rooms(update, context, int(parts[2]))


@staff_only
async def on_site_more(update: Update, context: Context) -> str:
    parts = await _answer(update)
    choice = parts[2] if len(parts) > 2 else ""
    draft = _draft(context)
    if choice == "site":
        if len(draft.get("sites", [])) >= MAX_SITES:
            _ = translator_for(update)
            error = _("{count} sites at most.", count=MAX_SITES)
            return await _ask(update, context, SITE_MORE, error)
        return await _ask(update, context, SITE_KIND)
    if choice == "done" and draft.get("sites"):
        return await _advance(update, context, FORMAT)
    return await _ask(update, context, SITE_MORE)


async def _set_format(
    update: Update, context: Context, key: str | None, employers: int, candidates: int
) -> str:
    draft = _draft(context)
    draft.update(format_key=key, employers_per_room=employers, candidates_per_room=candidates)
    return await _ask(update, context, ROUNDS)


@staff_only
async def on_format_button(update: Update, context: Context) -> str:
    parts = await _answer(update)
    key = parts[2] if len(parts) > 2 else ""
    if key == OTHER:
        return await _ask(update, context, EMPLOYERS_PER_ROOM)
    if key not in FORMATS:
        return await _ask(update, context, FORMAT)
    _label, employers, candidates = FORMATS[key]
    return await _set_format(update, context, key, employers, candidates)


@staff_only
async def on_format_text(update: Update, context: Context) -> str:
    """A typed format such as "2+2" or "0 + 8"."""
    _ = translator_for(update)
    match = re.fullmatch(r"\s*(\d{1,2})\s*\+\s*(\d{1,2})\s*", _text(update))
    if match is None:
        error = _("Please press a button, or type the format like this: 2+2.")
        return await _ask(update, context, FORMAT, error)
    employers, candidates = int(match.group(1)), int(match.group(2))
    if employers > 10 or not 1 <= candidates <= 30:
        error = _("At most 10 employers and between 1 and 30 candidates per room.")
        return await _ask(update, context, FORMAT, error)
    return await _set_format(update, context, None, employers, candidates)


async def _set_employers_per_room(update: Update, context: Context, value: int) -> str:
    _draft(context)["employers_per_room"] = value
    return await _ask(update, context, CANDIDATES_PER_ROOM)


@staff_only
async def on_employers_per_room(update: Update, context: Context) -> str:
    _ = translator_for(update)
    try:
        value = _number(_, _text(update), 0, 10)
    except Invalid as refusal:
        return await _ask(update, context, EMPLOYERS_PER_ROOM, str(refusal))
    return await _set_employers_per_room(update, context, value)


@staff_only
async def on_employers_per_room_button(update: Update, context: Context) -> str:
    parts = await _answer(update)
    if len(parts) < 3 or not parts[2].isdigit() or int(parts[2]) > 3:
        return await _ask(update, context, EMPLOYERS_PER_ROOM)
    return await _set_employers_per_room(update, context, int(parts[2]))


async def _set_candidates_per_room(update: Update, context: Context, value: int) -> str:
    draft = _draft(context)
    employers = int(draft.get("employers_per_room", 0))
    return await _set_format(update, context, None, employers, value)


@staff_only
async def on_candidates_per_room(update: Update, context: Context) -> str:
    _ = translator_for(update)
    try:
        value = _number(_, _text(update), 1, 30)
    except Invalid as refusal:
        return await _ask(update, context, CANDIDATES_PER_ROOM, str(refusal))
    return await _set_candidates_per_room(update, context, value)


@staff_only
async def on_candidates_per_room_button(update: Update, context: Context) -> str:
    parts = await _answer(update)
    if len(parts) < 3 or not parts[2].isdigit() or not 1 <= int(parts[2]) <= 30:
        return await _ask(update, context, CANDIDATES_PER_ROOM)
    return await _set_candidates_per_room(update, context, int(parts[2]))


async def _set_rounds(update: Update, context: Context, rounds: int) -> str:
    draft = _draft(context)
    draft["rounds"] = rounds
    if rounds == 1:
        draft["round_minutes"] = int(draft.get("duration", 60))
        return await _advance(update, context, MAX_CANDIDATES)
    return await _ask(update, context, ROUND_MINUTES)


@staff_only
async def on_rounds(update: Update, context: Context) -> str:
    _ = translator_for(update)
    try:
        rounds = _number(_, _text(update), 1, 20)
    except Invalid as refusal:
        return await _ask(update, context, ROUNDS, str(refusal))
    return await _set_rounds(update, context, rounds)


@staff_only
async def on_rounds_button(update: Update, context: Context) -> str:
    parts = await _answer(update)
    if len(parts) < 3 or not parts[2].isdigit() or int(parts[2]) not in ROUND_CHOICES:
        return await _ask(update, context, ROUNDS)
    return await _set_rounds(update, context, int(parts[2]))


async def _set_round_minutes(update: Update, context: Context, minutes: int) -> str:
    _ = translator_for(update)
    draft = _draft(context)
    rounds, duration = int(draft.get("rounds", 1)), int(draft.get("duration", 0))
    if rounds * minutes > duration:
        error = _(
            "{rounds} rounds of {minutes} do not fit in {duration}. Shorter rounds, please.",
            rounds=rounds,
            minutes=format_minutes(minutes),
            duration=format_minutes(duration),
        )
        return await _ask(update, context, ROUND_MINUTES, error)
    draft["round_minutes"] = minutes
    return await _advance(update, context, MAX_CANDIDATES)


@staff_only
async def on_round_minutes(update: Update, context: Context) -> str:
    _ = translator_for(update)
    try:
        minutes = _minutes(_, _text(update), 5, 8 * 60, bare_is_minutes=True)
    except Invalid as refusal:
        return await _ask(update, context, ROUND_MINUTES, str(refusal))
    return await _set_round_minutes(update, context, minutes)


@staff_only
async def on_round_minutes_button(update: Update, context: Context) -> str:
    parts = await _answer(update)
    if len(parts) < 3 or not parts[2].isdigit() or int(parts[2]) not in ROUND_MINUTE_CHOICES:
        return await _ask(update, context, ROUND_MINUTES)
    return await _set_round_minutes(update, context, int(parts[2]))


async def _set_max_candidates(update: Update, context: Context, value: int) -> str:
    draft = _draft(context)
    draft["max_candidates"] = value
    if int(draft.get("employers_per_room", 0)) == 0:
        draft["max_employers"] = 0
        return await _advance(update, context, DEADLINE)
    return await _ask(update, context, MAX_EMPLOYERS)


@staff_only
async def on_max_candidates(update: Update, context: Context) -> str:
    _ = translator_for(update)
    try:
        value = _number(_, _text(update), 1, 2000)
    except Invalid as refusal:
        return await _ask(update, context, MAX_CANDIDATES, str(refusal))
    return await _set_max_candidates(update, context, value)


@staff_only
async def on_max_candidates_button(update: Update, context: Context) -> str:
    parts = await _answer(update)
    if len(parts) < 3 or not parts[2].isdigit() or not 1 <= int(parts[2]) <= 2000:
        return await _ask(update, context, MAX_CANDIDATES)
    return await _set_max_candidates(update, context, int(parts[2]))


async def _set_max_employers(update: Update, context: Context, value: int) -> str:
    _draft(context)["max_employers"] = value
    return await _advance(update, context, DEADLINE)


@staff_only
async def on_max_employers(update: Update, context: Context) -> str:
    _ = translator_for(update)
    try:
        value = _number(_, _text(update), 1, 1000)
    except Invalid as refusal:
        return await _ask(update, context, MAX_EMPLOYERS, str(refusal))
    return await _set_max_employers(update, context, value)


@staff_only
async def on_max_employers_button(update: Update, context: Context) -> str:
    parts = await _answer(update)
    if len(parts) < 3 or not parts[2].isdigit() or not 1 <= int(parts[2]) <= 1000:
        return await _ask(update, context, MAX_EMPLOYERS)
    return await _set_max_employers(update, context, int(parts[2]))


async def _set_deadline(update: Update, context: Context, deadline: datetime) -> str:
    """`deadline` is naive, in the event's time zone; it must fall between now and the start."""
    _ = translator_for(update)
    draft = _draft(context)
    zone = _zone(context)
    starts_at = datetime.fromisoformat(draft["starts_at"])
    if deadline >= starts_at:
        return await _ask(update, context, DEADLINE, _(PROBLEMS[Problem.DEADLINE_AFTER_START]))
    if in_zone(deadline, zone) <= clock.now():
        return await _ask(update, context, DEADLINE, _(PROBLEMS[Problem.DEADLINE_PAST]))
    draft["deadline"] = deadline.isoformat()
    return await _advance(update, context, QUESTION_MORE)


@staff_only
async def on_deadline(update: Update, context: Context) -> str:
    _ = translator_for(update)
    zone = _zone(context)
    raw = _text(update)
    parsed = parse_french_datetime(raw, today=_local_now(zone).date()) if raw.strip() else None
    if parsed is None:
        example = _example_date(zone).split(" ")[0]
        error = _("I cannot read this date. Please write it like this: {example}.", example=example)
        return await _ask(update, context, DEADLINE, error)
    return await _set_deadline(update, context, parsed.naive(END_OF_DAY))


@staff_only
async def on_deadline_button(update: Update, context: Context) -> str:
    parts = await _answer(update)
    if len(parts) < 3 or not parts[2].isdigit() or int(parts[2]) not in DEADLINE_DAYS:
        return await _ask(update, context, DEADLINE)
    starts_at = datetime.fromisoformat(_draft(context)["starts_at"])
    day = starts_at.date() - timedelta(days=int(parts[2]))
    return await _set_deadline(update, context, datetime.combine(day, DEADLINE_HOUR))


@staff_only
async def on_question_more(update: Update, context: Context) -> str:
    parts = await _answer(update)
    choice = parts[2] if len(parts) > 2 else ""
    draft = _draft(context)
    if choice == "add":
        if len(draft.get("questions", [])) >= MAX_QUESTIONS:
            _ = translator_for(update)
            error = _("{count} questions at most.", count=MAX_QUESTIONS)
            return await _ask(update, context, QUESTION_MORE, error)
        return await _ask(update, context, QUESTION_TEXT)
    if choice == "done":
        return await _show_summary(update, context)
    return await _ask(update, context, QUESTION_MORE)


@staff_only
async def on_question_text(update: Update, context: Context) -> str:
    _ = translator_for(update)
    try:
        text = _clean(_, _text(update), QUESTION_LIMIT)
    except Invalid as refusal:
        return await _ask(update, context, QUESTION_TEXT, str(refusal))
    _draft(context)["question"] = text
    return await _ask(update, context, QUESTION_ANSWER)


async def _set_question_answer(update: Update, context: Context, admits: bool) -> str:
    draft = _draft(context)
    text = draft.pop("question", None)
    if text:
        draft.setdefault("questions", []).append({"text": text, "admits": admits})
    return await _ask(update, context, QUESTION_MORE)


@staff_only
async def on_question_answer_button(update: Update, context: Context) -> str:
    parts = await _answer(update)
    choice = parts[2] if len(parts) > 2 else ""
    if choice not in ("yes", "no"):
        return await _ask(update, context, QUESTION_ANSWER)
    return await _set_question_answer(update, context, choice == "yes")


@staff_only
async def on_question_answer_text(update: Update, context: Context) -> str:
    answer = _text(update).strip().casefold()
    if answer in ("oui", "yes", "o"):
        return await _set_question_answer(update, context, True)
    if answer in ("non", "no", "n"):
        return await _set_question_answer(update, context, False)
    _ = translator_for(update)
    return await _ask(update, context, QUESTION_ANSWER, _("Please press Yes or No."))


@staff_only
async def press_a_button(update: Update, context: Context) -> str | None:
    """Typed text where only buttons fit: show the question again."""
    _ = translator_for(update)
    step = _draft(context).get("step")
    if step == SUMMARY or step not in PROMPTS:
        return await _show_summary(update, context, _("Please press a button below."))
    return await _ask(update, context, str(step), _("Please press a button below."))


# --------------------------------------------------------------------------- summary and fixes


FIX_SECTIONS: dict[str, tuple[str, str]] = {
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


async def _show_summary(update: Update, context: Context, error: str | None = None) -> str:
    _ = translator_for(update)
    draft = _draft(context)
    draft["step"] = SUMMARY
    draft.pop("fixing", None)
    try:
        event = EventDraft.from_dict(draft)
    except ChangeRefused:
        await reply(update, _(PROBLEMS[Problem.MISSING]))
        context.user_data.pop(DRAFT_KEY, None)  # type: ignore[union-attr]
        return ConversationHandler.END  # type: ignore[return-value]
    problems = draft_problems(event, clock.now())
    text = _("Here is your event. Is everything right?") + "\n\n" + describe(_, event)
    if problems:
        text += "\n\n" + "\n".join("⚠️ " + _(PROBLEMS[problem]) for problem in problems)
        text += "\n" + _("Please press Correct.")
    if error:
        text = f"⚠️ {error}\n\n{text}"
    choices = [
        button(_.plain("Create"), NEW, "create", draft.get("id", "")),
        button(_.plain("Correct"), NEW, "fix"),
        button(_.plain("Cancel"), NEW, "cancel"),
    ]
    await reply(update, text, reply_markup=rows(choices, 3))
    return SUMMARY


@staff_only
async def on_create(update: Update, context: Context) -> str:
    """ "Create": store the event, send the two links and QR codes; the draft is gone after."""
    query = update.callback_query
    assert query is not None and context.user_data is not None
    _ = translator_for(update)
    app = services(context)
    draft = _draft(context)
    try:
        event_draft = EventDraft.from_dict(draft)
        event = await create_event(app.database, event_draft, query.from_user.id)
    except ChangeRefused as refusal:
        await query.answer(_(PROBLEMS[refusal.problem], **refusal.values), show_alert=True)
        return SUMMARY
    await query.answer(_.plain("Created!"))
    context.user_data.pop(DRAFT_KEY, None)
    context.user_data[CREATED_KEY] = {"draft": draft.get("id"), "event": event.id}
    await query.edit_message_reply_markup(reply_markup=None)
    await reply(update, _("✅ The event “{name}” is created.", name=event.name))
    await send_invitations(update, context, event)
    return ConversationHandler.END  # type: ignore[return-value]


@staff_only
async def on_fix(update: Update, context: Context) -> str:
    await _answer(update)
    _ = translator_for(update)
    choices = [
        button(_.plain(label), NEW, "fixit", key) for key, (label, _s) in FIX_SECTIONS.items()
    ]
    choices.append(button(_.plain("Back to the summary"), NEW, "fixit", "back"))
    _draft(context)["step"] = FIX
    await reply(update, _("What do you want to correct?"), reply_markup=rows(choices))
    return FIX


@staff_only
async def on_fix_section(update: Update, context: Context) -> str:
    parts = await _answer(update)
    key = parts[2] if len(parts) > 2 else ""
    if key not in FIX_SECTIONS:
        return await _show_summary(update, context)
    draft = _draft(context)
    draft["fixing"] = True
    if key == "sites":
        draft["sites"] = []
    if key == "questions":
        draft["questions"] = []
        draft.pop("fixing")  # the question loop ends on the summary by itself
    return await _ask(update, context, FIX_SECTIONS[key][1])


@staff_only
async def on_abandon(update: Update, context: Context) -> int:
    """ "Cancel" on the summary, or /annuler at any step: nothing is created."""
    if update.callback_query is not None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_reply_markup(reply_markup=None)
    assert context.user_data is not None
    context.user_data.pop(DRAFT_KEY, None)
    _ = translator_for(update)
    await reply(update, _("Event creation stopped. Nothing was created."))
    return ConversationHandler.END


async def on_timeout(update: object, context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)
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
async def old_creation_button(update: Update, context: Context) -> None:
    """A creation button from an earlier step or a finished draft: say so, change nothing."""
    query = update.callback_query
    assert query is not None and context.user_data is not None
    _ = translator_for(update)
    parts = unpack(query.data)
    created = context.user_data.get(CREATED_KEY) or {}
    if parts[1:2] == ["create"] and parts[2:3] == [created.get("draft")]:
        await query.answer(_.plain("This event is already created."), show_alert=True)
        return
    await query.answer(_.plain("This button is no longer valid."), show_alert=True)


async def not_text(update: Update, context: Context) -> None:
    """A photo, sticker or file in the middle of the conversation."""
    _ = translator_for(update)
    await reply(update, _("Please answer with text or with the buttons."))


# --------------------------------------------------------------------------- links and QR codes


async def send_invitations(update: Update, context: Context, event: EventView) -> None:
    """Both deep links as text (easy to forward) and as QR codes (easy to print)."""
    _ = translator_for(update)
    chat = update.effective_chat
    assert chat is not None
    username = context.bot.username
    candidate_link = deep_link(username, event.candidate_code)
    employer_link = deep_link(username, event.employer_code)
    await reply(
        update,
        _("Invitation links for “{name}”:", name=event.name)
        + "\n\n"
        + _("For candidates: {link}", link=candidate_link)
        + "\n"
        + _("For employers: {link}", link=employer_link)
        + "\n\n"
        + _("Share them, or print the QR codes below."),
        disable_web_page_preview=True,
    )
    for caption, link in (
        (_("QR code for candidates — {name}", name=event.name), candidate_link),
        (_("QR code for employers — {name}", name=event.name), employer_link),
    ):
        await context.bot.send_photo(chat.id, photo=qr_png(link), caption=f"{caption}\n{link}")


# --------------------------------------------------------------------------- /evenements


def _event_label(_: Translator, event: EventView) -> str:
    label = f"{format_short(event.starts_at, event.timezone)[:10]} · {event.name}"
    if event.cancelled:
        label += " " + _.plain("(cancelled)")
    return label[:60]


async def _event_or_refuse(update: Update, context: Context, parts: list[str]) -> EventView | None:
    """The event named in the button, or a French alert for a forged or deleted one."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    if len(parts) < 3 or not parts[2].isdigit():
        await query.answer(_.plain("This button is no longer valid."), show_alert=True)
        return None
    event = await get_event(services(context).database, int(parts[2]))
    if event is None:
        await query.answer(_.plain("This event no longer exists."), show_alert=True)
    return event


@staff_only
async def list_command(update: Update, context: Context) -> None:
    _ = translator_for(update)
    events = await list_events(services(context).database)
    choices = [button(_event_label(_, event), MANAGE, "show", event.id) for event in events]
    choices.append(button(_.plain("➕ Create an event"), MANAGE, "new"))
    text = _("Your events. Press one to see it.") if events else _("No event yet.")
    await reply(update, text, reply_markup=column(choices))


def _details_keyboard(_: Translator, event: EventView) -> InlineKeyboardMarkup:
    choices: list[InlineKeyboardButton] = [
        button(_.plain("Sign-ups"), "insc", "ev", event.id),
        button(_.plain("Links and QR codes"), MANAGE, "links", event.id),
    ]
    if not event.cancelled:
        choices.insert(0, button(_.plain("Edit"), MANAGE, "edit", event.id))
        choices.append(button(_.plain("Cancel the event"), MANAGE, "cancel", event.id))
    return rows(choices)


async def _show_details(update: Update, event: EventView) -> None:
    _ = translator_for(update)
    text = (
        describe(_, event)
        + "\n\n"
        + _(
            "Signed up: {candidates} candidates, {employers} employers.",
            candidates=event.candidates,
            employers=event.employers,
        )
    )
    if event.cancelled:
        text = "❌ " + _("This event is cancelled.") + "\n\n" + text
    await reply(update, text, reply_markup=_details_keyboard(_, event))


@staff_only
async def on_show(update: Update, context: Context) -> None:
    parts = unpack(update.callback_query.data if update.callback_query else None)
    event = await _event_or_refuse(update, context, parts)
    if event is None:
        return
    await update.callback_query.answer()  # type: ignore[union-attr]
    await _show_details(update, event)


@staff_only
async def on_links(update: Update, context: Context) -> None:
    parts = unpack(update.callback_query.data if update.callback_query else None)
    event = await _event_or_refuse(update, context, parts)
    if event is None:
        return
    await update.callback_query.answer()  # type: ignore[union-attr]
    await send_invitations(update, context, event)


@staff_only
async def on_cancel_event(update: Update, context: Context) -> None:
    """First step of cancelling: a confirmation, since it cannot be undone."""
    parts = unpack(update.callback_query.data if update.callback_query else None)
    event = await _event_or_refuse(update, context, parts)
    if event is None:
        return
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    if event.cancelled:
        await query.answer(_.plain("This event is already cancelled."), show_alert=True)
        return
    await query.answer()
    choices = [
        button(_.plain("Yes, cancel the event"), MANAGE, "cancelok", event.id),
        button(_.plain("No, keep it"), MANAGE, "show", event.id),
    ]
    await reply(
        update,
        _("Do you really want to cancel “{name}”? This cannot be undone.", name=event.name),
        reply_markup=column(choices),
    )


@staff_only
async def on_cancel_confirmed(update: Update, context: Context) -> None:
    parts = unpack(update.callback_query.data if update.callback_query else None)
    event = await _event_or_refuse(update, context, parts)
    if event is None:
        return
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    event, changed = await cancel_event(services(context).database, event.id)
    if not changed:
        await query.answer(_.plain("This event is already cancelled."), show_alert=True)
        return
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=None)
    await reply(update, _("❌ The event “{name}” is cancelled.", name=event.name))


# --------------------------------------------------------------------------- editing one field


EDIT_FIELDS: dict[str, tuple[str, str]] = {
    "name": (N_("Name"), "name"),
    "date": (N_("Date and time"), "starts_at"),
    "deadline": (N_("Sign-up deadline"), "registration_deadline"),
    "duration": (N_("Duration"), "duration_minutes"),
    "maxc": (N_("Candidates at most"), "max_candidates"),
    "maxe": (N_("Employers at most"), "max_employers"),
}
EDIT_PROMPTS = {
    "name": N_("Type the new name."),
    "date": N_("Type the new date and time, for example {example}."),
    "deadline": N_("Type the new sign-up deadline, for example {example}."),
    "duration": N_("Type the new duration, for example 3h or 2h30."),
    "maxc": N_("Type the new maximum number of candidates."),
    "maxe": N_("Type the new maximum number of employers."),
}


@staff_only
async def on_edit_menu(update: Update, context: Context) -> None:
    parts = unpack(update.callback_query.data if update.callback_query else None)
    event = await _event_or_refuse(update, context, parts)
    if event is None:
        return
    await update.callback_query.answer()  # type: ignore[union-attr]
    _ = translator_for(update)
    choices = [
        button(_.plain(label), MANAGE, "field", event.id, key)
        for key, (label, _f) in EDIT_FIELDS.items()
    ]
    await reply(update, _("What do you want to change?"), reply_markup=rows(choices))


@staff_only
async def on_edit_field(update: Update, context: Context) -> str | None:
    parts = unpack(update.callback_query.data if update.callback_query else None)
    event = await _event_or_refuse(update, context, parts)
    if event is None:
        return None
    query = update.callback_query
    assert query is not None and context.user_data is not None
    _ = translator_for(update)
    key = parts[3] if len(parts) > 3 else ""
    if key not in EDIT_FIELDS:
        await query.answer(_.plain("This button is no longer valid."), show_alert=True)
        return None
    if event.cancelled:
        await query.answer(_.plain(PROBLEMS[Problem.CANCELLED]), show_alert=True)
        return None
    await query.answer()
    context.user_data[EDIT_KEY] = {"event": event.id, "field": key, "zone": event.timezone}
    example = _example_date(event.timezone)
    await reply(
        update,
        _(EDIT_PROMPTS[key], example=example) + "\n" + _("Type /annuler to stop."),
    )
    return EDIT_VALUE


def _edit_value(_: Translator, key: str, raw: str, zone: str) -> object:
    """The typed value as the service wants it; raises `Invalid` with a French reason."""
    if key == "name":
        return _clean(_, raw, NAME_LIMIT)
    if key in ("date", "deadline"):
        parsed = parse_french_datetime(raw, today=_local_now(zone).date())
        if parsed is None or (key == "date" and parsed.at is None):
            raise Invalid(
                _(
                    "I cannot read this date. Please write it like this: {example}.",
                    example=_example_date(zone),
                )
            )
        return in_zone(parsed.naive(parsed.at or END_OF_DAY), zone)
    if key == "duration":
        return _minutes(_, raw, 15, 24 * 60, bare_is_minutes=False)
    return _number(_, raw, 0 if key == "maxe" else 1, 2000)


@staff_only
async def on_edit_value(update: Update, context: Context) -> str | int:
    assert context.user_data is not None
    _ = translator_for(update)
    editing = context.user_data.get(EDIT_KEY) or {}
    key = editing.get("field", "")
    if key not in EDIT_FIELDS:
        context.user_data.pop(EDIT_KEY, None)
        return ConversationHandler.END
    try:
        value = _edit_value(_, key, _text(update), editing.get("zone", "Europe/Paris"))
        event, changed = await update_event(
            services(context).database, int(editing["event"]), EDIT_FIELDS[key][1], value
        )
    except Invalid as refusal:
        await reply(update, f"⚠️ {refusal}")
        return EDIT_VALUE
    except ChangeRefused as refusal:
        await reply(update, "⚠️ " + _(PROBLEMS[refusal.problem], **refusal.values))
        if refusal.problem == Problem.CANCELLED:
            context.user_data.pop(EDIT_KEY, None)
            return ConversationHandler.END
        return EDIT_VALUE
    except LookupError:
        await reply(update, _("This event no longer exists."))
        context.user_data.pop(EDIT_KEY, None)
        return ConversationHandler.END
    context.user_data.pop(EDIT_KEY, None)
    await reply(update, _("✅ Saved.") if changed else _("Nothing changed: it was already so."))
    await _show_details(update, event)
    return ConversationHandler.END


@staff_only
async def on_edit_abandon(update: Update, context: Context) -> int:
    assert context.user_data is not None
    context.user_data.pop(EDIT_KEY, None)
    _ = translator_for(update)
    await reply(update, _("Nothing was changed."))
    return ConversationHandler.END


# --------------------------------------------------------------------------- registration


TEXT = filters.TEXT & ~filters.COMMAND


def _pressed(prefix: str, handler: Any) -> CallbackQueryHandler[Any, Any]:
    return CallbackQueryHandler(handler, pattern=rf"^{NEW}:{prefix}(:|$)")


def creation_conversation(timeout_minutes: int) -> ConversationHandler[Any]:
    typed_or_buttons = MessageHandler(TEXT, press_a_button)
    states: dict[object, list[Any]] = {
        NAME: [MessageHandler(TEXT, on_name)],
        STARTS_AT: [MessageHandler(TEXT, on_starts_at)],
        DURATION: [MessageHandler(TEXT, on_duration), _pressed("dur", on_duration_button)],
        TIMEZONE: [MessageHandler(TEXT, on_timezone_text), _pressed("tz", on_timezone_button)],
        TIMEZONE_OTHER: [MessageHandler(TEXT, on_timezone_text)],
        SITE_KIND: [typed_or_buttons, _pressed("site", on_site_kind)],
        SITE_NAME: [MessageHandler(TEXT, on_site_name)],
        SITE_ADDRESS: [MessageHandler(TEXT, on_site_address)],
        SITE_VIDEO: [MessageHandler(TEXT, on_site_video)],
        SITE_ROOMS: [MessageHandler(TEXT, on_site_rooms), _pressed("rooms", on_site_rooms_button)],
        SITE_MORE: [typed_or_buttons, _pressed("more", on_site_more)],
        FORMAT: [MessageHandler(TEXT, on_format_text), _pressed("fmt", on_format_button)],
        EMPLOYERS_PER_ROOM: [
            MessageHandler(TEXT, on_employers_per_room),
            _pressed("epr", on_employers_per_room_button),
        ],
        CANDIDATES_PER_ROOM: [
            MessageHandler(TEXT, on_candidates_per_room),
            _pressed("cpr", on_candidates_per_room_button),
        ],
        ROUNDS: [MessageHandler(TEXT, on_rounds), _pressed("rounds", on_rounds_button)],
        ROUND_MINUTES: [
            MessageHandler(TEXT, on_round_minutes),
            _pressed("rmin", on_round_minutes_button),
        ],
        MAX_CANDIDATES: [
            MessageHandler(TEXT, on_max_candidates),
            _pressed("maxc", on_max_candidates_button),
        ],
        MAX_EMPLOYERS: [
            MessageHandler(TEXT, on_max_employers),
            _pressed("maxe", on_max_employers_button),
        ],
        DEADLINE: [MessageHandler(TEXT, on_deadline), _pressed("dl", on_deadline_button)],
        QUESTION_MORE: [typed_or_buttons, _pressed("q", on_question_more)],
        QUESTION_TEXT: [MessageHandler(TEXT, on_question_text)],
        QUESTION_ANSWER: [
            MessageHandler(TEXT, on_question_answer_text),
            _pressed("qa", on_question_answer_button),
        ],
        SUMMARY: [
            typed_or_buttons,
            _pressed("create", on_create),
            _pressed("fix", on_fix),
            _pressed("cancel", on_abandon),
        ],
        FIX: [typed_or_buttons, _pressed("fixit", on_fix_section)],
        ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
    }
    return ConversationHandler(
        entry_points=[
            CommandHandler("evenement", new_event),
            CallbackQueryHandler(new_event, pattern=rf"^{MANAGE}:new$"),
        ],
        states=states,
        fallbacks=[
            CommandHandler("annuler", on_abandon),
            CallbackQueryHandler(old_creation_button, pattern=rf"^{NEW}:"),
            MessageHandler(~filters.TEXT & ~filters.COMMAND, not_text),
        ],
        name=CREATION,
        persistent=True,
        allow_reentry=True,
        conversation_timeout=timedelta(minutes=timeout_minutes),
    )


def edit_conversation(timeout_minutes: int) -> ConversationHandler[Any]:
    return ConversationHandler(
        entry_points=[CallbackQueryHandler(on_edit_field, pattern=rf"^{MANAGE}:field:")],
        states={EDIT_VALUE: [MessageHandler(TEXT, on_edit_value)]},
        fallbacks=[
            CommandHandler("annuler", on_edit_abandon),
            MessageHandler(~filters.TEXT & ~filters.COMMAND, not_text),
        ],
        name=EDITING,
        persistent=True,
        allow_reentry=True,
        conversation_timeout=timedelta(minutes=timeout_minutes),
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    timeout = services(application).settings.conversation_timeout_minutes
    with warnings.catch_warnings():
        # Our conversations are per user on purpose: a button pressed on any message counts.
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        application.add_handler(creation_conversation(timeout))
        application.add_handler(edit_conversation(timeout))
    application.add_handler(CommandHandler("evenements", list_command))
    application.add_handler(CallbackQueryHandler(old_creation_button, pattern=rf"^{NEW}:"))
    application.add_handler(CallbackQueryHandler(on_show, pattern=rf"^{MANAGE}:show:"))
    application.add_handler(CallbackQueryHandler(on_links, pattern=rf"^{MANAGE}:links:"))
    application.add_handler(CallbackQueryHandler(on_edit_menu, pattern=rf"^{MANAGE}:edit:"))
    application.add_handler(CallbackQueryHandler(on_cancel_event, pattern=rf"^{MANAGE}:cancel:"))
    application.add_handler(
        CallbackQueryHandler(on_cancel_confirmed, pattern=rf"^{MANAGE}:cancelok:")
    )
