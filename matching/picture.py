"""A picture of the plan for staff: one column per round, one box per room.

Staff read it on a phone, zooming in: so the type is large, names are never cut when they
fit (they wrap onto a second line instead), sites show their names rather than the engine's
ids, and the title says which event, which day, at what time. Each person is a line with a
coloured square holding the *number* of their first ROME sector (key at the bottom); the role
is the letter before the name, ``E`` for employers (in bold) and ``C`` for candidates, so a
sector mark can never be read as a role.

Drawn with matplotlib's object API (no pyplot, no global state: safe in the bot's threads).
:func:`plan_figure` returns the figure, so tests can read every text it holds;
:func:`render_plan_png` saves it as PNG, at most :data:`MAX_SIDE` pixels on its longest side.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_decimal
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle

from matching.i18n import Translator, sector_labels, translator
from matching.model import Instance, Plan

MAX_SIDE = 4000
DPI = 100
PX_PER_PT = DPI / 72
CHAR_WIDTH = 0.6  # of the font size: DejaVu Sans (bold) mean width, with a margin
SECTOR_COLOURS = {
    "A": "#56a04c",
    "B": "#ad7842",
    "C": "#3465a4",
    "D": "#e67e22",
    "E": "#9b59b6",
    "F": "#7f8c8d",
    "G": "#e74c3c",
    "H": "#2c3e50",
    "I": "#f1c40f",
    "J": "#1abc9c",
    "K": "#ec70a0",
    "L": "#8e44ad",
    "M": "#2980b9",
    "N": "#785e3c",
}
NO_SECTOR = "#c8c8c8"
BACKGROUND = "#ffffff"
INK = "#1e1e1e"
MUTED = "#5a5f6a"
BOX = "#f5f6fa"
BORDER = "#a0a6b4"

NAME_PT = 15  # people's names: about 21 pixels high, readable on a phone
ROOM_PT = 15
ROUND_PT = 20
TITLE_PT = 26
SUBTITLE_PT = 16
LEGEND_PT = 14
MAX_LINE_CHARS = 26  # a box is at most this many characters wide; longer names wrap
MIN_LINE_CHARS = 16
MIN_WIDTH = 1100.0  # pixels: the title's day and time fit on one line
NBSP = "\u00a0"
KEEP_TOGETHER = re.compile(r"\d+ h \d+|\S+ [:;?!\u00bb]|\u00ab \S+")  # guillemets: « »
LEGEND_CHARS = 30


@dataclass(frozen=True)
class _Entry:
    """One person in a box: role letter, sector number and colour, wrapped name lines."""

    role: str
    number: str
    colour: str
    lines: tuple[str, ...]


def _wrap(text: str, width: int) -> tuple[str, ...]:
    """Lines of at most `width` characters, cut between words; only a word longer than a
    whole line is shortened (with "…"), since it cannot fit any other way."""
    # "13 h 30" and French " :" stay whole: bound by no-break spaces while wrapping.
    bound = KEEP_TOGETHER.sub(lambda match: match.group(0).replace(" ", NBSP), text)
    lines = textwrap.wrap(bound, width=width, break_long_words=False, break_on_hyphens=False)
    lines = [line.replace(NBSP, " ") for line in lines] or [""]
    return tuple(line if len(line) <= width else line[: width - 1] + "…" for line in lines)


def _line_px(points: float) -> float:
    return points * PX_PER_PT * 1.3


def _text_px(chars: int, points: float) -> float:
    return chars * points * PX_PER_PT * CHAR_WIDTH


def _moment(_: Translator, moment: datetime, zone: str | None) -> str:
    local = moment.astimezone(ZoneInfo(zone)) if zone else moment
    day = format_date(local.date(), "EEEE d MMMM y", locale=_.language)
    return _("{day} at {hour} h {minute:02d}", day=day, hour=local.hour, minute=local.minute)


def _hour(_: Translator, moment: datetime, zone: str | None) -> str:
    local = moment.astimezone(ZoneInfo(zone)) if zone else moment
    return _("{hour} h {minute:02d}", hour=local.hour, minute=local.minute)


def _text_colour(background: str) -> str:
    """White on dark squares, black on light ones (yellow, grey)."""
    red, green, blue = (int(background[k : k + 2], 16) for k in (1, 3, 5))
    return "#ffffff" if 0.299 * red + 0.587 * green + 0.114 * blue < 150 else "#000000"


def plan_figure(
    instance: Instance,
    plan: Plan,
    language: str = "fr",
    *,
    event_name: str | None = None,
    starts_at: datetime | None = None,
    timezone: str | None = None,
    round_minutes: int | None = None,
    site_names: Mapping[str, str] | None = None,
) -> Figure:
    """The plan as a matplotlib figure, before saving; see :func:`render_plan_png`."""
    _ = translator(language)
    labels = sector_labels(language)
    numbers = {letter: str(k) for k, (letter, _label) in enumerate(labels, start=1)}
    first_sector = {p.id: (p.sectors[0] if p.sectors else None) for p in instance.people}
    names = {p.id: p.name or p.id for p in instance.people}
    sites = dict(site_names or {})
    employers = {e.id for e in instance.employers}

    def room_title(site: str, room: int) -> str:
        return _("{site} · room {room}", site=sites.get(site, site), room=room)

    # The box width: as wide as the longest name or room title, within bounds.
    texts = [names.get(key, key) for key in names] + [
        room_title(room.site, room.room) for rp in plan.rounds for room in rp.rooms
    ]
    chars = max(MIN_LINE_CHARS, min(MAX_LINE_CHARS, max((len(t) for t in texts), default=0)))

    def entry(key: str) -> _Entry:
        sector = first_sector.get(key)
        return _Entry(
            role="E" if key in employers else "C",
            number=numbers.get(sector or "", "–"),
            colour=SECTOR_COLOURS.get(sector or "", NO_SECTOR),
            lines=_wrap(names.get(key, key), chars),
        )

    boxes = [
        [
            (
                _wrap(room_title(room.site, room.room), chars),
                [entry(k) for k in room.employers],
                [entry(k) for k in room.candidates],
            )
            for room in rp.rooms
        ]
        for rp in plan.rounds
    ]
    name_h, room_h = _line_px(NAME_PT), _line_px(ROOM_PT)
    pad = 14.0
    chip = NAME_PT * PX_PER_PT * 1.15
    text_x = pad + chip + 10 + _text_px(2, NAME_PT)  # chip, then "E " / "C "
    box_w = text_x + _text_px(chars, NAME_PT) + pad
    box_h = max(
        [
            pad
            + len(title) * room_h
            + sum(len(e.lines) for e in (*employer_entries, *candidate_entries)) * name_h
            + pad
            for rp in boxes
            for title, employer_entries, candidate_entries in rp
        ]
        + [pad * 2 + room_h]
    )
    gap = 16.0
    n_rounds = max(1, len(plan.rounds))
    most_rooms = max([len(rp.rooms) for rp in plan.rounds] + [1])
    sub_cols = _sub_columns(n_rounds, most_rooms, box_w + gap, box_h + gap)
    rows = math.ceil(most_rooms / sub_cols)
    col_w = sub_cols * (box_w + gap) + gap
    hours: list[str] = []
    if starts_at is not None and round_minutes:
        for rp in plan.rounds:
            start = starts_at + timedelta(minutes=(rp.round - 1) * round_minutes)
            hours.append(
                _(
                    "from {start} to {end}",
                    start=_hour(_, start, timezone),
                    end=_hour(_, start + timedelta(minutes=round_minutes), timezone),
                )
            )

    # Title: the event, its day and time; then the plan's round count and score.
    score = format_decimal(plan.score, format="0.00", locale=_.language)
    plan_line = _.n(
        "Event plan — {count} round, score {score}",
        "Event plan — {count} rounds, score {score}",
        len(plan.rounds),
        score=score,
    )
    heading: list[tuple[str, float, str]] = []  # (text, points, weight)
    if event_name:
        title = event_name
        if starts_at is not None:
            title = _(
                "{event} — {moment}", event=event_name, moment=_moment(_, starts_at, timezone)
            )
        heading.append((title, TITLE_PT, "bold"))
        heading.append((plan_line, SUBTITLE_PT, "normal"))
    else:
        heading.append((plan_line, TITLE_PT, "bold"))

    width = math.ceil(max(n_rounds * col_w + gap, MIN_WIDTH))

    def fitting(points: float) -> int:
        """How many characters of this size fit across the picture."""
        return max(20, int((width - 2 * gap) / (points * PX_PER_PT * CHAR_WIDTH)))

    headings = [(_wrap(text, fitting(pt)), pt, weight) for text, pt, weight in heading]
    wide_chars = fitting(LEGEND_PT)
    waiting_lines: tuple[str, ...] = ()
    if plan.waiting:
        listed = ", ".join(names.get(w.id, w.id) for w in plan.waiting)
        line = _("Waiting list ({count}): {names}", count=len(plan.waiting), names=listed)
        waiting_lines = _wrap(line, wide_chars)
    items = [
        (numbers[letter], SECTOR_COLOURS.get(letter, NO_SECTOR), _wrap(label, LEGEND_CHARS))
        for letter, label in labels
    ]
    items.append(("–", NO_SECTOR, _wrap(_("no sector given"), LEGEND_CHARS)))
    item_w = _text_px(LEGEND_CHARS + 4, LEGEND_PT)
    per_row = max(1, int((width - 2 * gap) // item_w))
    key_lines = _wrap(
        _("E = employer (in bold), C = candidate · Number in the square = sector (ROME):"),
        max(20, wide_chars),
    )
    legend_rows = [items[k : k + per_row] for k in range(0, len(items), per_row)]
    legend_h = _line_px(LEGEND_PT) * (
        len(key_lines) + sum(max(len(item[2]) for item in row) for row in legend_rows)
    )

    title_h = gap + sum(len(lines) * _line_px(pt) for lines, pt, _w in headings) + gap
    round_h = _line_px(ROUND_PT) + (_line_px(NAME_PT) if hours else 0) + 6
    grid_h = rows * (box_h + gap)
    waiting_h = (len(waiting_lines) * _line_px(LEGEND_PT) + gap) if waiting_lines else 0.0
    height = math.ceil(title_h + round_h + grid_h + waiting_h + legend_h + gap)

    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor=BACKGROUND)
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, width)
    axes.set_ylim(height, 0)
    axes.set_axis_off()

    chips: list[Rectangle] = []
    y = gap
    for lines, points, weight in headings:
        axes.text(
            gap,
            y,
            "\n".join(lines),
            fontsize=points,
            fontweight=weight,
            color=INK,
            va="top",
            linespacing=1.3,
        )
        y += len(lines) * _line_px(points)

    for column, rp in enumerate(plan.rounds):
        x0 = gap + column * col_w
        header = _("Round {number}", number=rp.round)
        axes.text(x0, title_h, header, fontsize=ROUND_PT, fontweight="bold", color=INK, va="top")
        if hours:
            axes.text(
                x0,
                title_h + _line_px(ROUND_PT),
                hours[column],
                fontsize=NAME_PT,
                color=INK,
                va="top",
            )
        for k, (room_lines, employer_entries, candidate_entries) in enumerate(boxes[column]):
            x = x0 + (k // rows) * (box_w + gap)
            top = title_h + round_h + (k % rows) * (box_h + gap)
            _box(axes, x, top, box_w, box_h)
            ly = top + pad
            axes.text(
                x + pad,
                ly,
                "\n".join(room_lines),
                fontsize=ROOM_PT,
                fontweight="bold",
                color=INK,
                va="top",
                linespacing=room_h / (ROOM_PT * PX_PER_PT),
            )
            ly += len(room_lines) * room_h
            for person in (*employer_entries, *candidate_entries):
                _person(axes, chips, person, x + pad, x + text_x, ly, chip, name_h)
                ly += len(person.lines) * name_h

    axes.add_collection(PatchCollection(chips, match_original=True, zorder=1.5), autolim=False)
    y = title_h + round_h + grid_h
    for line in waiting_lines:
        axes.text(gap, y, line, fontsize=LEGEND_PT, color=INK, va="top")
        y += _line_px(LEGEND_PT)
    if waiting_lines:
        y += gap
    _legend(axes, key_lines, legend_rows, gap, y, item_w)
    for text in axes.texts:
        text.set_parse_math(False)  # a "$" in a name is a dollar, not a formula
    return figure


def render_plan_png(
    instance: Instance,
    plan: Plan,
    language: str = "fr",
    *,
    event_name: str | None = None,
    starts_at: datetime | None = None,
    timezone: str | None = None,
    round_minutes: int | None = None,
    site_names: Mapping[str, str] | None = None,
) -> bytes:
    """PNG bytes of the plan, legible zoomed in on a phone for 1..8 rounds and ~60 rooms.

    `event_name`, `starts_at` (aware) and `timezone` make the title; with `round_minutes`,
    each round's column says its hours; `site_names` maps the engine's site ids to names.
    """
    figure = plan_figure(
        instance,
        plan,
        language,
        event_name=event_name,
        starts_at=starts_at,
        timezone=timezone,
        round_minutes=round_minutes,
        site_names=site_names,
    )
    width, height = figure.get_size_inches() * DPI
    dpi = DPI * min(1.0, MAX_SIDE / max(width, height))
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=dpi, facecolor=BACKGROUND)
    return buffer.getvalue()


def _box(axes: Axes, x: float, top: float, width: float, height: float) -> None:
    axes.add_artist(  # not add_patch: the limits are set, no need to grow them per box
        FancyBboxPatch(
            (x, top),
            width,
            height,
            boxstyle="round,pad=0,rounding_size=8",
            facecolor=BOX,
            edgecolor=BORDER,
            linewidth=1.2,
        )
    )


def _person(
    axes: Axes,
    chips: list[Rectangle],
    person: _Entry,
    chip_x: float,
    text_x: float,
    y: float,
    chip: float,
    line_h: float,
) -> None:
    """Sector square with its number, the role letter, then the name's lines.

    The squares are gathered in `chips` and drawn as one collection (hundreds on big plans).
    """
    chip_top = y + (line_h - chip) / 2 - 2
    chips.append(Rectangle((chip_x, chip_top), chip, chip, facecolor=person.colour))
    axes.text(
        chip_x + chip / 2,
        chip_top + chip / 2,
        person.number,
        fontsize=NAME_PT * 0.72,
        fontweight="bold",
        color=_text_colour(person.colour),
        ha="center",
        va="center",
    )
    weight = "bold" if person.role == "E" else "normal"
    axes.text(chip_x + chip + 8, y, person.role, fontsize=NAME_PT, color=MUTED, va="top")
    axes.text(
        text_x,
        y,
        "\n".join(person.lines),  # one text per name: thousands fewer to draw on big plans
        fontsize=NAME_PT,
        fontweight=weight,
        color=INK,
        va="top",
        linespacing=line_h / (NAME_PT * PX_PER_PT),
    )


def _sub_columns(n_rounds: int, rooms: int, cell_w: float, cell_h: float) -> int:
    """Sub-columns per round giving the picture an aspect ratio closest to 16:10."""

    def badness(sub: int) -> float:
        width = n_rounds * sub * cell_w
        height = math.ceil(rooms / sub) * cell_h
        return abs(math.log(width / height / 1.6))

    return min(range(1, rooms + 1), key=badness)


def _legend(
    axes: Axes,
    key_lines: tuple[str, ...],
    rows: list[list[tuple[str, str, tuple[str, ...]]]],
    x0: float,
    y0: float,
    item_w: float,
) -> None:
    """The key: roles first, then each sector's number and colour, then "no sector"."""
    line_h = _line_px(LEGEND_PT)
    for line in key_lines:
        axes.text(x0, y0, line, fontsize=LEGEND_PT, color=INK, va="top")
        y0 += line_h
    chip = LEGEND_PT * PX_PER_PT * 1.15
    for row in rows:
        for k, (number, colour, label_lines) in enumerate(row):
            x = x0 + k * item_w
            axes.add_artist(Rectangle((x, y0), chip, chip, facecolor=colour))
            axes.text(
                x + chip / 2,
                y0 + chip / 2,
                number,
                fontsize=LEGEND_PT * 0.72,
                fontweight="bold",
                color=_text_colour(colour),
                ha="center",
                va="center",
            )
            for n, line in enumerate(label_lines):
                axes.text(
                    x + chip + 8, y0 + n * line_h, line, fontsize=LEGEND_PT, color=INK, va="top"
                )
        y0 += line_h * max(len(item[2]) for item in row)
