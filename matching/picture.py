"""A picture of the plan for staff: one column per round, one box per room.

Each person is a line with a colour chip for their first ROME sector (A..N, legend at the
bottom); employers are in bold-looking capitals-free lines marked ``E``, candidates ``C``.
Large plans wrap the rooms of a round into several sub-columns and shrink the font, then the
whole picture is scaled down to stay under :data:`MAX_SIDE` pixels.
"""

from __future__ import annotations

import io
import math
import unicodedata

from PIL import Image, ImageDraw, ImageFont

from matching.i18n import Translator, sector_labels, translator
from matching.model import Instance, Plan

MAX_SIDE = 4000
SECTOR_COLOURS = {
    "A": (86, 160, 76),
    "B": (173, 120, 66),
    "C": (52, 101, 164),
    "D": (230, 126, 34),
    "E": (155, 89, 182),
    "F": (127, 140, 141),
    "G": (231, 76, 60),
    "H": (44, 62, 80),
    "I": (241, 196, 15),
    "J": (26, 188, 156),
    "K": (236, 112, 160),
    "L": (142, 68, 173),
    "M": (41, 128, 185),
    "N": (120, 94, 60),
}
NO_SECTOR = (200, 200, 200)
BACKGROUND = (255, 255, 255)
INK = (30, 30, 30)
BOX = (245, 246, 250)
BORDER = (160, 166, 180)


Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _font(size: int) -> Font:
    """DejaVu Sans when the system has it (full French accents), else Pillow's own font."""
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def _has_accents(font: Font) -> bool:
    return "Aileron" not in " ".join(getattr(font, "getname", lambda: ("",))())


def _plain(text: str) -> str:
    """Pillow's built-in font has no accented letters: fall back to unaccented text."""
    text = text.replace("—", "-").replace("’", "'")
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )


def render_plan_png(instance: Instance, plan: Plan, language: str = "fr") -> bytes:
    """PNG bytes of the plan, legible at a glance for 1..8 rounds and up to ~60 rooms."""
    _ = translator(language)
    labels = sector_labels(language)
    sectors = {p.id: (p.sectors[0] if p.sectors else None) for p in instance.people}
    names = {p.id: p.name or p.id for p in instance.people}
    n_rounds = max(1, len(plan.rounds))
    most_rooms = max([len(rp.rooms) for rp in plan.rounds] + [1])
    ev = instance.event
    lines_per_box = 1 + ev.employers_per_room + ev.candidates_per_room
    size = 16 if n_rounds * most_rooms <= 24 else 13
    line_h = size + 5
    box_w = size * 14
    box_h = lines_per_box * line_h + 10
    pad = 12
    sub_cols = _sub_columns(n_rounds, most_rooms, box_w + pad, box_h + pad)
    rows = math.ceil(most_rooms / sub_cols)
    col_w = sub_cols * (box_w + pad) + pad
    title_h = 2 * line_h + pad
    width = max(n_rounds * col_w + pad, 760)
    legend_rows = math.ceil(len(labels) / max(1, (width - pad) // (size * 18)))
    legend_h = (legend_rows + 1) * line_h + pad
    waiting_h = 2 * line_h if plan.waiting else 0
    height = title_h + line_h + rows * (box_h + pad) + waiting_h + legend_h + pad
    image = Image.new("RGB", (width, height), BACKGROUND)
    raw_draw = ImageDraw.Draw(image)
    font, small, big = _font(size), _font(max(size - 2, 9)), _font(size + 6)
    draw = _Writer(raw_draw, _has_accents(font))
    title = _.n(
        "Event plan — {count} round, score {score}",
        "Event plan — {count} rounds, score {score}",
        len(plan.rounds),
        score=f"{plan.score:.2f}",
    )
    draw.text((pad, pad), title, fill=INK, font=big)
    max_chars = max(8, box_w // max(1, int(size * 0.55)) - 4)
    for col, rp in enumerate(plan.rounds):
        x0 = pad + col * col_w
        y0 = title_h
        draw.text((x0, y0), _("Round {number}", number=rp.round), fill=INK, font=big)
        for k, room in enumerate(rp.rooms):
            x = x0 + (k // rows) * (box_w + pad)
            y = y0 + line_h + pad + (k % rows) * (box_h + pad)
            draw.rounded_rectangle((x, y, x + box_w, y + box_h), radius=6, fill=BOX, outline=BORDER)
            box_title = _("{site} · room {room}", site=room.site, room=room.room)
            draw.text((x + 6, y + 4), _cut(box_title, max_chars), fill=INK, font=font)
            ly = y + 4 + line_h
            people = [("E", p) for p in room.employers] + [("C", p) for p in room.candidates]
            for role, person in people:
                colour = SECTOR_COLOURS.get(sectors.get(person) or "", NO_SECTOR)
                draw.rectangle((x + 6, ly + 2, x + 6 + size - 4, ly + size - 2), fill=colour)
                label = f"{role} {names.get(person, person)}"
                draw.text(
                    (x + size + 6, ly),
                    _cut(label, max_chars - 2),
                    fill=INK,
                    font=font if role == "E" else small,
                )
                ly += line_h
    y = height - legend_h - waiting_h
    if plan.waiting:
        ids = ", ".join(names.get(w.id, w.id) for w in plan.waiting)
        line = _("Waiting list ({count}): {names}", count=len(plan.waiting), names=ids)
        draw.text((pad, y), _cut(line, width // max(1, int(size * 0.55))), fill=INK, font=font)
        y += waiting_h
    _legend(draw, _, labels, (pad, y), width, size, small)
    if max(image.size) > MAX_SIDE:
        scale = MAX_SIDE / max(image.size)
        image = image.resize(
            (int(image.width * scale), int(image.height * scale)), Image.Resampling.LANCZOS
        )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


class _Writer:
    """ImageDraw with text passed through :func:`_plain` when the font lacks accents."""

    def __init__(self, draw: ImageDraw.ImageDraw, accents: bool) -> None:
        self.draw = draw
        self.accents = accents
        self.rectangle = draw.rectangle
        self.rounded_rectangle = draw.rounded_rectangle

    def text(self, xy: tuple[int, int], text: str, fill: tuple[int, int, int], font: Font) -> None:
        self.draw.text(xy, text if self.accents else _plain(text), fill=fill, font=font)


def _sub_columns(n_rounds: int, rooms: int, cell_w: int, cell_h: int) -> int:
    """Sub-columns per round giving the picture an aspect ratio closest to 16:10."""

    def badness(sub: int) -> float:
        width = n_rounds * sub * cell_w
        height = math.ceil(rooms / sub) * cell_h
        return abs(math.log(width / height / 1.6))

    return min(range(1, rooms + 1), key=badness)


def _legend(
    draw: _Writer,
    _: Translator,
    labels: tuple[tuple[str, str], ...],
    at: tuple[int, int],
    width: int,
    size: int,
    font: Font,
) -> None:
    x0, y0 = at
    draw.text((x0, y0), _("Sectors (ROME) · E = employer, C = candidate"), fill=INK, font=font)
    item_w = size * 18
    per_row = max(1, (width - x0) // item_w)
    for k, (letter, label) in enumerate(labels):
        x = x0 + (k % per_row) * item_w
        y = y0 + (size + 5) * (1 + k // per_row)
        draw.rectangle(
            (x, y + 2, x + size - 4, y + size - 2), fill=SECTOR_COLOURS.get(letter, NO_SECTOR)
        )
        draw.text((x + size, y), _cut(f"{letter} {label}", 34), fill=INK, font=font)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "…"
