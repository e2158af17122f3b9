"""The creation conversation's states and the question of each, with its buttons.

State values are strings stored as JSON by our persistence: never rename them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import InlineKeyboardMarkup, Update

from bot.context import services, translator_for
from bot.dates import format_minutes
from bot.handlers.common import Context, reply
from bot.handlers.event_common import DRAFT_KEY, FORMATS, NEW, OTHER, example_date
from bot.i18n import Translator
from bot.keyboards import button, column, rows, unpack

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

ZONE_CHOICES = ("Europe/Paris", "Europe/Zurich", "Europe/Brussels")
DURATION_CHOICES = (60, 120, 180, 240, 480)
ROOM_CHOICES = (1, 2, 4, 6, 8)
ROUND_CHOICES = (1, 2, 3, 4, 5, 6)
ROUND_MINUTE_CHOICES = (15, 20, 30, 45, 60)
DEADLINE_DAYS = (1, 7)


# --------------------------------------------------------------------------- the draft


def draft_of(context: Context) -> dict[str, Any]:
    assert context.user_data is not None
    draft: dict[str, Any] = context.user_data.setdefault(DRAFT_KEY, {})
    return draft


def zone_of(context: Context) -> str:
    return str(draft_of(context).get("timezone") or services(context).settings.timezone)


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
            example=example_date(zone),
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
            example=example_date(zone).split(" ")[0],
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


async def ask(update: Update, context: Context, state: str, error: str | None = None) -> str:
    """Send the question of `state` (after `error`, if the last answer was refused)."""
    _ = translator_for(update)
    draft = draft_of(context)
    draft["step"] = state
    text, markup = PROMPTS[state](_, draft, zone_of(context))
    text = _step(state, text)
    await reply(update, f"⚠️ {error}\n\n{text}" if error else text, reply_markup=markup)
    return state


async def acknowledge(update: Update) -> list[str]:
    """Acknowledge the button press at once; returns the callback data parts."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    return unpack(query.data)
