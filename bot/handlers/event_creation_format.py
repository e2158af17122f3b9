"""Creation steps 6 to 10: room format, rounds, capacities, sign-up deadline and questions."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from telegram import Update

from bot import clock
from bot.context import translator_for
from bot.dates import format_minutes, in_zone, parse_french_datetime
from bot.handlers.common import Context, staff_only
from bot.handlers.event_common import (
    DEADLINE_HOUR,
    END_OF_DAY,
    FORMATS,
    MAX_QUESTIONS,
    OTHER,
    PROBLEMS,
    QUESTION_LIMIT,
    example_date,
    local_now,
    typed_text,
)
from bot.handlers.event_creation_answers import (
    minutes_between,
    number_between,
    pressed_number,
    text_up_to,
    typed_answer,
)
from bot.handlers.event_creation_prompts import (
    CANDIDATES_PER_ROOM,
    DEADLINE,
    DEADLINE_DAYS,
    EMPLOYERS_PER_ROOM,
    FORMAT,
    MAX_CANDIDATES,
    MAX_EMPLOYERS,
    QUESTION_ANSWER,
    QUESTION_MORE,
    QUESTION_TEXT,
    ROUND_CHOICES,
    ROUND_MINUTE_CHOICES,
    ROUND_MINUTES,
    ROUNDS,
    acknowledge,
    ask,
    draft_of,
    zone_of,
)
from bot.handlers.event_creation_summary import advance, show_summary
from bot.services.events import Problem


async def _set_format(
    update: Update, context: Context, key: str | None, employers: int, candidates: int
) -> str:
    draft = draft_of(context)
    draft.update(format_key=key, employers_per_room=employers, candidates_per_room=candidates)
    return await ask(update, context, ROUNDS)


@staff_only
async def on_format_button(update: Update, context: Context) -> str:
    parts = await acknowledge(update)
    key = parts[2] if len(parts) > 2 else ""
    if key == OTHER:
        return await ask(update, context, EMPLOYERS_PER_ROOM)
    if key not in FORMATS:
        return await ask(update, context, FORMAT)
    _label, employers, candidates = FORMATS[key]
    return await _set_format(update, context, key, employers, candidates)


@staff_only
async def on_format_text(update: Update, context: Context) -> str:
    """A typed format such as "2+2" or "0 + 8"."""
    _ = translator_for(update)
    match = re.fullmatch(r"\s*(\d{1,2})\s*\+\s*(\d{1,2})\s*", typed_text(update))
    if match is None:
        error = _("Please press a button, or type the format like this: 2+2.")
        return await ask(update, context, FORMAT, error)
    employers, candidates = int(match.group(1)), int(match.group(2))
    if employers > 10 or not 1 <= candidates <= 30:
        error = _("At most 10 employers and between 1 and 30 candidates per room.")
        return await ask(update, context, FORMAT, error)
    return await _set_format(update, context, None, employers, candidates)


async def _set_employers_per_room(update: Update, context: Context, value: int) -> str:
    draft_of(context)["employers_per_room"] = value
    return await ask(update, context, CANDIDATES_PER_ROOM)


on_employers_per_room = staff_only(
    typed_answer(EMPLOYERS_PER_ROOM, number_between(0, 10), _set_employers_per_room)
)
on_employers_per_room_button = staff_only(
    pressed_number(EMPLOYERS_PER_ROOM, range(4), _set_employers_per_room)
)


async def _set_candidates_per_room(update: Update, context: Context, value: int) -> str:
    draft = draft_of(context)
    employers = int(draft.get("employers_per_room", 0))
    return await _set_format(update, context, None, employers, value)


on_candidates_per_room = staff_only(
    typed_answer(CANDIDATES_PER_ROOM, number_between(1, 30), _set_candidates_per_room)
)
on_candidates_per_room_button = staff_only(
    pressed_number(CANDIDATES_PER_ROOM, range(1, 31), _set_candidates_per_room)
)


async def _set_rounds(update: Update, context: Context, rounds: int) -> str:
    draft = draft_of(context)
    draft["rounds"] = rounds
    if rounds == 1:
        draft["round_minutes"] = int(draft.get("duration", 60))
        return await advance(update, context, MAX_CANDIDATES)
    return await ask(update, context, ROUND_MINUTES)


on_rounds = staff_only(typed_answer(ROUNDS, number_between(1, 20), _set_rounds))
on_rounds_button = staff_only(pressed_number(ROUNDS, ROUND_CHOICES, _set_rounds))


async def _set_round_minutes(update: Update, context: Context, minutes: int) -> str:
    _ = translator_for(update)
    draft = draft_of(context)
    rounds, duration = int(draft.get("rounds", 1)), int(draft.get("duration", 0))
    if rounds * minutes > duration:
        error = _(
            "{rounds} rounds of {minutes} do not fit in {duration}. Shorter rounds, please.",
            rounds=rounds,
            minutes=format_minutes(minutes),
            duration=format_minutes(duration),
        )
        return await ask(update, context, ROUND_MINUTES, error)
    draft["round_minutes"] = minutes
    return await advance(update, context, MAX_CANDIDATES)


on_round_minutes = staff_only(
    typed_answer(
        ROUND_MINUTES, minutes_between(5, 8 * 60, bare_is_minutes=True), _set_round_minutes
    )
)
on_round_minutes_button = staff_only(
    pressed_number(ROUND_MINUTES, ROUND_MINUTE_CHOICES, _set_round_minutes)
)


async def _set_max_candidates(update: Update, context: Context, value: int) -> str:
    draft = draft_of(context)
    draft["max_candidates"] = value
    if int(draft.get("employers_per_room", 0)) == 0:
        draft["max_employers"] = 0
        return await advance(update, context, DEADLINE)
    return await ask(update, context, MAX_EMPLOYERS)


on_max_candidates = staff_only(
    typed_answer(MAX_CANDIDATES, number_between(1, 2000), _set_max_candidates)
)
on_max_candidates_button = staff_only(
    pressed_number(MAX_CANDIDATES, range(1, 2001), _set_max_candidates)
)


async def _set_max_employers(update: Update, context: Context, value: int) -> str:
    draft_of(context)["max_employers"] = value
    return await advance(update, context, DEADLINE)


on_max_employers = staff_only(
    typed_answer(MAX_EMPLOYERS, number_between(1, 1000), _set_max_employers)
)
on_max_employers_button = staff_only(
    pressed_number(MAX_EMPLOYERS, range(1, 1001), _set_max_employers)
)


async def _set_deadline(update: Update, context: Context, deadline: datetime) -> str:
    """`deadline` is naive, in the event's time zone; it must fall between now and the start."""
    _ = translator_for(update)
    draft = draft_of(context)
    zone = zone_of(context)
    starts_at = datetime.fromisoformat(draft["starts_at"])
    if deadline >= starts_at:
        return await ask(update, context, DEADLINE, _(PROBLEMS[Problem.DEADLINE_AFTER_START]))
    if in_zone(deadline, zone) <= clock.now():
        return await ask(update, context, DEADLINE, _(PROBLEMS[Problem.DEADLINE_PAST]))
    draft["deadline"] = deadline.isoformat()
    return await advance(update, context, QUESTION_MORE)


@staff_only
async def on_deadline(update: Update, context: Context) -> str:
    _ = translator_for(update)
    zone = zone_of(context)
    raw = typed_text(update)
    parsed = parse_french_datetime(raw, today=local_now(zone).date()) if raw.strip() else None
    if parsed is None:
        example = example_date(zone).split(" ")[0]
        error = _("I cannot read this date. Please write it like this: {example}.", example=example)
        return await ask(update, context, DEADLINE, error)
    return await _set_deadline(update, context, parsed.naive(END_OF_DAY))


async def _set_deadline_days_before(update: Update, context: Context, days: int) -> str:
    starts_at = datetime.fromisoformat(draft_of(context)["starts_at"])
    day = starts_at.date() - timedelta(days=days)
    return await _set_deadline(update, context, datetime.combine(day, DEADLINE_HOUR))


on_deadline_button = staff_only(pressed_number(DEADLINE, DEADLINE_DAYS, _set_deadline_days_before))


@staff_only
async def on_question_more(update: Update, context: Context) -> str:
    parts = await acknowledge(update)
    choice = parts[2] if len(parts) > 2 else ""
    draft = draft_of(context)
    if choice == "add":
        if len(draft.get("questions", [])) >= MAX_QUESTIONS:
            _ = translator_for(update)
            error = _("{count} questions at most.", count=MAX_QUESTIONS)
            return await ask(update, context, QUESTION_MORE, error)
        return await ask(update, context, QUESTION_TEXT)
    if choice == "done":
        return await show_summary(update, context)
    return await ask(update, context, QUESTION_MORE)


async def _set_question_text(update: Update, context: Context, text: str) -> str:
    draft_of(context)["question"] = text
    return await ask(update, context, QUESTION_ANSWER)


on_question_text = staff_only(
    typed_answer(QUESTION_TEXT, text_up_to(QUESTION_LIMIT), _set_question_text)
)


async def _set_question_answer(update: Update, context: Context, admits: bool) -> str:
    draft = draft_of(context)
    text = draft.pop("question", None)
    if text:
        draft.setdefault("questions", []).append({"text": text, "admits": admits})
    return await ask(update, context, QUESTION_MORE)


@staff_only
async def on_question_answer_button(update: Update, context: Context) -> str:
    parts = await acknowledge(update)
    choice = parts[2] if len(parts) > 2 else ""
    if choice not in ("yes", "no"):
        return await ask(update, context, QUESTION_ANSWER)
    return await _set_question_answer(update, context, choice == "yes")


@staff_only
async def on_question_answer_text(update: Update, context: Context) -> str:
    answer = typed_text(update).strip().casefold()
    if answer in ("oui", "yes", "o"):
        return await _set_question_answer(update, context, True)
    if answer in ("non", "no", "n"):
        return await _set_question_answer(update, context, False)
    _ = translator_for(update)
    return await ask(update, context, QUESTION_ANSWER, _("Please press Yes or No."))
