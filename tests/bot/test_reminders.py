"""Reminders as outbox rows: fired by the (moved) clock, kept across restarts, and stopped
for withdrawals and cancelled events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import clock
from bot.context import services
from bot.db.models.events import Event, EventStatus, Registration, RegistrationStatus, Site
from bot.db.models.people import Person
from bot.outbox import wake
from bot.sandbox.client import SandboxClient, User
from bot.services.reminders import cancel_reminders, event_changed, schedule_reminders
from tests.conftest import BotRunner, Sql
from tests.helpers.texts import begins, contains, says, says_n, t
from tests.helpers.waiting import drained, eventually

PARIS = ZoneInfo("Europe/Paris")
STARTS = datetime(2030, 3, 12, 13, 30, tzinfo=PARIS)  # a Tuesday
is_reminder = begins("Reminder: {event}", event="Ose ton projet")
TOMORROW = "It is tomorrow."
IN_HOURS = ("It is in {count} hour.", "It is in {count} hours.")


@pytest.fixture(autouse=True)
def real_clock() -> Iterator[None]:
    clock.set_offset(STARTS - timedelta(days=3) - clock.now())  # "now" is 3 days before
    yield None
    clock.reset()


async def started(client: SandboxClient, user_id: int, name: str) -> User:
    user = client.user(user_id, first_name=name)
    await user.command("start")
    await user.wait_for(lambda m: True)
    return user


async def make_event(runner: BotRunner, code: str, telegram_ids: list[int]) -> list[int]:
    """An event with one site; returns the registration ids, in the order of `telegram_ids`."""
    assert runner.application is not None
    async with services(runner.application).database.session() as session:
        event = Event(
            name="Ose ton projet",
            starts_at=STARTS,
            timezone="Europe/Paris",
            candidate_code=f"c-{code}",
            employer_code=f"e-{code}",
        )
        event.sites = [Site(name="OSEO Vaud", address="Rue de Genève 52, Lausanne")]
        session.add(event)
        await session.flush()
        registrations = []
        for telegram_id in telegram_ids:
            person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
            assert person is not None
            registration = Registration(
                event_id=event.id,
                person_id=person.id,
                role="candidate",
                site_id=event.sites[0].id,
                status=RegistrationStatus.REGISTERED,
            )
            session.add(registration)
            await session.flush()
            assert await schedule_reminders(session, event.id, registration.id) == 2  # J-7 past
            registrations.append(registration.id)
        return registrations


async def move_clock_to(runner: BotRunner, moment: datetime) -> None:
    clock.set_offset(moment - (clock.now() - clock.offset()))
    assert runner.application is not None
    wake(runner.application)


def reminders(messages: list) -> list:  # type: ignore[type-arg]
    return [m for m in messages if is_reminder(m)]


async def test_reminders_fire_on_time_and_survive_a_restart(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    alice = await started(client, 3001, "Alice")
    [registration_id] = await make_event(bot_runner, "a", [3001])
    await bot_runner.restart()

    await move_clock_to(bot_runner, STARTS - timedelta(days=1, seconds=-1))
    first = await alice.wait_for(is_reminder, timeout=5)
    assert contains(first.text, TOMORROW)
    # The day and time as Babel writes them in French (calendar data, not a catalog line).
    assert t("When: {when}", when="mardi 12 mars 2030 à 13 h 30") in first.text
    assert t("Where: {place}", place="OSEO Vaud, Rue de Genève 52, Lausanne") in first.text
    assert first.buttons == [
        [(t("I confirm I will come"), f"att:{registration_id}:yes")],
        [(t("I will not be able to come"), f"att:{registration_id}:no")],
    ]
    assert len(reminders(await alice.received())) == 1  # H-2 is not due yet

    await move_clock_to(bot_runner, STARTS - timedelta(hours=2, seconds=-1))
    await alice.wait_for(says_n(*IN_HOURS, 2), timeout=5)
    assert len(reminders(await alice.received())) == 2
    assert await eventually(
        lambda: (
            sql.scalar("SELECT count(*) FROM outbox WHERE kind='reminder' AND status='sent'") == 2
        )
    )


async def test_a_confirmed_person_is_expected_not_asked_again(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    bea = await started(client, 3011, "Béa")
    [registration_id] = await make_event(bot_runner, "conf", [3011])
    await move_clock_to(bot_runner, STARTS - timedelta(days=1, seconds=-1))
    first = await bea.wait_for(is_reminder, timeout=5)
    assert contains(first.text, "Will you come? Please answer with a button.")
    await bea.press(t("I confirm I will come"))
    await bea.wait_for(
        says(
            "Thank you! Your attendance is confirmed for {event}. See you soon.",
            event="Ose ton projet",
        ),
        timeout=5,
    )
    assert sql.scalar("select status from registrations where id = ?", registration_id) == (
        "confirmed"
    )

    await move_clock_to(bot_runner, STARTS - timedelta(hours=2, seconds=-1))
    last = await bea.wait_for(says_n(*IN_HOURS, 2), timeout=5)
    assert contains(last.text, "You confirmed you will come. See you there!")
    assert not contains(last.text, "Will you come? Please answer with a button.")
    assert last.buttons == []
    assert len(reminders(await bea.received())) == 2


async def test_no_reminder_after_withdrawal_or_cancellation(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    users = [await started(client, 3100 + n, name) for n, name in enumerate("ABCD")]
    withdrawn, cancelled_by_call, _kept = await make_event(bot_runner, "b", [3100, 3101, 3102])
    await make_event(bot_runner, "c", [3103])
    assert bot_runner.application is not None
    async with services(bot_runner.application).database.session() as session:
        # A withdrawal that forgot to cancel: the dispatcher must refuse at send time.
        registration = await session.get(Registration, withdrawn)
        assert registration is not None
        registration.status = RegistrationStatus.WITHDRAWN
        assert await cancel_reminders(session, cancelled_by_call) == 2
        other = await session.scalar(select(Event).where(Event.candidate_code == "c-c"))
        assert other is not None
        other.status = EventStatus.CANCELLED
        assert await event_changed(session, other.id) == 2

    await move_clock_to(bot_runner, STARTS - timedelta(minutes=30))
    await users[2].wait_for(says_n(*IN_HOURS, 2), timeout=5)
    await users[2].wait_for(says(TOMORROW), timeout=5)
    await drained(sql)  # every reminder due is sent or refused by now
    for user in (users[0], users[1], users[3]):
        assert reminders(await user.received()) == []
    refused = sql(
        "SELECT count(*) FROM outbox WHERE kind='reminder' AND status='cancelled' "
        "AND last_error='refused at send time'"
    )
    assert refused == [(2,)]
    assert await eventually(
        lambda: (
            sql.scalar("SELECT count(*) FROM outbox WHERE kind='reminder' AND status='sent'") == 2
        )
    )


async def test_moved_event_gets_re_timed_reminders(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    await started(client, 3201, "Alice")
    await make_event(bot_runner, "d", [3201])
    assert bot_runner.application is not None
    later = STARTS + timedelta(days=14, hours=1)
    async with services(bot_runner.application).database.session() as session:
        event = await session.scalar(select(Event).where(Event.candidate_code == "c-d"))
        assert event is not None
        event.starts_at = later
        assert await event_changed(session, event.id) == 3  # J-7 is in the future again
    rows = sql("SELECT send_after, payload FROM outbox WHERE kind='reminder' AND status='pending'")
    assert len(rows) == 3
    assert all("mardi 26 mars 2030 à 14 h 30" in json.loads(payload)["text"] for _, payload in rows)
