"""French dates and durations as staff type them: the forms we accept and those we refuse."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.dates import (
    format_minutes,
    format_short,
    format_when,
    in_zone,
    parse_duration_minutes,
    parse_french_datetime,
)

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("text", "day", "at"),
    [
        ("12/03/2027 13h30", date(2027, 3, 12), time(13, 30)),
        ("12/03/27 13:30", date(2027, 3, 12), time(13, 30)),
        ("12 mars 2027 à 13h30", date(2027, 3, 12), time(13, 30)),
        ("mardi 12 mars 2027 13h", date(2027, 3, 12), time(13, 0)),  # wrong weekday ignored
        ("12.03.2027 13h30", date(2027, 3, 12), time(13, 30)),
        ("12-03-2027 13h30", date(2027, 3, 12), time(13, 30)),
        ("2027-03-12 13:30", date(2027, 3, 12), time(13, 30)),
        ("Le 12 MARS 2027 À 13H30", date(2027, 3, 12), time(13, 30)),
        ("le 1er avril 2027 à 9 h 05", date(2027, 4, 1), time(9, 5)),
        ("12 février 2027, 14 heures", date(2027, 2, 12), time(14, 0)),
        ("12 fevrier 2027 14 heures 30", date(2027, 2, 12), time(14, 30)),
        ("3 août 2027 9h", date(2027, 8, 3), time(9, 0)),
        ("3 aout 2027 09:00", date(2027, 8, 3), time(9, 0)),
        ("15 déc. 2026 10h", date(2026, 12, 15), time(10, 0)),
        ("vendredi 4 décembre 2026 à midi", date(2026, 12, 4), time(12, 0)),
        ("12/03/2027\u00a013h30", date(2027, 3, 12), time(13, 30)),
        ("12 mars 13h30", date(2027, 3, 12), time(13, 30)),  # no year: next 12 March
        ("30/11 8h", date(2026, 11, 30), time(8, 0)),  # no year, still this year
        ("demain 14h", date(2026, 11, 23), time(14, 0)),
        ("après-demain à 9h30", date(2026, 11, 24), time(9, 30)),
        ("12/03/2027", date(2027, 3, 12), None),  # a date alone: the caller asks for the time
        ("12 mars 2027", date(2027, 3, 12), None),
    ],
)
def test_french_forms_are_read(text: str, day: date, at: time | None) -> None:
    parsed = parse_french_datetime(text, today=TODAY)
    assert parsed is not None, text
    assert (parsed.day, parsed.at) == (day, at)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "bientôt",
        "la semaine prochaine",
        "31/02/2027 13h",  # no such day
        "12/13/2027 13h",  # no such month
        "12/03/2027 25h",
        "12/03/2027 13h75",
        "12/03/2027 13h30 et 14h",  # two times: refused rather than half-read
        "13h30",  # a time alone
        "12 brumaire 2027 13h",
        "x" * 5000,
    ],
)
def test_unreadable_dates_are_refused(text: str) -> None:
    assert parse_french_datetime(text, today=TODAY) is None


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("3h", 180),
        ("3 h", 180),
        ("2h30", 150),
        ("2 h 30", 150),
        ("1h 30min", 90),
        ("3 heures", 180),
        ("90 min", 90),
        ("45 minutes", 45),
        ("90", 90),  # a bare number above 12: minutes
        ("3", 180),  # a bare number up to 12: hours
    ],
)
def test_durations(text: str, minutes: int) -> None:
    assert parse_duration_minutes(text) == minutes


@pytest.mark.parametrize("text", ["", "abc", "2h75", "trois heures", "-3h", "3 jours"])
def test_bad_durations(text: str) -> None:
    assert parse_duration_minutes(text) is None


def test_times_are_wall_clock_in_the_event_zone() -> None:
    moment = in_zone(datetime(2027, 3, 12, 13, 30), "Europe/Zurich")
    assert moment.astimezone(UTC) == datetime(2027, 3, 12, 12, 30, tzinfo=UTC)
    summer = in_zone(datetime(2027, 7, 12, 13, 30), "Europe/Paris")
    assert summer.astimezone(UTC).hour == 11
    assert format_when(moment, "Europe/Zurich") == "vendredi 12 mars 2027 à 13 h 30"
    assert format_short(moment, "Europe/Zurich") == "12/03/2027 13:30"


def test_format_minutes() -> None:
    assert [format_minutes(m) for m in (45, 60, 150, 180)] == ["45 min", "1 h", "2 h 30", "3 h"]
