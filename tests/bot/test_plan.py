"""`/plan` end to end: plan, adjust (allowed and refused), recalculate, publish once.

The event is stored with our real `Database`; participants first write `/start` so the
local Bot API knows their chats, as Telegram would.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from bot.context import services
from bot.db.models.events import Event, Registration, RegistrationStatus, Site
from bot.db.models.people import CandidateProfile, EmployerProfile, Person, Role
from bot.sandbox.client import BotMessage, SandboxClient, User
from tests.conftest import STAFF_ID, BotRunner, Sql

CONSTRAINT = "ALLERGIE-ZX42 suivi social confidentiel"
PROGRAMME = "COFA-SECRET"
EVENT_NAME = "Ose ton projet"
# 12:30 UTC on Tuesday 9 March 2027 is 13:30 in Lausanne (CET).
STARTS_AT = datetime(2027, 3, 9, 12, 30, tzinfo=UTC)

EMPLOYERS = [
    (3001, "Marie", "Rochat", "Boulangerie du Lac", ["D"]),
    (3002, "Luc", "Favre", "Clinique des Alpes", ["J"]),
    (3003, "Nora", "Keller", "Garage Central", ["I"]),
    (3004, "Paul", "Meyer", "Hôtel Beau-Rivage", ["G"]),
]
CANDIDATES = [
    (2001, "Alice", "Zephyrine", "vendeuse", ["D"]),
    (2002, "Bruno", "Quartzwell", "aide-soignant", ["J"]),
    (2003, "Chloé", "Vantablack", "mécanicienne", ["I"]),
    (2004, "David", "Oxbridge", "cuisinier", ["G"]),
]
WAITING = (2005, "Emma", "Lindqvist", "réceptionniste", ["G"])


@dataclass
class Scenario:
    event_id: int
    site_id: int
    staff: User
    employers: dict[str, User] = field(default_factory=dict)
    candidates: dict[str, User] = field(default_factory=dict)
    waiting: User | None = None
    registrations: dict[str, int] = field(default_factory=dict)
    person_ids: dict[str, int] = field(default_factory=dict)

    @property
    def participants(self) -> dict[str, User]:
        return {**self.employers, **self.candidates}


async def _started(user: User) -> None:
    await user.command("start")
    await user.wait_for(lambda m: "Bienvenue" in m.text or "inscrit·e" in m.text)


async def seed_event(runner: BotRunner, client: SandboxClient, *, waiting: bool = True) -> Scenario:
    """Four employers and four candidates (2 + 2 per room, 2 rooms), one person waiting."""
    staff = client.user(STAFF_ID, first_name="Sophie")
    people = [(row, Role.EMPLOYER) for row in EMPLOYERS] + [
        (row, Role.CANDIDATE) for row in CANDIDATES
    ]
    if waiting:
        people.append((WAITING, Role.CANDIDATE))
    users = {row[0]: client.user(row[0], first_name=row[1], last_name=row[2]) for row, _ in people}
    await asyncio.gather(_started(staff), *(_started(user) for user in users.values()))
    assert runner.application is not None
    database = services(runner.application).database
    async with database.session() as session:
        event = Event(
            name=EVENT_NAME,
            starts_at=STARTS_AT,
            timezone="Europe/Zurich",
            rounds=1,
            round_minutes=90,
            employers_per_room=2,
            candidates_per_room=2,
            candidate_code="CTEST1",
            employer_code="ETEST1",
            sites=[
                Site(
                    name="Espace Riponne",
                    address="Place de la Riponne 10, Lausanne",
                    rooms=2,
                    position=0,
                )
            ],
        )
        session.add(event)
        await session.flush()
        site_id = event.sites[0].id
        scenario = Scenario(event.id, site_id, staff)
        for row, role in people:
            telegram_id, first, _last, detail, sectors = row
            person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
            assert person is not None
            person_id = person.id
            person.role = role
            if role == Role.EMPLOYER:
                session.add(
                    EmployerProfile(
                        person_id=person_id,
                        company=detail,
                        sectors=sectors,
                        jobs=detail,
                        max_candidates=4,
                    )
                )
                scenario.employers[first] = users[telegram_id]
            else:
                session.add(
                    CandidateProfile(
                        person_id=person_id,
                        sectors=sectors,
                        target_job=detail,
                        strengths=["accueil"],
                        qualities=["ponctualité"],
                        programme=PROGRAMME,
                        constraints=CONSTRAINT,
                        share_card=True,
                    )
                )
                if row is WAITING:
                    scenario.waiting = users[telegram_id]
                else:
                    scenario.candidates[first] = users[telegram_id]
            registration = Registration(
                event_id=event.id,
                person_id=person_id,
                role=role,
                site_id=site_id,
                accepted_site_ids=[site_id],
                status=RegistrationStatus.WAITING
                if row is WAITING
                else RegistrationStatus.REGISTERED,
            )
            session.add(registration)
            await session.flush()
            scenario.registrations[first] = registration.id
            scenario.person_ids[first] = person_id
    return scenario


def is_plan(message: BotMessage) -> bool:
    return message.text.startswith("Plan ") and bool(message.buttons)


async def open_plan(scenario: Scenario) -> BotMessage:
    await scenario.staff.command("plan")
    await scenario.staff.wait_for(lambda m: "Quel événement" in m.text)
    await scenario.staff.press(
        next(label for label in (await scenario.staff.last()).button_labels if EVENT_NAME in label)
    )
    return await scenario.staff.wait_for(lambda m: is_plan(m) and "brouillon" in m.text, 20)


def rooms_of(sql: Sql, plan_id: int) -> dict[str, int]:
    """Person key -> room number, from the stored plan JSON."""
    plan = json.loads(sql.scalar("select plan from plans where id = ?", plan_id))
    return {
        key: room["room"]
        for rp in plan["rounds"]
        for room in rp["rooms"]
        for key in (*room["employers"], *room["candidates"])
    }


def due_messages(sql: Sql) -> list[str]:
    """Keys of outbox rows due now and not sent yet (reminders wait for their day)."""
    rows = sql(
        "select idempotency_key, send_after from outbox where status in ('pending', 'sending')"
    )
    moment = datetime.now(UTC)
    due = []
    for key, send_after in rows:
        when = datetime.fromisoformat(send_after)
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        if when <= moment:
            due.append(key)
    return due


async def drained(sql: Sql, timeout: float = 20) -> None:
    """Wait until the outbox has sent everything due so far (it paces each chat)."""
    for _ in range(int(timeout / 0.1)):
        if not due_messages(sql):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(due_messages(sql))


async def publish(scenario: Scenario) -> BotMessage:
    await scenario.staff.press("Publier")
    return await scenario.staff.wait_for(lambda m: m.text.startswith("Publié"), 10)


async def test_plan_adjust_and_publish_once(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_event(bot_runner, client)
    message = await open_plan(scenario)
    assert "Salle".lower() in message.text.lower()
    for first in ("Alice", "Bruno", "Chloé", "David"):
        assert first in message.text
    assert "Emma" not in message.text  # status waiting: not planned
    assert {"Publier", "Recalculer", "Ajuster", "Annuler"} <= set(message.button_labels)
    assert sql.scalar("select count(*) from plans where published_at is null") == 1
    assert sql.scalar("select count(*) from outbox where kind like 'convocation%'") == 0
    first_plan = sql.scalar("select max(id) from plans")
    rooms = rooms_of(sql, first_plan)
    alice = f"c{scenario.person_ids['Alice']}"

    # A refused move: Alice into the other room, which already has two candidates.
    await scenario.staff.press("Ajuster")
    await scenario.staff.wait_for(lambda m: "Qui voulez-vous déplacer" in m.text)
    await scenario.staff.press(f"Alice (salle {rooms[alice]})")
    await scenario.staff.wait_for(lambda m: "Où placer Alice" in m.text)
    other_room = 2 if rooms[alice] == 1 else 1
    await scenario.staff.press(f"→ Espace Riponne, salle {other_room}")
    refused = await scenario.staff.wait_for(lambda m: m.text.startswith("Refusé"))
    assert "3 candidat·e·s pour 2 place(s)" in refused.text
    assert f"« {alice} »" not in refused.text  # ids are shown as first names
    assert sql.scalar("select count(*) from plans") == 1

    # A valid swap with a candidate of the other room.
    mate = next(
        first
        for first in ("Bruno", "Chloé", "David")
        if rooms[f"c{scenario.person_ids[first]}"] == other_room
    )
    await scenario.staff.press(f"⇄ échanger avec {mate}")
    await scenario.staff.wait_for(lambda m: "règles sont respectées" in m.text)
    adjusted = await scenario.staff.wait_for(lambda m: is_plan(m) and m.text.startswith("Plan 2"))
    assert adjusted.buttons
    second_plan = sql.scalar("select max(id) from plans")
    assert sql.scalar("select source from plans where id = ?", second_plan) == "adjusted"
    assert rooms_of(sql, second_plan)[alice] == other_room

    # Publishing sends convocations, once, even when the button is pressed twice.
    result = await publish(scenario)
    assert "8 convocations" in result.text
    published = sql.scalar("select published_at from plans where id = ?", second_plan)
    assert published is not None
    queued = sql.scalar("select count(*) from outbox where kind = 'convocation'")
    assert queued == 8
    await scenario.staff.press_data(f"plan:pub:{second_plan}")
    await scenario.staff.wait_for(lambda m: "déjà publié" in m.text)
    assert sql.scalar("select count(*) from outbox where kind = 'convocation'") == 8
    assert sql.scalar("select published_at from plans where id = ?", second_plan) == published

    # The old draft cannot be published any more.
    await scenario.staff.press_data(f"plan:pub:{first_plan}")
    await scenario.staff.wait_for(lambda m: "plus récent" in m.text)
    assert sql.scalar("select count(*) from plans where published_at is not null") == 1

    alice_user = scenario.candidates["Alice"]
    convocation = await alice_user.wait_for(lambda m: "Votre convocation" in m.text, 10)
    assert convocation.button_labels == ["Je confirme ma présence", "Je ne pourrai pas venir"]
    await asyncio.sleep(0.5)
    assert len([m for m in await alice_user.received() if "Votre convocation" in m.text]) == 1


async def test_recalculate_export_and_import(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_event(bot_runner, client, waiting=False)
    await open_plan(scenario)
    await scenario.staff.press("Recalculer")
    await scenario.staff.wait_for(lambda m: is_plan(m) and m.text.startswith("Plan 2"), 20)
    assert sql("select version, seed from plans order by version") == [(1, 0), (2, 1)]

    await scenario.staff.press("Exporter le JSON")
    exported = await scenario.staff.wait_for(lambda m: m.kind == "document")
    assert exported.document is not None
    data = json.loads(exported.document)
    assert len(data["candidates"]) == 4 and len(data["employers"]) == 4
    assert CONSTRAINT not in exported.document.decode()

    # A plan made offline: everyone in room 1 breaks the capacity rule, then a valid one.
    keys_e = [e["id"] for e in data["employers"]]
    keys_c = [c["id"] for c in data["candidates"]]
    site = data["event"]["sites"][0]["id"]
    bad = {
        "rounds": [
            {
                "round": 1,
                "rooms": [{"site": site, "room": 1, "employers": keys_e, "candidates": keys_c}],
            }
        ],
        "waiting": [],
    }
    await scenario.staff.press("Importer un plan")
    await scenario.staff.wait_for(lambda m: "fichier JSON" in m.text)
    await scenario.staff.send_document(json.dumps(bad).encode(), filename="plan.json")
    refused = await scenario.staff.wait_for(lambda m: m.text.startswith("Refusé"))
    assert "4 employeurs pour 2 place(s)" in refused.text
    assert sql.scalar("select count(*) from plans") == 2

    good = {
        "rounds": [
            {
                "round": 1,
                "rooms": [
                    {"site": site, "room": 1, "employers": keys_e[:2], "candidates": keys_c[:2]},
                    {"site": site, "room": 2, "employers": keys_e[2:], "candidates": keys_c[2:]},
                ],
            }
        ],
        "waiting": [],
    }
    await scenario.staff.send_document(json.dumps(good).encode(), filename="plan.json")
    await scenario.staff.wait_for(lambda m: "Plan importé" in m.text)
    await scenario.staff.wait_for(lambda m: is_plan(m) and m.text.startswith("Plan 3"))
    assert sql.scalar("select source from plans where version = 3") == "imported"
    assert sql.scalar("select count(*) from outbox where kind = 'convocation'") == 0
