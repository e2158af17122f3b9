"""Who gets a seat when more candidates sign up than there are seats: the event's rule.

The coordinator picks the rule per event (`Event.admission`, passed to the matching engine
as `event.admission`, see `matching.admission`): first signed up first seated (default),
the team's own order (`Registration.priority`, 1 first), the seats making the best plan
overall, or those with the fewest chances elsewhere first. Waiting-list messages say the
person's place and the rule in everyday words (`waiting_places`, `RULE_EXPLAINED`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy import select

from bot.db.models.events import Event, Registration, RegistrationStatus
from bot.db.models.people import Person, Role
from bot.db.session import Database
from bot.i18n import N_
from matching import Plan

Rule = Literal["registration", "staff", "best_fit", "fewest_matches"]
RULES: tuple[Rule, ...] = get_args(Rule)
DEFAULT_RULE: Rule = "registration"
ACTIVE = (RegistrationStatus.REGISTERED, RegistrationStatus.CONFIRMED)

# The rule's name on buttons and in the event's details.
RULE_LABELS: dict[Rule, str] = {
    "registration": N_("Order of registration"),
    "staff": N_("Team's choice"),
    "best_fit": N_("Best matches"),
    "fewest_matches": N_("Fewest chances elsewhere"),
}
# The rule said to a person on the waiting list.
RULE_EXPLAINED: dict[Rule, str] = {
    "registration": N_("Seats go to the people who signed up first."),
    "staff": N_("The team chose the order of the seats."),
    "best_fit": N_("Seats go where the meetings match best."),
    "fewest_matches": N_("Seats go first to the people with the fewest other chances."),
}


def as_rule(value: str | None) -> Rule:
    """A stored rule, or the default for a value this version does not know."""
    return value if value in RULES else DEFAULT_RULE


async def rule_of(database: Database, event_id: int) -> Rule:
    """The event's rule; LookupError if the event is gone."""
    async with database.session() as session:
        event = await session.get(Event, event_id)
        if event is None:
            raise LookupError(event_id)
        return as_rule(event.admission)


async def set_rule(database: Database, event_id: int, rule: Rule) -> bool:
    """Store the event's rule; True when it changed. LookupError if the event is gone."""
    async with database.session() as session:
        event = await session.get(Event, event_id)
        if event is None:
            raise LookupError(event_id)
        if event.admission == rule:
            return False
        event.admission = rule
        return True


@dataclass(frozen=True)
class Ranked:
    """A candidate in the team's order: their registration and first name."""

    registration_id: int
    name: str


async def staff_order(database: Database, event_id: int) -> list[Ranked]:
    """Active candidates in the team's order: by priority, then unranked by sign-up order."""
    async with database.session() as session:
        rows = (
            await session.execute(
                select(Registration, Person)
                .join(Person, Person.id == Registration.person_id)
                .where(
                    Registration.event_id == event_id,
                    Registration.role == Role.CANDIDATE,
                    Registration.status.in_(ACTIVE),
                )
            )
        ).all()
    ordered = sorted(
        rows,
        key=lambda row: (row[0].priority is None, row[0].priority or 0, row[0].id),
    )
    return [
        Ranked(reg.id, " ".join(p for p in (person.first_name, person.last_name) if p))
        for reg, person in ordered
    ]


async def move(
    database: Database, event_id: int, registration_id: int, direction: Literal["up", "down"]
) -> tuple[list[Ranked], bool] | None:
    """Swap a candidate with the one above or below; everyone gets a number 1, 2, 3…

    Returns the new order and whether it changed (at the top or the bottom nothing moves),
    or None when the candidate is not in the list any more (a stale button).
    """
    order = await staff_order(database, event_id)
    ids = [ranked.registration_id for ranked in order]
    if registration_id not in ids:
        return None
    at = ids.index(registration_id)
    other = at - 1 if direction == "up" else at + 1
    moved = 0 <= other < len(order)
    if moved:
        order[at], order[other] = order[other], order[at]
    async with database.session() as session:
        registrations = await session.scalars(
            select(Registration).where(
                Registration.id.in_([ranked.registration_id for ranked in order])
            )
        )
        number = {ranked.registration_id: i + 1 for i, ranked in enumerate(order)}
        for registration in registrations:
            registration.priority = number[registration.id]
    return order, moved


def waiting_places(plan: Plan, withdrawn: Collection[str] = ()) -> dict[str, int]:
    """Each person's place on the plan's waiting list, per role (1 = next to get a seat).

    The engine lists the waiting people in the rule's order; the `withdrawn` keys are not
    waiting. Keys are the engine's (`c12`, `e7`).
    """
    places: dict[str, int] = {}
    counts = {"c": 0, "e": 0}
    seated = {key for rp in plan.rounds for room in rp.rooms for key in room.candidates}
    seated |= {key for rp in plan.rounds for room in rp.rooms for key in room.employers}
    for waiting in plan.waiting:
        role = waiting.id[:1]
        if role not in counts or waiting.id in seated or waiting.id in withdrawn:
            continue
        if waiting.id in places:
            continue
        counts[role] += 1
        places[waiting.id] = counts[role]
    return places
