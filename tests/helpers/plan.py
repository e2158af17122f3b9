"""A planned event for `/plan`, convocations, attendance and roles: people, rooms, publishing.

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
from tests.helpers.texts import begins, begins_n, says, t

WELCOME = "Hello {name}! Welcome to Passerelle."
WELCOME_BACK = "Hello {name}! You are registered as: {role}."
PLAN = "<b>Plan {version} – {event}</b> ({state})"
PUBLISHED = (
    "Published: {count} convocation is on its way.",
    "Published: {count} convocations are on their way.",
)
CONVOCATION = "<b>Your convocation: {event}</b>"
CHANGED_CONVOCATION = "<b>Your convocation has changed: {event}</b>"
CONFIRM_BUTTON = "I confirm I will come"
CANNOT_COME_BUTTON = "I cannot come"
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


async def started(user: User) -> None:
    """`/start`, so the local Bot API knows the chat (a newcomer or someone already known)."""
    await user.command("start")
    # Ten people at once on a machine busy with other tests: setting up, not what is tested.
    await user.wait_for(lambda m: says(WELCOME)(m) or says(WELCOME_BACK)(m), timeout=20)


async def seed_event(runner: BotRunner, client: SandboxClient, *, waiting: bool = True) -> Scenario:
    """Four employers and four candidates (2 + 2 per room, 2 rooms), one person waiting."""
    staff = client.user(STAFF_ID, first_name="Sophie")
    people = [(row, Role.EMPLOYER) for row in EMPLOYERS] + [
        (row, Role.CANDIDATE) for row in CANDIDATES
    ]
    if waiting:
        people.append((WAITING, Role.CANDIDATE))
    users = {row[0]: client.user(row[0], first_name=row[1], last_name=row[2]) for row, _ in people}
    await asyncio.gather(started(staff), *(started(user) for user in users.values()))
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


def is_plan(message: BotMessage, **values: object) -> bool:
    """The plan as staff see it (title first, with its buttons); `values` as in its title."""
    return begins(PLAN, **values)(message) and bool(message.buttons)


def is_convocation(message: BotMessage) -> bool:
    """A convocation, first or changed."""
    return says(CONVOCATION)(message) or says(CHANGED_CONVOCATION)(message)


async def open_plan(scenario: Scenario) -> BotMessage:
    await scenario.staff.command("plan")
    await scenario.staff.wait_for(says("Which event do you want to plan?"))
    await scenario.staff.press(
        next(label for label in (await scenario.staff.last()).button_labels if EVENT_NAME in label)
    )
    draft = t("draft, nothing sent yet")
    return await scenario.staff.wait_for(lambda m: is_plan(m, state=draft), 20)


def rooms_of(sql: Sql, plan_id: int) -> dict[str, int]:
    """Person key -> room number, from the stored plan JSON."""
    plan = json.loads(sql.scalar("select plan from plans where id = ?", plan_id))
    return {
        key: room["room"]
        for rp in plan["rounds"]
        for room in rp["rooms"]
        for key in (*room["employers"], *room["candidates"])
    }


async def publish(scenario: Scenario) -> BotMessage:
    await scenario.staff.press(t("Publish"))
    return await scenario.staff.wait_for(begins_n(*PUBLISHED), 10)
