"""What participants receive on publication: when (local time), where, with whom, the `.ics`.

Nothing staff-only may leak: a distinctive constraint text and programme are stored for every
candidate and must appear in no participant's messages, files or captions.
"""

from __future__ import annotations

import asyncio

from bot.sandbox.client import BotMessage, SandboxClient, User
from tests.bot.test_plan import (
    CANDIDATES,
    CONSTRAINT,
    PROGRAMME,
    open_plan,
    publish,
    seed_event,
)
from tests.conftest import BotRunner, Sql


def everything(messages: list[BotMessage]) -> str:
    parts = []
    for message in messages:
        parts += [message.text, message.raw_text, *message.edits]
        if message.document:
            parts.append(message.document.decode("utf-8", errors="replace"))
    return "\n".join(parts)


def ics_fields(data: bytes) -> dict[str, str]:
    text = data.decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    unfolded = text.replace("\r\n ", "")
    fields: dict[str, str] = {}
    for line in unfolded.split("\r\n"):
        if ":" in line:
            name, value = line.split(":", 1)
            fields.setdefault(name, value)
    return fields


async def photos_of(user: User, count: int, timeout: float = 15) -> list[BotMessage]:
    """The outbox paces each chat (about one message a second), so cards come last."""
    for _ in range(int(timeout / 0.2)):
        photos = [m for m in await user.received() if m.kind == "photo"]
        if len(photos) >= count:
            await asyncio.sleep(0.3)
            return [m for m in await user.received() if m.kind == "photo"]
        await asyncio.sleep(0.2)
    raise AssertionError(f"{user.first_name}: fewer than {count} photos")


async def convocation_of(user: User) -> BotMessage:
    return await user.wait_for(lambda m: "Votre convocation" in m.text, 10)


async def test_convocations_contents_and_calendar(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_event(bot_runner, client)
    await open_plan(scenario)
    await publish(scenario)

    alice = scenario.candidates["Alice"]
    text = (await convocation_of(alice)).text
    assert "mardi 9 mars 2027 à 13 h 30" in text  # Europe/Zurich, not UTC
    assert "Espace Riponne, Place de la Riponne 10, Lausanne" in text
    assert "Salle : " in text
    assert "Vous rencontrez : " in text
    assert "CV imprimé" in text  # the default list for candidates
    companies = [
        c
        for c in ("Boulangerie du Lac", "Clinique des Alpes", "Garage Central", "Hôtel Beau-Rivage")
        if c in text
    ]
    assert len(companies) == 2

    calendar = await alice.wait_for(lambda m: m.kind == "document", 10)
    assert calendar.filename and calendar.filename.endswith(".ics")
    assert calendar.document is not None
    fields = ics_fields(calendar.document)
    assert fields["BEGIN"] == "VCALENDAR"
    assert fields["DTSTART"] == "20270309T123000Z"
    assert fields["DTEND"] == "20270309T140000Z"
    assert fields["UID"] and fields["DTSTAMP"].endswith("Z")
    assert "Riponne" in fields["LOCATION"]

    marie = scenario.employers["Marie"]
    employer_text = (await convocation_of(marie)).text
    assert "Candidat·e·s que vous rencontrez : " in employer_text
    assert "Une courte présentation de votre entreprise" in employer_text
    cards = await photos_of(marie, 2)
    assert len(cards) == 2
    assert all(card.photo and card.photo[:4] == b"\x89PNG" for card in cards)
    assert sorted(card.text for card in cards)[0].startswith("Fiche portrait de ")

    # Nobody sees staff-only data or a candidate's last name.
    last_names = [row[2] for row in CANDIDATES]
    for user in scenario.participants.values():
        await convocation_of(user)
        seen = everything(await user.received())
        assert CONSTRAINT not in seen
        assert PROGRAMME not in seen
        for last_name in last_names:
            assert last_name not in seen, (user.first_name, last_name)
    # The waiting person was not planned and got nothing.
    assert scenario.waiting is not None
    assert not [m for m in await scenario.waiting.received() if "convocation" in m.text.lower()]
    assert (
        sql.scalar("select count(distinct person_id) from outbox where kind = 'convocation'") == 8
    )
