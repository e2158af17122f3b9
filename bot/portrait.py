"""The portrait card ("un visage pour l'emploi") drawn with Pillow, as a phone-sized PNG.

Qualities and skills come first, before sectors, as the Lille social workers did. The
renderer reports the boxes it drew so tests (and future layouts) can check the order and
that nothing overflows. Only what the person agreed to show is on the card: `PortraitCard`
has no field for staff-only data (constraints, programme, eligibility answers).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cache

from PIL import Image, ImageDraw, ImageFont, ImageOps

from bot.i18n import Translator

WIDTH, HEIGHT = 720, 960
MARGIN = 48
PHOTO_SIZE = 200
STORED_PHOTO_SIZE = 480
BLOCK_LINES = 4
MAX_PHOTO_BYTES = 10 * 1024 * 1024

BACKGROUND = (255, 255, 255)
BAND = (33, 87, 138)
INK = (30, 30, 30)
SOFT_INK = (90, 90, 90)
ACCENT = (33, 87, 138)

Box = tuple[int, int, int, int]


class PhotoRejected(ValueError):
    """The bytes are not an image Pillow can read, or the image is too large."""


@dataclass(frozen=True)
class PortraitCard:
    """What a card shows. `kind` is "candidate" or "employer"."""

    kind: str
    first_name: str
    target_job: str | None = None
    strengths: tuple[str, ...] = ()
    qualities: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    photo: bytes | None = None
    company: str | None = None
    job_title: str | None = None
    jobs: str | None = None
    language: str = "fr"


@dataclass
class CardLayout:
    """Where each block was drawn (left, top, right, bottom), in drawing order."""

    boxes: dict[str, Box] = field(default_factory=dict)


# Pillow's built-in font has no accented letters ("Éloïse" would show boxes), so a system
# font with full Latin coverage is preferred; Pillow's default stays the last resort.
FONT_FILES = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "NotoSans-Regular.ttf")


@cache
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def normalise_photo(data: bytes) -> bytes:
    """A square JPEG of reasonable size, whatever the phone sent (rotation, PNG, huge)."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRejected("too large")
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
            square = ImageOps.fit(image, (STORED_PHOTO_SIZE, STORED_PHOTO_SIZE))
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise PhotoRejected(str(exc)) from exc
    out = io.BytesIO()
    square.save(out, format="JPEG", quality=85)
    return out.getvalue()


def wrap(text: str, size: int, width: int) -> list[str]:
    """Greedy word wrap measured with the real font; cuts words longer than a line."""
    measure = font(size).getlength
    lines: list[str] = []
    current = ""
    for word in text.split():
        while measure(word) > width:
            cut = len(word)
            while cut > 1 and measure(word[:cut]) > width:
                cut -= 1
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{current} {word}".strip()
        if measure(candidate) <= width:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


class _Canvas:
    """Draws text blocks top to bottom and never past `bottom`: the rest is cut with "…"."""

    def __init__(self, image: Image.Image, top: int, bottom: int) -> None:
        self.draw = ImageDraw.Draw(image)
        self.y = top
        self.bottom = bottom
        self.layout = CardLayout()

    def room_for(self, size: int) -> bool:
        return self.y + int(size * 1.3) <= self.bottom

    def lines(
        self,
        text: str,
        size: int,
        colour: tuple[int, int, int],
        centred: bool = False,
        max_lines: int = 2,
    ) -> Box | None:
        """Wrapped text; when it does not fit, the last line that fits ends with "…"."""
        width = WIDTH - 2 * MARGIN
        step = int(size * 1.3)
        wrapped = wrap(text, size, width)
        fitting = min(max_lines, max(0, (self.bottom - self.y) // step))
        shown = wrapped[:fitting]
        if len(shown) < len(wrapped) and shown:
            last = shown[-1]
            while last and font(size).getlength(last + " …") > width:
                last = last[:-1]
            shown[-1] = last.rstrip() + " …"
        if not shown:
            return None
        top = self.y
        for line in shown:
            x = (WIDTH - font(size).getlength(line)) / 2 if centred else MARGIN
            self.draw.text((x, self.y), line, font=font(size), fill=colour)
            self.y += step
        return (MARGIN, top, WIDTH - MARGIN, self.y)

    def block(self, name: str, title: str, items: list[str], bullets: bool = True) -> None:
        """A heading and its items (one bullet each, or joined by "·"), recorded as one box.

        A block never takes more than four lines of text, so the next blocks keep their room.
        """
        items = [item for item in items if item.strip()]
        if not items or not self.room_for(28):
            return
        self.y += 14
        top = self.y
        self.lines(title, 28, ACCENT, max_lines=1)
        budget = BLOCK_LINES
        texts = [f"• {item}" for item in items] if bullets else [" · ".join(items)]
        for text in texts:
            before = self.y
            self.lines(text, 24, INK, max_lines=min(2, budget) if bullets else budget)
            budget -= (self.y - before) // int(24 * 1.3)
            if budget <= 0:
                break
        if self.y > top:
            self.layout.boxes[name] = (MARGIN, top, WIDTH - MARGIN, self.y)

    def text_block(
        self,
        name: str,
        text: str | None,
        size: int,
        colour: tuple[int, int, int],
        max_lines: int = 2,
    ) -> None:
        if not text or not text.strip():
            return
        box = self.lines(text, size, colour, centred=True, max_lines=max_lines)
        if box is not None:
            self.layout.boxes[name] = box


def _paste_photo(image: Image.Image, photo: bytes | None, initial: str) -> Box:
    """The photo cropped to a circle; without one, a circle with the first letter."""
    left = (WIDTH - PHOTO_SIZE) // 2
    top = 40
    box = (left, top, left + PHOTO_SIZE, top + PHOTO_SIZE)
    mask = Image.new("L", (PHOTO_SIZE, PHOTO_SIZE), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, PHOTO_SIZE - 1, PHOTO_SIZE - 1), fill=255)
    face: Image.Image | None = None
    if photo:
        try:
            with Image.open(io.BytesIO(photo)) as source:
                face = ImageOps.fit(source.convert("RGB"), (PHOTO_SIZE, PHOTO_SIZE))
        except (OSError, ValueError):
            face = None
    if face is None:
        face = Image.new("RGB", (PHOTO_SIZE, PHOTO_SIZE), (210, 225, 240))
        draw = ImageDraw.Draw(face)
        letter = (initial[:1] or "?").upper()
        size = 110
        width = font(size).getlength(letter)
        draw.text(((PHOTO_SIZE - width) / 2, 36), letter, font=font(size), fill=BAND)
    ring = Image.new("RGB", (PHOTO_SIZE + 12, PHOTO_SIZE + 12), BACKGROUND)
    ring_mask = Image.new("L", ring.size, 0)
    ImageDraw.Draw(ring_mask).ellipse((0, 0, ring.size[0] - 1, ring.size[1] - 1), fill=255)
    image.paste(ring, (left - 6, top - 6), ring_mask)
    image.paste(face, (left, top), mask)
    return box


def draw_card(card: PortraitCard) -> tuple[Image.Image, CardLayout]:
    """The card as a Pillow image plus the boxes of each block."""
    _ = Translator.for_language(card.language)
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    ImageDraw.Draw(image).rectangle((0, 0, WIDTH, 150), fill=BAND)
    photo_box = _paste_photo(image, card.photo, card.first_name)
    canvas = _Canvas(image, photo_box[3] + 16, HEIGHT - 64)
    canvas.layout.boxes["photo"] = photo_box
    canvas.text_block("name", card.first_name, 48, INK, max_lines=1)
    if card.kind == "employer":
        canvas.text_block("job_title", card.job_title, 30, SOFT_INK)
        canvas.text_block("company", card.company, 34, ACCENT)
        canvas.block("sectors", _.plain("Sectors"), list(card.sectors), bullets=False)
        canvas.block(
            "jobs", _.plain("Jobs I recruit for or know well"), [card.jobs or ""], bullets=False
        )
    else:
        canvas.text_block("job", card.target_job, 32, ACCENT)
        canvas.block("strengths", _.plain("Skills"), list(card.strengths))
        canvas.block("qualities", _.plain("Soft skills"), list(card.qualities))
        canvas.block("sectors", _.plain("Sectors I aim for"), list(card.sectors), bullets=False)
    footer = _.plain("Passerelle · a face for employment")
    draw = ImageDraw.Draw(image)
    width = font(22).getlength(footer)
    draw.text(((WIDTH - width) / 2, HEIGHT - 48), footer, font=font(22), fill=SOFT_INK)
    return image, canvas.layout


def render_card_with_layout(card: PortraitCard) -> tuple[bytes, CardLayout]:
    image, layout = draw_card(card)
    out = io.BytesIO()
    image.save(out, format="PNG")  # optimize=True costs 3x the time for 5 % fewer bytes
    return out.getvalue(), layout


def render_card(card: PortraitCard) -> bytes:
    """The card as PNG bytes, 720×960."""
    return render_card_with_layout(card)[0]
