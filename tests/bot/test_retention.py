"""Retention: a notice a month before, erasure at the deadline, counts kept, recent people kept.

The retention here is 18 months (not the default 24), so the texts prove they say the setting.
The daily job is run by hand with the clock moved (`bot.clock`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import clock
from bot.config import Settings, load_settings
from bot.handlers.retention import JOB_NAME
from bot.sandbox.client import SandboxClient, User
from bot.sandbox.server import SandboxServer
from bot.services.retention import add_months
from tests.conftest import STAFF_ID, BotRunner, Sql
from tests.helpers.signup import (
    CONFIRM,
    CONSENT,
    SIGNED_UP,
    asked,
    make_event,
    sign_up_candidate,
    tap,
)
from tests.helpers.texts import says, t
from tests.helpers.waiting import eventually

MONTHS = 18
NOTICE = (
    "Your last event with Passerelle was almost {months} months ago. "
    "As promised, we will erase your data on {date}."
)


@pytest.fixture
def settings(tmp_path: Path, sandbox: SandboxServer, database_url: str | None) -> Settings:
    return load_settings(
        api_url=sandbox.url,
        data_dir=tmp_path / "data",
        database_url=database_url,  # SQLite, or PostgreSQL (see tests/conftest.py)
        staff_ids=[STAFF_ID],
        conversation_timeout_minutes=30,
        retention_months=MONTHS,
    )


@pytest.fixture(autouse=True)
def real_clock() -> Iterator[None]:
    yield None
    clock.reset()


def move_clock_to(moment: datetime) -> None:
    clock.set_offset(moment - (clock.now() - clock.offset()))


async def run_retention(runner: BotRunner) -> None:
    """The daily job, run now, as the job queue would."""
    application = runner.application
    assert application is not None and application.job_queue is not None
    (job,) = application.job_queue.get_jobs_by_name(JOB_NAME)
    await job.run(application)


def starts_at(sql: Sql, event_id: int) -> datetime:
    value = sql.scalar("select starts_at from events where id = ?", event_id)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


async def notices(user: User) -> int:
    """How many retention notices the person received."""
    return len([m for m in await user.received() if says(NOTICE, months=MONTHS)(m)])


async def test_notice_then_erasure_keeps_counts_and_recent_people(
    bot_runner: BotRunner, client: SandboxClient, settings: Settings, sql: Sql
) -> None:
    old = await make_event(settings, name="Ose ton projet")
    recent = await make_event(settings, name="Job dating")
    await sql.write(
        "update events set starts_at = ? where id = ?",
        (starts_at(sql, recent.event_id) + timedelta(days=400)).strftime("%Y-%m-%d %H:%M:%S.%f"),
        recent.event_id,
    )
    amina = client.user(710_001, first_name="Amina")
    bruno = client.user(710_002, first_name="Bruno")
    staff = client.user(STAFF_ID, first_name="Nadia")
    await staff.command("start")
    await amina.command("confidentialite")
    await asked(
        amina, "• Your data is erased {months} months after your last event.", months=MONTHS
    )
    await sign_up_candidate(amina, old.candidate)
    await tap(amina, CONFIRM)
    await asked(amina, SIGNED_UP)
    consent = [m for m in await amina.received() if says(CONSENT)(m)]
    assert consent and t(
        "Everything is erased {months} months after your last event.", months=MONTHS
    ) in (consent[0].text or "")
    await sign_up_candidate(bruno, recent.candidate)
    await tap(bruno, CONFIRM)
    await asked(bruno, SIGNED_UP)
    await bot_runner.handled(client)
    people_before = sql.scalar("select count(*) from people")

    deadline = add_months(starts_at(sql, old.event_id), MONTHS)
    # Two months before: nothing yet.
    move_clock_to(deadline - timedelta(days=60))
    await run_retention(bot_runner)
    await bot_runner.handled(client)
    assert await notices(amina) == 0

    # 29 days before: Amina is told, once; Bruno (a later event) and the team are not.
    move_clock_to(deadline - timedelta(days=29))
    await run_retention(bot_runner)
    await run_retention(bot_runner)

    async def told() -> bool:
        return await notices(amina) >= 1

    assert await eventually(told), [m.text for m in await amina.received()][-3:]
    await bot_runner.handled(client)
    assert await notices(amina) == 1
    assert await notices(bruno) == 0
    assert await notices(staff) == 0
    assert sql.scalar("select count(*) from people") == people_before

    # The day after the deadline: Amina is erased, anonymous counts stay, the rest stays.
    counts_before = sql.scalar("select coalesce(sum(count), 0) from deletion_counts")
    move_clock_to(deadline + timedelta(days=2))
    await run_retention(bot_runner)
    await bot_runner.handled(client)
    assert sql("select id from people where telegram_id = ?", amina.id) == []
    assert sql("select count(*) from candidate_profiles") == [(1,)]
    assert sql.scalar("select count(*) from people") == people_before - 1
    assert sql(
        "select role, count from deletion_counts where month = ?", clock.now().strftime("%Y-%m")
    ) == [("candidate", 1)]
    assert sql.scalar("select coalesce(sum(count), 0) from deletion_counts") == counts_before + 1
    assert sql.scalar("select count(*) from people where telegram_id = ?", bruno.id) == 1
    assert sql.scalar("select count(*) from people where telegram_id = ?", STAFF_ID) == 1
    assert await notices(amina) == 1  # nothing more was sent to her
    # The registrations of the old event are gone with her; Bruno's stays.
    assert sql.scalar("select count(*) from registrations") == 1


async def test_a_late_notice_still_gives_a_month(
    bot_runner: BotRunner, client: SandboxClient, settings: Settings, sql: Sql
) -> None:
    """Past the deadline with no notice yet (the bot was off): told first, erased a month later."""
    event = await make_event(settings)
    carla = client.user(710_003, first_name="Carla")
    await sign_up_candidate(carla, event.candidate)
    await tap(carla, CONFIRM)
    await asked(carla, SIGNED_UP)
    deadline = add_months(starts_at(sql, event.event_id), MONTHS)
    move_clock_to(deadline + timedelta(days=10))
    await run_retention(bot_runner)
    await bot_runner.handled(client)
    assert await notices(carla) == 1
    move_clock_to(deadline + timedelta(days=25))
    await run_retention(bot_runner)
    await bot_runner.handled(client)
    assert sql.scalar("select count(*) from people where telegram_id = ?", carla.id) == 1
    move_clock_to(deadline + timedelta(days=41))
    await run_retention(bot_runner)
    await bot_runner.handled(client)
    assert sql.scalar("select count(*) from people where telegram_id = ?", carla.id) == 0
    assert await notices(carla) == 1
