"""What the event screens share: limits, the room formats, the problem texts, parsing of
typed answers and `describe` (an event on one screen).
"""

from __future__ import annotations

import html
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from bot import clock
from bot.dates import format_minutes, format_when, parse_duration_minutes
from bot.i18n import N_, Translator
from bot.services.events import EventDraft, EventView, Problem
from bot.text import normalise

NAME_LIMIT = 200
ADDRESS_LIMIT = 500
QUESTION_LIMIT = 300
URL_LIMIT = 500
# Telegram's longest message: a typed answer is checked by its step, in the step's own words.
MAX_MESSAGE = 4096
MAX_SITES = 10
MAX_QUESTIONS = 8
DEADLINE_HOUR = time(18, 0)
END_OF_DAY = time(23, 59)

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
}


class Invalid(Exception):
    """An answer that cannot be used: `message` (a msgid, with `values`) says what is expected."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message)
        self.message = message
        self.values = values


# --------------------------------------------------------------------------- typed answers


def clean_text(raw: str, limit: int) -> str:
    """`raw` with spaces collapsed, up to `limit` (`bot.engine.steps` refuses it empty)."""
    text = normalise(raw)
    if len(text) > limit:
        raise Invalid(N_("That is too long: {limit} characters at most."), limit=limit)
    return text


def parse_number(raw: str, low: int, high: int) -> int:
    text = raw.strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,9}", text):
        raise Invalid(N_("Please type a number, for example {example}."), example=max(low, 2))
    value = int(text)
    if value < low:
        raise Invalid(N_("Please type a number of at least {low}."), low=low)
    if value > high:
        raise Invalid(N_("That is too many: {high} at most."), high=high)
    return value


def parse_minutes(raw: str, low: int, high: int, *, bare_is_minutes: bool) -> int:
    text = raw.strip()
    bare = bare_is_minutes and re.fullmatch(r"[0-9]{1,4}", text)  # not isdigit(): "²" is one
    value = int(text) if bare else parse_duration_minutes(text)
    if value is None:
        raise Invalid(N_("Please write a duration, for example 3h, 2h30 or 90 min."))
    if value < low:
        raise Invalid(N_("That is too short: at least {duration}."), duration=format_minutes(low))
    if value > high:
        raise Invalid(N_("That is too long: {duration} at most."), duration=format_minutes(high))
    return value


def zone_named(raw: str) -> str | None:
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


def local_now(zone: str) -> datetime:
    return clock.now().astimezone(ZoneInfo(zone))


def example_date(zone: str) -> str:
    soon = local_now(zone) + timedelta(days=30)
    return soon.strftime("%d/%m/%Y") + " à 13 h 30"


def format_label(_: Translator, key: str | None, employers: int, candidates: int) -> str:
    if key in FORMATS:
        return _.plain(FORMATS[key][0])
    return _.plain(
        "{employers} employer(s) + {candidates} candidate(s) per room",
        employers=employers,
        candidates=candidates,
    )


def shorten(text: str | None, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
        where = shorten(site.video_url if site.remote else site.address, 80)
        lines.append(
            _.n(
                "📍 {site} — {where} — {count} room",
                "📍 {site} — {where} — {count} rooms",
                site.rooms,
                site=shorten(site.name, 60),
                where=where,
            )
        )
    lines.append(
        _(
            "👥 Format: {format}",
            format=format_label(
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
                question=shorten(question.text, 150),
                answer=admits,
            )
        )
    return "\n".join(lines)
