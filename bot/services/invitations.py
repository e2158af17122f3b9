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
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.pil import PilImage
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import clock
from bot.db.models.events import Event, EventStatus
from bot.db.models.people import Role
from bot.db.session import Database

CODE_PREFIXES = {Role.CANDIDATE: "c_", Role.EMPLOYER: "e_"}
CODE_RANDOM_BYTES = 9  # 12 URL-safe characters: 72 bits, unguessable, short in a QR code
CODE_SHAPE = re.compile(r"^[ce]_[A-Za-z0-9_-]{6,30}$")
MAX_ATTEMPTS = 10


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


def qr_png(url: str) -> bytes:
    """A black-on-white, square PNG of `url`, large enough to print on a flyer."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(url)
    code.make(fit=True)
    image = code.make_image(image_factory=PilImage, fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
