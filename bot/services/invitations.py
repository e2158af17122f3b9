"""Invitation codes, the deep links that carry them, and their QR codes.

Each event has one code for candidates (`c_…`) and one for employers (`e_…`): the prefix
lets `/start <code>` know who is coming before it even reads the database. Codes are random
and URL-safe so a link cannot be guessed from another one.
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import qrcode
from PIL import Image, ImageDraw
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.pil import PilImage
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.db.models.events import Event, EventStatus
from bot.db.models.people import Role
from bot.db.session import Database
from bot.portrait import font, wrap

CODE_PREFIXES = {Role.CANDIDATE: "c_", Role.EMPLOYER: "e_"}
CODE_RANDOM_BYTES = 9  # 12 URL-safe characters: 72 bits, unguessable, short in a QR code
CODE_SHAPE = re.compile(r"^[ce]_[A-Za-z0-9_-]{6,30}$")
MAX_ATTEMPTS = 10
QR_CAPTION_LINES = 5


@dataclass(frozen=True)
class Invitation:
    """What a `/start <code>` link invites to; `is_open` says whether sign-up is possible now."""

    event_id: int
    role: str
    is_open: bool


def new_code(role: Role) -> str:
    return CODE_PREFIXES[role] + secrets.token_urlsafe(CODE_RANDOM_BYTES)


async def unique_codes(session: AsyncSession) -> tuple[str, str]:
    """A fresh (candidate, employer) pair no event uses yet."""
    for _attempt in range(MAX_ATTEMPTS):
        candidate, employer = new_code(Role.CANDIDATE), new_code(Role.EMPLOYER)
        taken = await session.scalar(
            select(Event.id).where(
                or_(
                    Event.candidate_code.in_([candidate, employer]),
                    Event.employer_code.in_([candidate, employer]),
                )
            )
        )
        if taken is None:
            return candidate, employer
    raise RuntimeError("could not draw unique invitation codes")


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def is_open(status: str, starts_at: datetime, deadline: datetime | None, now: datetime) -> bool:
    """Sign-up is open while the event is open and neither its deadline nor its start passed."""
    closes_at = deadline or starts_at
    return status == EventStatus.OPEN and now < closes_at and now < starts_at


async def find_invitation(database: Database, code: str) -> Invitation | None:
    """The invitation behind a deep-link code, or None for an unknown or malformed code."""
    if not code or not CODE_SHAPE.match(code):
        return None
    role = Role.CANDIDATE if code.startswith(CODE_PREFIXES[Role.CANDIDATE]) else Role.EMPLOYER
    column = Event.candidate_code if role == Role.CANDIDATE else Event.employer_code
    async with database.session() as session:
        event = await session.scalar(select(Event).where(column == code))
        if event is None:
            return None
        return Invitation(
            event_id=event.id,
            role=role.value,
            is_open=is_open(
                event.status, event.starts_at, event.registration_deadline, clock.now()
            ),
        )


def qr_png(url: str, caption: str | None = None) -> bytes:
    """A black-on-white PNG of `url`, large enough to print on a flyer.

    With a caption ("Candidat·e·s — Ose ton projet, 12 mars"), the text is drawn in large
    type under the code, so two codes printed side by side cannot be mixed up.
    """
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(url)
    code.make(fit=True)
    image = code.make_image(image_factory=PilImage, fill_color="black", back_color="white")
    picture = image.get_image().convert("RGB")
    if caption:
        picture = _with_caption(picture, caption)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def _with_caption(code: Image.Image, caption: str) -> Image.Image:
    """The code on top, the caption centred under it, on a square white page.

    Square and pure black and white (text drawn without grey anti-aliasing), like the bare
    code: it prints sharply and keeps the same shape on a flyer.
    """
    margin = code.width // 12
    size = max(18, code.width // 14)
    lines = wrap(caption, size, code.width)[:QR_CAPTION_LINES]
    line_height = int(size * 1.3)
    height = code.height + len(lines) * line_height + margin
    picture = Image.new("RGB", (height, height), "white")
    left_of_code = (height - code.width) // 2
    picture.paste(code, (left_of_code, 0))
    draw = ImageDraw.Draw(picture)
    draw.fontmode = "1"
    letters = font(size)
    for number, line in enumerate(lines):
        left = (height - letters.getlength(line)) / 2
        draw.text((left, code.height + number * line_height), line, fill="black", font=letters)
    return picture
