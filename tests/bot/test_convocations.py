"""What participants receive on publication: when (local time), where, with whom, the `.ics`.

Nothing staff-only may leak: a distinctive constraint text and programme are stored for every
candidate and must appear in no participant's messages, files or captions.
"""

from __future__ import annotations

from bot.sandbox.client import BotMessage, SandboxClient, User
from bot.services.convocations import DEFAULT_TO_BRING
from tests.conftest import BotRunner, Sql
from tests.helpers.plan import (
    CANDIDATES,
    CONSTRAINT,
    PROGRAMME,
    is_convocation,
    open_plan,
    publish,
    seed_event,
)
from tests.helpers.texts import begins, contains, says, t
from tests.helpers.waiting import drained, eventually

RIPONNE_ADDRESS = "Place de la Riponne 10, Lausanne"  # as seeded (data)


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


async def photos_of(user: User, sql: Sql, count: int, timeout: float = 15) -> list[BotMessage]:
    """The outbox paces each chat (about one message a second), so cards come last."""

    async def arrived() -> bool:
        return len([m for m in await user.received() if m.kind == "photo"]) >= count

    if not await eventually(arrived, timeout):
        raise AssertionError(f"{user.first_name}: fewer than {count} photos")
    await drained(sql)  # nothing due is left in the outbox: no other card is on its way
    return [m for m in await user.received() if m.kind == "photo"]


async def convocation_of(user: User) -> BotMessage:
    return await user.wait_for(is_convocation, 10)


async def test_convocations_contents_and_calendar(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_event(bot_runner, client)
    await open_plan(scenario)
    await publish(scenario)

    alice = scenario.candidates["Alice"]
    text = (await convocation_of(alice)).text
    # Europe/Zurich, not UTC (the day's name and month are Babel's French calendar data).
    assert contains(text, "When: {when}", when="mardi 9 mars 2027 de 13 h 30 à 15 h")
    assert contains(
        text, "Place: {site}, {address}", site="Espace Riponne", address=RIPONNE_ADDRESS
    )
    assert contains(text, "Room: {room}")
    assert contains(text, "You will meet: {employer}")
    # What to bring is one button away (the default list for candidates).
    assert not contains(text, "To bring and prepare: {text}")
    await alice.press(t("Learn more"))
    details = await alice.wait_for(says("To bring and prepare: {text}"), 5)
    assert contains(
        details.text, "To bring and prepare: {text}", text=t(DEFAULT_TO_BRING["candidate"])
    )
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
    assert contains(employer_text, "Candidates you will meet: {names}")
    await marie.press(t("Learn more"))
    employer_details = await marie.wait_for(says("To bring and prepare: {text}"), 5)
    assert t(DEFAULT_TO_BRING["employer"]) in employer_details.text
    assert t(DEFAULT_TO_BRING["employer"]) not in employer_text
    cards = await photos_of(marie, sql, 2)
    assert len(cards) == 2
    assert all(card.photo and card.photo[:4] == b"\x89PNG" for card in cards)
    first_card = min(cards, key=lambda card: card.text)
    assert begins("Portrait card {of_name}")(first_card)

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
    cancelled = says(
        "<b>{event}</b>: your convocation is cancelled, you are now on the waiting list. "
        "We will write to you if a seat frees up."
    )
    assert not [m for m in await scenario.waiting.received() if is_convocation(m) or cancelled(m)]
    assert (
        sql.scalar("select count(distinct person_id) from outbox where kind = 'convocation'") == 8
    )
