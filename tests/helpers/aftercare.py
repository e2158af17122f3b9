"""After the event: an event with a published plan of fixed rooms, the clock moved past a
round, the scheduler run, and the questions people received.

    scenario = await seed_published(bot_runner, client)          # 2 rounds, rooms below
    questions = await after_round(bot_runner, scenario, sql, 1)   # first name -> questions
    alice = questions["Alice"][0]                                 # "sv:<id>:yes" buttons…

The plan is stored and marked published directly (no convocations: the tests here are about
what comes after); rooms are fixed so a test knows who met whom. `run_tick` calls the
scheduler the way the repeating job does (`schedule.tick` with the bot's clock, then wakes
the outbox), without waiting for the job's interval. Tests using it reset `bot.clock`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from bot import clock
from bot.context import services
from bot.db.models.events import Event
from bot.db.models.planning import PlanSource
from bot.db.session import Database
from bot.outbox import wake
from bot.sandbox.client import BotMessage, SandboxClient, User
from bot.services.aftercare import schedule
from bot.services.plan_input import instance_dict, load_participants
from bot.services.plan_store import store_plan
from matching import Plan
from matching.model import Room, RoundPlan
from tests.conftest import BotRunner, Sql
from tests.helpers.plan import STARTS_AT, Scenario, seed_event
from tests.helpers.waiting import drained

ROUND_MINUTES = 60
DELAY_MINUTES = 30
# Who sits with whom, round by round: (employers, candidates) of room 1 and room 2.
ROOMS: dict[int, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {
    1: [(("Marie", "Luc"), ("Alice", "Bruno")), (("Nora", "Paul"), ("Chloé", "David"))],
    2: [(("Marie", "Luc"), ("Chloé", "David")), (("Nora", "Paul"), ("Alice", "Bruno"))],
}
QUESTION_PREFIXES = ("sv:", "fu:")


def database_of(runner: BotRunner) -> Database:
    assert runner.application is not None
    return services(runner.application).database


async def seed_published(
    runner: BotRunner,
    client: SandboxClient,
    *,
    rounds: int = 2,
    follow_up_days: Sequence[int] = (30, 90),
) -> Scenario:
    """`tests.helpers.plan.seed_event`'s people (4 employers, 4 candidates, registered) in
    `rounds` consecutive rounds of an hour, questions 30 minutes after each, and a published
    plan seating them as in `ROOMS`."""
    scenario = await seed_event(runner, client, waiting=False)
    async with database_of(runner).session() as session:
        event = await session.get(Event, scenario.event_id)
        assert event is not None
        event.rounds = rounds
        event.round_minutes = ROUND_MINUTES
        event.duration_minutes = rounds * ROUND_MINUTES
        event.feedback_delay_minutes = DELAY_MINUTES
        event.follow_up_days = list(follow_up_days)
        await session.flush()
        ids = scenario.person_ids
        plan = Plan(
            rounds=[
                RoundPlan(
                    number,
                    [
                        Room(
                            f"s{scenario.site_id}",
                            index + 1,
                            [f"e{ids[name]}" for name in employers],
                            [f"c{ids[name]}" for name in candidates],
                        )
                        for index, (employers, candidates) in enumerate(ROOMS[number])
                    ],
                )
                for number in range(1, rounds + 1)
            ]
        )
        data = instance_dict(await load_participants(session, scenario.event_id))
        row = await store_plan(
            session, scenario.event_id, data, plan, seed=0, source=PlanSource.SOLVER, by=None
        )
        row.published_at = clock.now()
    return scenario


def round_due(round_number: int) -> datetime:
    """When the questions of `round_number` become due (end of the round + the delay)."""
    return STARTS_AT + timedelta(minutes=round_number * ROUND_MINUTES + DELAY_MINUTES)


def follow_up_due(days: int) -> datetime:
    return STARTS_AT + timedelta(days=days)


def move_clock_to(moment: datetime) -> None:
    clock.set_offset(moment - (clock.now() - clock.offset()))


async def run_tick(runner: BotRunner, at: datetime | None = None) -> schedule.TickReport:
    """The scheduler's run as the repeating job does it, at `at` (the clock moved there
    first) or now; the outbox is woken."""
    if at is not None:
        move_clock_to(at)
    report = await schedule.tick(database_of(runner), clock.now())
    assert runner.application is not None
    wake(runner.application)
    return report


def is_question(message: BotMessage) -> bool:
    """A questionnaire's first question or its reminder (its buttons carry `sv:`/`fu:`)."""
    return any(
        data is not None and data.startswith(QUESTION_PREFIXES)
        for row in message.buttons
        for _label, data in row
    )


async def questions_of(user: User) -> list[BotMessage]:
    return [message for message in await user.received() if is_question(message)]


async def questions_by_name(scenario: Scenario) -> dict[str, list[BotMessage]]:
    return {name: await questions_of(user) for name, user in scenario.participants.items()}


async def after_round(
    runner: BotRunner, scenario: Scenario, sql: Sql, round_number: int
) -> dict[str, list[BotMessage]]:
    """Move past round `round_number` + the delay, run the scheduler, wait until the outbox
    has sent it all; every participant's questions so far, by first name."""
    await run_tick(runner, round_due(round_number) + timedelta(minutes=1))
    await drained(sql)
    return await questions_by_name(scenario)


async def event_of(runner: BotRunner, scenario: Scenario) -> Event:
    async with database_of(runner).session() as session:
        event = await session.scalar(select(Event).where(Event.id == scenario.event_id))
        assert event is not None
        return event
