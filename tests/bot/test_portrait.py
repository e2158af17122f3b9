"""The portrait card: layout (skills and qualities before sectors), pixels, and `/profil`."""

from __future__ import annotations

import dataclasses
import io

from PIL import Image, ImageStat

from bot.config import Settings
from bot.db.session import Database
from bot.portrait import HEIGHT, WIDTH, PortraitCard, render_card, render_card_with_layout
from bot.sandbox.client import SandboxClient
from bot.services.profiles import portrait_card
from tests.conftest import BotRunner, Sql
from tests.helpers.signup import (
    CONFIRM,
    JOB_Q,
    SIGNED_UP,
    SUMMARY,
    asked,
    edit,
    make_event,
    png,
    sign_up_candidate,
    tap,
)
from tests.helpers.texts import says

CARD = PortraitCard(
    kind="candidate",
    first_name="Éloïse",
    target_job="Aide-soignante en EHPAD",
    strengths=("Accueil du public", "Cuisine"),
    qualities=("Patiente", "Ponctuelle"),
    sectors=("Santé", "Services à la personne"),
)


def ink(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    """Share of non-white pixels in `box`: text and photos leave ink, empty space does not."""
    region = image.crop(box).convert("L")
    dark = sum(region.histogram()[:200])
    return dark / (region.width * region.height)


def test_card_is_a_phone_sized_png_with_skills_and_qualities_before_sectors() -> None:
    data, layout = render_card_with_layout(CARD)
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == (WIDTH, HEIGHT) == (720, 960)
    boxes = layout.boxes
    assert boxes["name"][1] < boxes["job"][1] < boxes["strengths"][1]
    assert boxes["strengths"][3] <= boxes["qualities"][1] < boxes["sectors"][1]
    for name in ("name", "job", "strengths", "qualities", "sectors"):
        left, top, right, bottom = boxes[name]
        assert 0 <= left < right <= WIDTH and 0 <= top < bottom <= HEIGHT
        assert ink(image, boxes[name]) > 0.01, name
    # Below the last block there is only the footer: nothing drawn in between.
    assert ink(image, (0, boxes["sectors"][3] + 2, WIDTH, HEIGHT - 60)) == 0


def test_photo_region_shows_the_photo_and_long_text_never_overflows() -> None:
    with_photo = dataclasses.replace(
        CARD,
        photo=png((20, 120, 40)),
        target_job="Aide-soignante " * 40,
        strengths=("x" * 60, "Accueil " * 10, "Cuisine " * 10),
        qualities=("Patiente " * 12, "Ponctuelle", "Calme"),
        sectors=tuple(f"Secteur {n}" for n in range(14)),
    )
    data, layout = render_card_with_layout(with_photo)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    left, top, right, bottom = layout.boxes["photo"]
    centre = image.getpixel(((left + right) // 2, (top + bottom) // 2))
    assert centre == (20, 120, 40)  # the candidate's photo, not the placeholder
    stat = ImageStat.Stat(image.crop((left + 60, top + 60, right - 60, bottom - 60)))
    assert max(stat.stddev) < 5  # a flat photo stays flat: no text drawn over it
    for box in layout.boxes.values():
        assert box[3] <= HEIGHT - 60  # the footer keeps its room
    assert "sectors" in layout.boxes


def test_employer_card_has_company_and_jobs() -> None:
    card = PortraitCard(
        kind="employer",
        first_name="Paul",
        company="Boulangerie Martin",
        job_title="Gérant",
        sectors=("Commerce et vente",),
        jobs="Boulanger, vendeur",
    )
    _data, layout = render_card_with_layout(card)
    assert list(layout.boxes) == ["photo", "name", "job_title", "company", "sectors", "jobs"]


async def test_profile_shows_the_card_without_staff_only_data_and_edits_a_field(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql, settings: Settings
) -> None:
    codes = await make_event(settings)
    lea = client.user(3001, first_name="Léa")
    await lea.command("profil")
    await asked(lea, "You do not have a portrait card yet.")
    await sign_up_candidate(lea, codes.candidate, photo=png((10, 10, 200)))
    await tap(lea, CONFIRM)
    await asked(lea, SIGNED_UP)

    await lea.command("profil")
    card = await lea.wait_for(lambda m: m.kind == "photo")
    assert card.photo is not None
    image = Image.open(io.BytesIO(card.photo)).convert("RGB")
    assert image.size == (720, 960)
    # The centre of the photo circle shows the (JPEG-recompressed) blue photo.
    red, green, blue = image.getpixel((360, 140))
    assert red < 30 and green < 30 and blue > 180
    assert edit("Job") in card.button_labels and edit("Photo") in card.button_labels

    person_id = sql.scalar("select id from people where telegram_id = 3001")
    await sql.write(
        "update candidate_profiles set constraints = 'Secret' where person_id = ?", person_id
    )
    database = Database(settings.resolved_database_url)
    try:
        shown = await portrait_card(database, person_id)
    finally:
        await database.dispose()
    assert shown is not None and shown.first_name == "Léa" and shown.target_job == "Aide-soignante"
    assert "Secret" not in repr(shown) and "COI" not in repr(shown)
    assert render_card(shown)[:8] == b"\x89PNG\r\n\x1a\n"

    await tap(lea, edit("Job"))
    await asked(lea, JOB_Q)
    await lea.send("Infirmière")
    await asked(lea, "Saved.")
    assert sql.scalar("select target_job from candidate_profiles") == "Infirmière"
    assert sql.scalar("select constraints from candidate_profiles") == "Secret"
    assert sql.scalar("select count(*) from registrations") == 1
    assert not says(SUMMARY)(await lea.last())
