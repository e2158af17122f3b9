"""Dates and durations as French speakers type them, and dates shown the French way.

Staff write "12/03/2027 13h30", "12 mars 2027 à 13h30", "mardi 12 mars 2027 13h" or
"12.03.27 13:30"; all of these must give the same moment. The parser is strict about
leftovers: a sentence it does not fully understand is refused rather than half-read.
A weekday name is ignored (people often get it wrong; the summary shows the right one).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime

MONTHS = {
    "janvier": 1,
    "janv": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "mars": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil": 7,
    "aout": 8,
    "septembre": 9,
    "sept": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
}
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
RELATIVE_DAYS = {"aujourd'hui": 0, "aujourdhui": 0, "demain": 1, "apres-demain": 2}
FILLER_WORDS = {"le", "a", "de", "des", "vers", "et", "h", "heure", "heures"}

_MONTH_PATTERN = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.\-](\d{1,2})(?:[/.\-](\d{4}|\d{2}))?\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_TEXT_DATE = re.compile(rf"\b(\d{{1,2}})(?:er)?\s+({_MONTH_PATTERN})\.?(?:\s+(\d{{4}}))?\b")
_RELATIVE = re.compile(r"(?:apres-demain|aujourd'?hui|demain)")
_TIME = re.compile(r"\b(\d{1,2})\s*(?:heures?|h|:)\s*(\d{2})?(?:\s*(?:min|mn))?(?!\d)")
_MIDDAY = re.compile(r"\b(midi|minuit)\b")


@dataclass(frozen=True)
class LocalDateTime:
    """What the person typed: a calendar date and, if given, a wall-clock time."""

    day: date
    at: time | None

    def naive(self, default_time: time) -> datetime:
        return datetime.combine(self.day, self.at or default_time)


def _normalise(text: str) -> str:
    """Lower case, no accents, plain spaces and apostrophes: 'Févr.' and 'fevr' match."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    plain = plain.replace("’", "'").replace("\u202f", " ").replace("\xa0", " ")
    plain = plain.replace("après", "apres")
    return re.sub(r"\s+", " ", plain).strip()


def _full_year(year: int) -> int:
    return 2000 + year if year < 100 else year


def _find_date(text: str, today: date) -> tuple[date, str] | None:
    """The date in `text` and the text without it; None when there is no valid date."""
    if match := _ISO_DATE.search(text):
        year, month, day = (int(part) for part in match.groups())
        found = _checked(year, month, day)
        return (found, _without(text, match)) if found else None
    if match := _NUMERIC_DATE.search(text):
        day_text, month_text, year_text = match.groups()
        found = _dated(today, int(day_text), int(month_text), year_text)
        return (found, _without(text, match)) if found else None
    if match := _TEXT_DATE.search(text):
        day_text, month_name, year_text = match.groups()
        found = _dated(today, int(day_text), MONTHS[month_name], year_text)
        return (found, _without(text, match)) if found else None
    if match := _RELATIVE.search(text):
        offset = RELATIVE_DAYS[match.group(0).replace("aujourdhui", "aujourd'hui")]
        return today + timedelta(days=offset), _without(text, match)
    return None


def _dated(today: date, day: int, month: int, year_text: str | None) -> date | None:
    """A date; without a year, the next time this day comes (today included)."""
    if year_text:
        return _checked(_full_year(int(year_text)), month, day)
    found = _checked(today.year, month, day)
    if found is not None and found < today:
        found = _checked(today.year + 1, month, day)
    return found


def _checked(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _without(text: str, match: re.Match[str]) -> str:
    return f"{text[: match.start()]} {text[match.end() :]}"


def _find_time(text: str) -> tuple[time | None, str] | None:
    """The time in `text` (None if absent) and the rest; None when a time is impossible."""
    if match := _MIDDAY.search(text):
        return time(12 if match.group(1) == "midi" else 0, 0), _without(text, match)
    match = _TIME.search(text)
    if match is None:
        return None, text
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute), _without(text, match)


def _only_fillers(rest: str) -> bool:
    words = re.split(r"[\s,.;]+", rest)
    return all(not word or word in FILLER_WORDS or word in WEEKDAYS for word in words)


def parse_french_datetime(text: str, *, today: date) -> LocalDateTime | None:
    """The date and optional time written in `text`, or None if it cannot be read whole."""
    plain = _normalise(text)
    if not plain or len(plain) > 80:
        return None
    found = _find_date(plain, today)
    if found is None:
        return None
    day, rest = found
    timed = _find_time(rest)
    if timed is None:
        return None
    at, rest = timed
    if not _only_fillers(rest):
        return None
    return LocalDateTime(day, at)


_DURATION = re.compile(
    r"^(?:(\d{1,2})\s*(?:h|heures?)\s*(?:(\d{1,2})\s*(?:min|mn|minutes?)?)?"
    r"|(\d{1,4})\s*(?:min|mn|minutes?))$"
)
_BARE_NUMBER = re.compile(r"^\d{1,4}$")
HOURS_IF_AT_MOST = 12


def parse_duration_minutes(text: str) -> int | None:
    """Minutes from "3h", "2h30", "2 h 30", "90 min" or a bare number.

    A bare number up to 12 means hours ("3" is three hours), above means minutes ("90").
    """
    plain = _normalise(text)
    if _BARE_NUMBER.match(plain):
        number = int(plain)
        return number * 60 if number <= HOURS_IF_AT_MOST else number
    match = _DURATION.match(plain)
    if match is None:
        return None
    hours, minutes, only_minutes = match.groups()
    if only_minutes is not None:
        return int(only_minutes)
    if minutes is not None and int(minutes) > 59:
        return None
    return int(hours) * 60 + int(minutes or 0)


def in_zone(naive: datetime, zone_name: str) -> datetime:
    """A wall-clock time in `zone_name` as an aware datetime."""
    return naive.replace(tzinfo=ZoneInfo(zone_name))


def format_time(moment: datetime, zone_name: str) -> str:
    """'13 h 30', '9 h' in the event's time zone: the one way times are written."""
    local = moment.astimezone(ZoneInfo(zone_name))
    return f"{local.hour} h {local.minute:02d}" if local.minute else f"{local.hour} h"


def format_day(moment: datetime, zone_name: str, language: str = "fr") -> str:
    """'vendredi 12 mars 2027' in the event's time zone."""
    return babel_format_datetime(
        moment, "EEEE d MMMM y", tzinfo=ZoneInfo(zone_name), locale=language
    )


def format_when(moment: datetime, zone_name: str, language: str = "fr") -> str:
    """'vendredi 12 mars 2027 à 13 h 30' in the event's time zone."""
    return f"{format_day(moment, zone_name, language)} à {format_time(moment, zone_name)}"


def format_span(start: datetime, end: datetime, zone_name: str, language: str = "fr") -> str:
    """'vendredi 12 mars 2027 de 13 h 30 à 16 h 30' in the event's time zone."""
    return (
        f"{format_day(start, zone_name, language)} de {format_time(start, zone_name)}"
        f" à {format_time(end, zone_name)}"
    )


def format_short(moment: datetime, zone_name: str) -> str:
    """'12/03/2027 13:30' for tables and files."""
    return moment.astimezone(ZoneInfo(zone_name)).strftime("%d/%m/%Y %H:%M")


def format_minutes(minutes: int) -> str:
    """'3 h', '2 h 30', '45 min'."""
    hours, rest = divmod(minutes, 60)
    if hours == 0:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"
