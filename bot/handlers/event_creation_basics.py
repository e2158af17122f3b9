"""Creation steps 1 to 5: name, start, duration, time zone and sites."""

from __future__ import annotations

import re
from datetime import timedelta

from telegram import Update

from bot import clock
from bot.context import services, translator_for
from bot.dates import in_zone, parse_french_datetime
from bot.handlers.common import Context, staff_only
from bot.handlers.event_common import (
    ADDRESS_LIMIT,
    MAX_SITES,
    NAME_LIMIT,
    OTHER,
    PROBLEMS,
    URL_LIMIT,
    example_date,
    local_now,
    typed_text,
    zone_named,
)
from bot.handlers.event_creation_answers import (
    Handler,
    minutes_between,
    number_between,
    pressed_number,
    text_up_to,
    typed_answer,
)
from bot.handlers.event_creation_prompts import (
    DURATION,
    DURATION_CHOICES,
    FORMAT,
    NAME,
    ROOM_CHOICES,
    SITE_ADDRESS,
    SITE_KIND,
    SITE_MORE,
    SITE_NAME,
    SITE_ROOMS,
    SITE_VIDEO,
    STARTS_AT,
    TIMEZONE,
    TIMEZONE_OTHER,
    ZONE_CHOICES,
    acknowledge,
    ask,
    draft_of,
    zone_of,
)
from bot.handlers.event_creation_summary import advance
from bot.services.events import Problem


async def _set_name(update: Update, context: Context, name: str) -> str:
    draft_of(context)["name"] = name
    return await advance(update, context, STARTS_AT)


on_name = typed_answer(NAME, text_up_to(NAME_LIMIT), _set_name)


@staff_only
async def on_starts_at(update: Update, context: Context) -> str:
    _ = translator_for(update)
    zone = zone_of(context)
    example = example_date(zone)
    raw = typed_text(update)
    parsed = parse_french_datetime(raw, today=local_now(zone).date()) if raw.strip() else None
    if parsed is None:
        error = _("I cannot read this date. Please write it like this: {example}.", example=example)
        return await ask(update, context, STARTS_AT, error)
    if parsed.at is None:
        error = _("Please add the start time, for example: {example}.", example=example)
        return await ask(update, context, STARTS_AT, error)
    starts_at = in_zone(parsed.naive(parsed.at), zone)
    if starts_at <= clock.now():
        error = _(
            "This date is already past. Please give a date to come, e.g. {example}.",
            example=example,
        )
        return await ask(update, context, STARTS_AT, error)
    if starts_at > clock.now() + timedelta(days=3 * 365):
        return await ask(update, context, STARTS_AT, _(PROBLEMS[Problem.START_TOO_FAR]))
    draft_of(context)["starts_at"] = parsed.naive(parsed.at).isoformat()
    return await advance(update, context, DURATION)


async def _set_duration(update: Update, context: Context, minutes: int) -> str:
    draft_of(context)["duration"] = minutes
    return await advance(update, context, TIMEZONE)


on_duration = staff_only(
    typed_answer(DURATION, minutes_between(15, 24 * 60, bare_is_minutes=False), _set_duration)
)
on_duration_button = staff_only(pressed_number(DURATION, DURATION_CHOICES, _set_duration))


async def _set_zone(update: Update, context: Context, zone: str) -> str:
    draft_of(context)["timezone"] = zone
    return await advance(update, context, SITE_KIND)


@staff_only
async def on_timezone_button(update: Update, context: Context) -> str:
    parts = await acknowledge(update)
    choice = parts[2] if len(parts) > 2 else ""
    if choice == OTHER:
        return await ask(update, context, TIMEZONE_OTHER)
    allowed = {*ZONE_CHOICES, services(context).settings.timezone, zone_of(context)}
    if choice not in allowed:
        return await ask(update, context, TIMEZONE)
    return await _set_zone(update, context, choice)


@staff_only
async def on_timezone_text(update: Update, context: Context) -> str:
    """A typed zone, in the button step or after "Other"."""
    _ = translator_for(update)
    zone = zone_named(typed_text(update)[:64])
    if zone is None:
        error = _("I do not know this time zone. Write it like Europe/Paris.")
        return await ask(update, context, TIMEZONE_OTHER, error)
    return await _set_zone(update, context, zone)


@staff_only
async def on_site_kind(update: Update, context: Context) -> str:
    parts = await acknowledge(update)
    kind = parts[2] if len(parts) > 2 else ""
    if kind not in ("place", "remote"):
        return await ask(update, context, SITE_KIND)
    draft = draft_of(context)
    _ = translator_for(update)
    if kind == "remote":
        draft["site"] = {"name": _.plain("Remote"), "remote": True}
        return await ask(update, context, SITE_VIDEO)
    draft["site"] = {"remote": False}
    return await ask(update, context, SITE_NAME)


def _site_field(state: str, limit: int, key: str, following: str) -> Handler:
    """A typed field of the site being described, then the question `following`."""

    async def store(update: Update, context: Context, value: str) -> str:
        draft_of(context).setdefault("site", {})[key] = value
        return await ask(update, context, following)

    return staff_only(typed_answer(state, text_up_to(limit), store))


on_site_name = _site_field(SITE_NAME, NAME_LIMIT, "name", SITE_ADDRESS)
on_site_address = _site_field(SITE_ADDRESS, ADDRESS_LIMIT, "address", SITE_ROOMS)


@staff_only
async def on_site_video(update: Update, context: Context) -> str:
    _ = translator_for(update)
    link = typed_text(update).strip()
    if not re.fullmatch(r"https?://\S+", link) or len(link) > URL_LIMIT:
        error = _("Please send a link that starts with https://")
        return await ask(update, context, SITE_VIDEO, error)
    draft_of(context).setdefault("site", {})["video_url"] = link
    return await ask(update, context, SITE_ROOMS)


async def _set_rooms(update: Update, context: Context, rooms: int) -> str:
    draft = draft_of(context)
    site = draft.pop("site", None)
    if not site or "name" not in site:
        return await ask(update, context, SITE_KIND)
    site["rooms"] = rooms
    draft.setdefault("sites", []).append(site)
    return await ask(update, context, SITE_MORE)


on_site_rooms = staff_only(typed_answer(SITE_ROOMS, number_between(1, 200), _set_rooms))
on_site_rooms_button = staff_only(pressed_number(SITE_ROOMS, ROOM_CHOICES, _set_rooms))


@staff_only
async def on_site_more(update: Update, context: Context) -> str:
    parts = await acknowledge(update)
    choice = parts[2] if len(parts) > 2 else ""
    draft = draft_of(context)
    if choice == "site":
        if len(draft.get("sites", [])) >= MAX_SITES:
            _ = translator_for(update)
            error = _("{count} sites at most.", count=MAX_SITES)
            return await ask(update, context, SITE_MORE, error)
        return await ask(update, context, SITE_KIND)
    if choice == "done" and draft.get("sites"):
        return await advance(update, context, FORMAT)
    return await ask(update, context, SITE_MORE)
