"""Printed QR codes carry who they are for, the event and its day, under the code."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from PIL import Image

from bot.context import services
from bot.sandbox.client import BotMessage, SandboxClient, User
from bot.services.events import EventDraft, SiteView, create_event
from bot.services.invitations import deep_link, qr_png
from tests.conftest import STAFF_ID, BotRunner
from tests.helpers.texts import contains
from tests.helpers.waiting import eventually

YEAR = date.today().year + 1


async def _photos(user: User, count: int) -> list[BotMessage]:
    async def photos() -> list[BotMessage]:
        return [m for m in await user.received() if m.kind == "photo"]

    async def enough() -> bool:
        return len(await photos()) >= count

    if not await eventually(enough):
        raise AssertionError(f"fewer than {count} photos received")
    return await photos()


def _image(message: BotMessage) -> Image.Image:
    assert message.photo is not None
    image = Image.open(io.BytesIO(message.photo))
    image.load()
    return image.convert("L")


async def test_qr_codes_carry_a_caption_that_tells_them_apart(
    bot_runner: BotRunner, client: SandboxClient
) -> None:
    assert bot_runner.application is not None
    event = await create_event(
        services(bot_runner.application).database,
        EventDraft(
            name="Ose ton projet",
            starts_at=datetime(YEAR, 3, 12, 12, 30, tzinfo=UTC),
            duration_minutes=180,
            timezone="Europe/Paris",
            sites=(SiteView("Lille Centre", "Rue 1", 4, False, None),),
            format_key="jobdating",
            employers_per_room=1,
            candidates_per_room=1,
            rounds=3,
            round_minutes=30,
            max_candidates=50,
            max_employers=15,
            registration_deadline=datetime(YEAR, 3, 10, 17, 0, tzinfo=UTC),
            questions=(),
        ),
        STAFF_ID,
    )
    staff = client.user(STAFF_ID, first_name="Sophie")
    await staff.press_data(f"evt:links:{event.id}")
    candidates, employers = (await _photos(staff, 2))[-2:]
    assert contains(candidates.text, "QR code for candidates — {name}", name="Ose ton projet")
    assert contains(employers.text, "QR code for employers — {name}", name="Ose ton projet")

    bare = Image.open(io.BytesIO(qr_png(deep_link("passerelle_bot", event.candidate_code))))
    pictures = [_image(candidates), _image(employers)]
    bands = []
    for picture in pictures:
        # Still a square, black-on-white page, now taller than the bare code by a caption.
        assert picture.width == picture.height > bare.height
        assert set(picture.tobytes()) == {0, 255}
        band = picture.crop((0, bare.height, picture.width, picture.height))
        inked = sum(1 for value in band.tobytes() if value == 0)
        assert inked > 500, inked  # letters drawn under the code, not an empty margin
        bands.append(band.tobytes())
    # The two captions differ ("Candidat·e·s …" / "Employeur·se·s …"): side by side on
    # paper, nobody takes one for the other.
    assert bands[0] != bands[1]
