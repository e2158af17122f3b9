"""Convocation texts, `.ics` files and what changed between two plans, per person.

Pure functions over plain data (the engine's `matching.Plan`, the infos below): publication
loads the rows, these build what each participant reads. Only fields a participant may see
ever reach them: for other candidates their first name (and, for employers, the portrait
card the candidate agreed to share); never constraints, programme, eligibility answers or
last names.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.callbacks import Attendance
from bot.dates import format_span, format_time, format_when
from bot.i18n import N_, Translator, sectors
from matching import Plan

DEFAULT_TO_BRING = {
    "candidate": N_(
        "Your CV printed in 2 or 3 copies, an identity document and something to write with. "
        "Prepare a short presentation of your path and your professional project "
        "(2 minutes)."
    ),
    "employer": N_(
        "A short presentation of your company and of the jobs you recruit for. "
        "Think of concrete and kind feedback for each candidate."
    ),
}


@dataclass(frozen=True)
class SiteInfo:
    key: str
    name: str
    address: str | None
    remote: bool
    video_url: str | None


@dataclass(frozen=True)
class PersonInfo:
    """What participants may learn about each other (no staff-only field here)."""

    key: str
    person_id: int
    role: str
    first_name: str
    full_name: str
    company: str | None = None
    job_title: str | None = None
    sector_codes: tuple[str, ...] = ()
    target_job: str | None = None


@dataclass(frozen=True)
class EventInfo:
    id: int
    name: str
    starts_at: datetime
    timezone: str
    round_minutes: int
    rounds: int
    what_to_bring: str | None
    sites: dict[str, SiteInfo] = field(default_factory=dict)


@dataclass(frozen=True)
class Seat:
    """One round of one person's convocation."""

    round: int
    site: str
    room: int
    employers: tuple[str, ...]
    candidates: tuple[str, ...]

    @property
    def members(self) -> frozenset[str]:
        return frozenset((*self.employers, *self.candidates))


def seats_of(plan: Plan, key: str) -> list[Seat]:
    """Every (round, room) where `key` sits in the plan, by round."""
    seats = [
        Seat(number, room.site, room.room, tuple(room.employers), tuple(room.candidates))
        for number, room in plan.rooms_of(key)
    ]
    return sorted(seats, key=lambda seat: seat.round)


def seated_in(plan: Plan) -> set[str]:
    """Everyone with a seat in at least one round."""
    return {
        key
        for round_plan in plan.rounds
        for room in round_plan.rooms
        for key in (*room.employers, *room.candidates)
    }


def people_in(plan: Plan) -> set[str]:
    """Everyone the plan concerns: seated or on the waiting list."""
    return seated_in(plan) | {waiting.id for waiting in plan.waiting}


def signature(seats: list[Seat]) -> set[tuple[object, ...]]:
    """What makes a convocation: round, site, room and room-mates (as the engine counts)."""
    return {(seat.round, seat.site, seat.room, seat.members) for seat in seats}


def round_times(event: EventInfo, round_number: int) -> tuple[datetime, datetime]:
    start = event.starts_at + timedelta(minutes=(round_number - 1) * event.round_minutes)
    return start, start + timedelta(minutes=event.round_minutes)


def french_moment(_: Translator, moment: datetime, zone: str) -> str:
    """'mardi 12 mars 2027 à 13 h 30' in the event's time zone (`bot.dates`' one format)."""
    return format_when(moment, zone, _.language)


def french_hour(_: Translator, moment: datetime, zone: str) -> str:
    """'13 h 30', '15 h' in the event's time zone."""
    return format_time(moment, zone)


def sector_labels(codes: tuple[str, ...], language: str) -> list[str]:
    known = {sector.code: sector.short_label for sector in sectors(language)}
    return [known.get(code, code) for code in codes]


def _place_lines(_: Translator, site: SiteInfo) -> list[str]:
    if site.remote:
        lines = [_("Place: by video ({site})", site=site.name)]
        if site.video_url:
            lines.append(_("Video link: {url}", url=site.video_url))
        return lines
    if site.address:
        return [_("Place: {site}, {address}", site=site.name, address=site.address)]
    return [_("Place: {site}", site=site.name)]


def _who_you_meet(
    _: Translator, me: PersonInfo, seat: Seat, people: dict[str, PersonInfo]
) -> list[str]:
    lines: list[str] = []
    if me.role == "employer":
        others = [people[key].first_name for key in seat.employers if key != me.key]
        names = [people[key].first_name for key in seat.candidates if key in people]
        lines.append(_("Candidates you will meet: {names}", names=", ".join(names)))
        if others:
            lines.append(_("With you in the room: {names}", names=", ".join(others)))
        return lines
    for key in seat.employers:
        employer = people.get(key)
        if employer is None:
            continue
        company = employer.company or employer.job_title or ""
        text = employer.full_name + (f", {company}" if company else "")
        lines.append(_("You will meet: {employer}", employer=text))
    mates = [people[key].first_name for key in seat.candidates if key != me.key and key in people]
    if mates:
        lines.append(_("Other candidates in your room: {names}", names=", ".join(mates)))
    return lines


def convocation_text(
    _: Translator,
    event: EventInfo,
    me: PersonInfo,
    seats: list[Seat],
    people: dict[str, PersonInfo],
    changes: list[str] | None = None,
) -> str:
    """The whole convocation: when, where, which room, with whom, what to bring."""
    title = (
        _("<b>Your convocation has changed: {event}</b>", event=event.name)
        if changes
        else _("<b>Your convocation: {event}</b>", event=event.name)
    )
    lines = [title]
    if changes:
        lines += ["", _("What changes:"), *(f"• {change}" for change in changes)]
    for seat in seats:
        start, end = round_times(event, seat.round)
        site = event.sites[seat.site]
        lines.append("")
        if event.rounds > 1:
            lines.append(_("<b>Round {number}</b>", number=seat.round))
        lines.append(_("When: {when}", when=format_span(start, end, event.timezone, _.language)))
        lines += _place_lines(_, site)
        lines.append(_("Room: {room}", room=seat.room))
        lines += _who_you_meet(_, me, seat, people)
    # What to bring is one button away ("En savoir plus", `preparation_text`), and in the
    # calendar file; no "please confirm" line: the buttons under the message say it.
    return "\n".join(lines)


def preparation_text(_: Translator, what_to_bring: str | None, role: str) -> str:
    """What to bring and prepare: the event's own text, or the default for the role."""
    text = what_to_bring or _.plain(DEFAULT_TO_BRING.get(role, ""))
    return _("To bring and prepare: {text}", text=text)


def more_row(_: Translator, registration_id: int) -> list[tuple[str, str]]:
    return [(_.plain("Learn more"), Attendance(registration_id, "more").pack())]


def attendance_row(_: Translator, registration_id: int) -> list[tuple[str, str]]:
    """The two answers under a convocation or a staff reminder (one row, for the outbox)."""
    return [
        (_.plain("I confirm I will come"), Attendance(registration_id, "yes").pack()),
        (_.plain("I cannot come"), Attendance(registration_id, "no").pack()),
    ]


def waiting_text(
    _: Translator,
    event: EventInfo,
    had_seat: bool,
    place: int | None = None,
    rule: str | None = None,
) -> str:
    """`place` on the waiting list (1 = next) and the admission `rule` (a msgid) when known."""
    if had_seat:
        text = _(
            "<b>{event}</b>: your convocation is cancelled, you are now on the waiting list. "
            "We will write to you if a seat frees up.",
            event=event.name,
        )
    else:
        text = _(
            "<b>{event}</b>: all seats are taken for now. You are on the waiting list. "
            "We will write to you if a seat frees up.",
            event=event.name,
        )
    if place is not None:
        text += "\n" + _("Your place on the waiting list: {place}.", place=place)
    if rule is not None:
        text += " " + _(rule)
    return text


def describe_changes(
    _: Translator,
    event: EventInfo,
    before: list[Seat],
    after: list[Seat],
    people: dict[str, PersonInfo],
) -> list[str]:
    """Short French sentences saying how one person's convocation changed."""
    if not before:
        return [_("You now have a seat.")]
    old = {seat.round: seat for seat in before}
    new = {seat.round: seat for seat in after}
    changes: list[str] = []
    for number in sorted(set(old) | set(new)):
        was, now = old.get(number), new.get(number)
        label = _.plain("Round {number}", number=number)
        if was is None and now is not None:
            start, _end = round_times(event, number)
            changes.append(
                _(
                    "{round}: new time slot at {hour}.",
                    round=label,
                    hour=french_hour(_, start, event.timezone),
                )
            )
        elif was is not None and now is None:
            changes.append(_("{round}: this time slot is cancelled for you.", round=label))
        elif was is not None and now is not None:
            if (was.site, was.room) != (now.site, now.room):
                changes.append(
                    _(
                        "{round}: you move to room {room} ({site}).",
                        round=label,
                        room=now.room,
                        site=event.sites[now.site].name,
                    )
                )
            if was.members != now.members:
                joined = [
                    people[key].first_name for key in now.members - was.members if key in people
                ]
                left = [
                    people[key].first_name for key in was.members - now.members if key in people
                ]
                if joined:
                    changes.append(
                        _(
                            "{round}: new in your room: {names}.",
                            round=label,
                            names=", ".join(sorted(joined)),
                        )
                    )
                if left:
                    changes.append(
                        _(
                            "{round}: no longer in your room: {names}.",
                            round=label,
                            names=", ".join(sorted(left)),
                        )
                    )
    return changes or [_("Your convocation was updated.")]


# -- iCalendar (RFC 5545), written by hand: a few lines, no dependency -----------------------


ALARM_BEFORE = timedelta(hours=2)


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts: list[str] = []
    current = ""
    limit = 75
    for char in line:
        if len((current + char).encode("utf-8")) > limit:
            parts.append(current)
            current = char
            limit = 74
        else:
            current += char
    parts.append(current)
    return "\r\n ".join(parts)


def _utc(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")


def coordinator_contact(first_name: str | None, username: str | None) -> str | None:
    """How to reach the event's coordinator from a calendar entry (a Telegram link)."""
    if not username:
        return None
    link = f"https://t.me/{username}"
    return f"{first_name}, {link}" if first_name else link


def _description(
    _: Translator,
    event: EventInfo,
    me: PersonInfo,
    seat: Seat,
    people: dict[str, PersonInfo],
    contact: str | None,
) -> str:
    """The entry's notes, plain text: room, whom you meet, what to bring, whom to ask."""
    site = event.sites[seat.site]
    lines = [_.plain("Room: {room}", room=seat.room)]
    lines += [html.unescape(line) for line in _place_lines(_, site)]
    # The convocation's own sentences, HTML-escaped for Telegram: back to plain text here.
    lines += [html.unescape(line) for line in _who_you_meet(_, me, seat, people)]
    to_bring = event.what_to_bring or _.plain(DEFAULT_TO_BRING.get(me.role, ""))
    if to_bring:
        lines.append(_.plain("To bring and prepare: {text}", text=to_bring))
    if contact:
        lines.append(_.plain("A question? Your contact: {contact}", contact=contact))
    return "\n".join(lines)


def calendar_file(
    _: Translator,
    event: EventInfo,
    me: PersonInfo,
    seats: list[Seat],
    *,
    sequence: int,
    stamp: datetime,
    people: dict[str, PersonInfo] | None = None,
    contact: str | None = None,
) -> bytes:
    """One VEVENT per round; a stable UID so a newer file updates the same agenda entry.

    Each entry's DESCRIPTION says the room, whom the person meets (from `people`), what to
    bring and, when known, the coordinator's `contact`; the first round carries a reminder
    :data:`ALARM_BEFORE` ahead (one alarm for the day, not one per round).
    """
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Passerelle//Convocation//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    for number, seat in enumerate(seats):
        start, end = round_times(event, seat.round)
        site = event.sites[seat.site]
        location = site.video_url if site.remote and site.video_url else site.name
        if site.address and not site.remote:
            location = f"{site.name}, {site.address}"
        summary = _.plain("{event} – room {room}", event=event.name, room=seat.room)
        description = _description(_, event, me, seat, people or {}, contact)
        digest = hashlib.sha1(f"{event.id}:{me.person_id}".encode()).hexdigest()[:12]
        lines += [
            "BEGIN:VEVENT",
            f"UID:passerelle-{event.id}-{digest}-r{seat.round}@passerelle",
            f"DTSTAMP:{_utc(stamp)}",
            f"DTSTART:{_utc(start)}",
            f"DTEND:{_utc(end)}",
            f"SEQUENCE:{sequence}",
            f"SUMMARY:{_ics_text(summary)}",
            f"LOCATION:{_ics_text(location)}",
            f"DESCRIPTION:{_ics_text(description)}",
        ]
        if number == 0:
            reminder = html.unescape(  # `n` escapes for Telegram; this is plain text
                _.n(
                    "{event} in {count} hour, room {room}",
                    "{event} in {count} hours, room {room}",
                    ALARM_BEFORE // timedelta(hours=1),
                    event=event.name,
                    room=seat.room,
                )
            )
            lines += [
                "BEGIN:VALARM",
                "ACTION:DISPLAY",
                f"TRIGGER:-PT{ALARM_BEFORE // timedelta(minutes=1)}M",
                f"DESCRIPTION:{_ics_text(reminder)}",
                "END:VALARM",
            ]
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")
