"""Confirmations, withdrawals, the waiting list and the minimal re-plan, end to end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import clock
from bot.context import services
from bot.db.models.events import Registration, RegistrationStatus
from bot.db.models.people import Person, Role
from bot.sandbox.client import SandboxClient, User
from tests.conftest import BotRunner, Sql
from tests.helpers.plan import (
    CANNOT_COME_BUTTON,
    CHANGED_CONVOCATION,
    CONFIRM_BUTTON,
    EVENT_NAME,
    is_convocation,
    is_plan,
    open_plan,
    publish,
    seed_event,
    started,
)
from tests.helpers.texts import begins, contains, contains_n, pattern, says, says_n, t
from tests.helpers.waiting import drained, eventually

QUESTION = "You cannot come to {event}? Your seat will be offered to another person."
CONFIRMED = "Thank you! Your attendance is confirmed for {event}. See you soon."
WITHDRAWN = (
    "Thank you for telling us. You are no longer expected at {event}. "
    "Your seat goes to another person."
)
ALREADY_WITHDRAWN = (
    "You have already said you cannot come. If you can come after all, please contact "
    "the organising team."
)
NOT_YOURS = "This button is not for you."
NO_LONGER_VALID = "This button is no longer valid."
WITHDRAWAL_NOTICE = "<b>Withdrawal</b>: {name} ({role}) will not come to {event}."
OFFER = (
    "<b>A seat is free for {event}</b> ({moment}).\nDo you want it? Please answer before "
    "{deadline}. After that, the seat goes to the next person."
)
EXPIRED = "Sorry, this offer has expired: the seat went to the next person."
SEAT_IS_YOURS = "Thank you! The seat at {event} is yours. You will get your convocation soon."
SEAT_TAKEN = (
    "<b>Seat taken</b>: {name} accepts the free seat for {event}. "
    "Re-plan to send the new convocations."
)
CHANGES = ("{count} convocation changes: {names}", "{count} convocations change: {names}")
ALREADY_REMINDED = (
    "{count} person was already reminded today.",
    "{count} people were already reminded today.",
)
WITHDRAW = t("Yes, I withdraw")
KEEP = t("No, I will come")
ACCEPT_SEAT = t("I accept the seat")
DECLINE_SEAT = t("I decline")
REPLAN = t("Re-plan with few changes")


async def said(user: User, message: str, count: int, timeout: float = 5, **values: object) -> None:
    """Wait until exactly `count` bot messages hold `message` (one answer per press)."""
    matches = says(message, **values)

    async def reached() -> bool:
        found = len([m for m in await user.received() if matches(m)])
        assert found <= count, f"{found} messages with {message!r}, expected {count}"
        return found == count

    if not await eventually(reached, timeout):
        raise AssertionError(f"expected {count} messages with {message!r}")


@pytest.fixture(autouse=True)
def real_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


async def convocations(user: User) -> list[str]:
    return [m.text for m in await user.received() if is_convocation(m)]


async def test_confirm_withdraw_waiting_list_and_minimal_replan(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_event(bot_runner, client)
    await open_plan(scenario)
    await publish(scenario)
    staff = scenario.staff
    alice, bruno = scenario.candidates["Alice"], scenario.candidates["Bruno"]
    emma = scenario.waiting
    assert emma is not None
    reg = scenario.registrations

    # Confirm, then press again: one change, a clear answer.
    await alice.wait_for(is_convocation, 10)
    await alice.press(t(CONFIRM_BUTTON))
    await alice.wait_for(says(CONFIRMED, event=EVENT_NAME))
    answered_at = sql.scalar(
        "select attendance_answered_at from registrations where id = ?", reg["Alice"]
    )
    await alice.press(t(CONFIRM_BUTTON))
    await alice.wait_for(says("Your attendance is already confirmed. Nothing changes."))
    assert sql(
        "select status, attendance_answer, attendance_answered_at from registrations where id = ?",
        reg["Alice"],
    ) == [("confirmed", "yes", answered_at)]

    # Someone else's button (forged) changes nothing.
    await alice.press_data(f"att:{reg['Bruno']}:no")
    await alice.wait_for(says(NOT_YOURS))
    assert sql.scalar("select status from registrations where id = ?", reg["Bruno"]) == (
        "registered"
    )

    # Bruno withdraws (after the "are you sure?" question): Emma (waiting list) is offered
    # the seat, staff are told at once.
    await bruno.wait_for(is_convocation, 10)
    await bruno.press(t(CANNOT_COME_BUTTON))
    await bruno.wait_for(says(QUESTION, event=EVENT_NAME))
    assert sql.scalar("select status from registrations where id = ?", reg["Bruno"]) == (
        "registered"
    )
    await bruno.press(WITHDRAW)
    await bruno.wait_for(says(WITHDRAWN, event=EVENT_NAME))
    await bruno.press(t(CANNOT_COME_BUTTON))
    await bruno.wait_for(says(ALREADY_WITHDRAWN))
    assert sql.scalar("select status from registrations where id = ?", reg["Bruno"]) == (
        "withdrawn"
    )
    assert sql.scalar("select count(*) from seat_offers") == 1
    notice = await staff.wait_for(says(WITHDRAWAL_NOTICE), 10)
    assert "Bruno" in notice.text and "Emma" in notice.text
    assert REPLAN in notice.button_labels

    offer = await emma.wait_for(says(OFFER), 10)
    assert offer.button_labels == [ACCEPT_SEAT, DECLINE_SEAT]
    assert sql.scalar("select offer_expires_at from registrations where id = ?", reg["Emma"])
    await emma.press(ACCEPT_SEAT)
    await emma.wait_for(says(SEAT_IS_YOURS, event=EVENT_NAME))
    await emma.press_data(offer.buttons[0][0][1] or "")
    await emma.wait_for(says("You have already answered this offer. Nothing changes."))
    assert sql("select status, offer_expires_at from registrations where id = ?", reg["Emma"]) == [
        ("registered", None)
    ]
    assert sql.scalar("select status from seat_offers") == "accepted"
    await staff.wait_for(says(SEAT_TAKEN), 10)

    # The minimal re-plan: only Bruno's room and Emma get a new convocation.
    await staff.press(REPLAN)
    replanned = await staff.wait_for(lambda m: is_plan(m) and says_n(*CHANGES)(m), 20)
    assert contains_n(replanned.text, *CHANGES, 4)
    await publish(scenario)
    new = await emma.wait_for(is_convocation, 10)
    assert not contains(new.text, CHANGED_CONVOCATION)
    await drained(sql)
    before_room = {
        first: len(await convocations(user)) for first, user in scenario.participants.items()
    }
    changed = sorted(first for first, count in before_room.items() if count == 2)
    assert len(changed) == 3, before_room  # Bruno's room-mates: one candidate, two employers
    assert before_room["Bruno"] == 1
    assert all(count in (1, 2) for count in before_room.values())
    for first in changed:
        latest = (await convocations(scenario.participants[first]))[-1]
        assert contains(latest, CHANGED_CONVOCATION) and "Emma" in latest

    # Staff follow-up: who confirmed, who withdrew, remind the silent ones once a day.
    await staff.command("presences")
    await staff.wait_for(says("For which event?"))
    await staff.press(
        next(label for label in (await staff.last()).button_labels if EVENT_NAME in label)
    )
    overview = await staff.wait_for(begins("<b>Attendance – {event}</b>"))
    assert t("Confirmed ({count})", count=1) in overview.text
    assert t("Withdrawn ({count})", count=1) in overview.text
    assert t("No answer yet ({count})", count=7) in overview.text
    remind = t("Remind those who did not answer ({count})", count=7)
    await staff.press(remind)
    await staff.wait_for(says_n("{count} reminder sent.", "{count} reminders sent.", 7))
    await staff.press(remind)
    await staff.wait_for(says_n(*ALREADY_REMINDED, 7))
    assert sql.scalar("select count(*) from outbox where kind = 'attendance_reminder'") == 7

    # On the day: mark Alice present.
    await staff.press(t("Mark who is present"))
    await staff.wait_for(says("Who is here today? Press present or absent for each person."))
    present = pattern("{name}: present")
    alice_name = next(
        label
        for label in (await staff.last()).button_labels
        if present.fullmatch(label) and "Alice" in label
    )
    await staff.press(alice_name)
    await staff.wait_for(lambda m: "✅ " + alice_name in m.button_labels)  # ticked
    assert sql.scalar("select attended from registrations where id = ?", reg["Alice"]) == 1


async def test_cannot_come_asks_before_giving_the_seat_away(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_event(bot_runner, client)
    alice, bruno = scenario.candidates["Alice"], scenario.candidates["Bruno"]
    staff, reg = scenario.staff, scenario.registrations

    def state(first: str) -> list[tuple[object, ...]]:
        return sql(
            "select status, attendance_answer, attendance_answered_at from registrations "
            "where id = ?",
            reg[first],
        )

    # "I cannot come" (as on a convocation or a reminder) only asks.
    await alice.press_data(f"att:{reg['Alice']}:no")
    question = await alice.wait_for(says(QUESTION, event=EVENT_NAME))
    assert question.button_labels == [WITHDRAW, KEEP]
    assert state("Alice") == [("registered", None, None)]
    assert sql.scalar("select count(*) from seat_offers") == 0

    # "No, I will come": the seat is kept, nothing changes, the question loses its buttons.
    await alice.press(KEEP)
    await alice.wait_for(says("Very well: you keep your seat at {event}. Nothing changes."))
    assert (await alice.wait_for(says(QUESTION, event=EVENT_NAME))).buttons == []
    assert state("Alice") == [("registered", None, None)]
    assert sql.scalar("select count(*) from seat_offers") == 0
    assert sql.scalar("select count(*) from outbox where idempotency_key like 'withdrawal:%'") == 0

    # Forged, unknown and malformed confirmations are refused and change nothing.
    await alice.press_data(f"att:{reg['Bruno']}:nosure")
    await said(alice, NOT_YOURS, 1)
    await alice.press_data(f"att:{reg['Bruno']}:keep")
    await said(alice, NOT_YOURS, 2)
    await alice.press_data("att:999999:nosure")
    await said(alice, NO_LONGER_VALID, 1)
    await alice.press_data(f"att:{reg['Bruno']}:maybe")
    await said(alice, NO_LONGER_VALID, 2)
    await alice.press_data("att:x:nosure")
    await said(alice, NO_LONGER_VALID, 3)
    assert state("Bruno") == [("registered", None, None)]
    assert sql.scalar("select count(*) from seat_offers") == 0

    # Bruno confirms his withdrawal; a second tap (double press, old message) changes nothing.
    await bruno.press_data(f"att:{reg['Bruno']}:no")
    await bruno.wait_for(says(QUESTION, event=EVENT_NAME))
    await bruno.press(WITHDRAW)
    await bruno.wait_for(says(WITHDRAWN, event=EVENT_NAME))
    withdrawn = state("Bruno")
    assert withdrawn[0][:2] == ("withdrawn", "no")
    await bruno.press_data(f"att:{reg['Bruno']}:nosure")
    await said(bruno, ALREADY_WITHDRAWN, 1)
    await bruno.press_data(f"att:{reg['Bruno']}:keep")
    await said(bruno, ALREADY_WITHDRAWN, 2)
    await bruno.press_data(f"att:{reg['Bruno']}:no")  # the convocation's button, pressed late
    await said(bruno, ALREADY_WITHDRAWN, 3)
    asked = says(QUESTION, event=EVENT_NAME)
    assert len([m for m in await bruno.received() if asked(m)]) == 1
    assert state("Bruno") == withdrawn
    assert sql.scalar("select count(*) from seat_offers") == 1
    await staff.wait_for(says(WITHDRAWAL_NOTICE), 10)
    await drained(sql)
    assert len([m for m in await staff.received() if says(WITHDRAWAL_NOTICE)(m)]) == 1
    assert len([m for m in await bruno.received() if says(WITHDRAWN)(m)]) == 1


async def test_expired_offer_moves_on_to_the_next_person(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_event(bot_runner, client)
    emma = scenario.waiting
    assert emma is not None and bot_runner.application is not None
    reg = scenario.registrations

    # A second person waits, behind Emma.
    fanny = client.user(2006, first_name="Fanny", last_name="Moreau")
    await started(fanny)
    async with services(bot_runner.application).database.session() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == fanny.id))
        assert person is not None
        person.role = Role.CANDIDATE
        registration = Registration(
            event_id=scenario.event_id,
            person_id=person.id,
            role=Role.CANDIDATE,
            site_id=scenario.site_id,
            accepted_site_ids=[scenario.site_id],
            status=RegistrationStatus.WAITING,
        )
        session.add(registration)
        await session.flush()
        reg["Fanny"] = registration.id

    bruno = scenario.candidates["Bruno"]
    await bruno.press_data(f"att:{reg['Bruno']}:no")
    await bruno.wait_for(says(QUESTION, event=EVENT_NAME))
    await bruno.press(WITHDRAW)
    await bruno.wait_for(says(WITHDRAWN, event=EVENT_NAME))
    offer = await emma.wait_for(says(OFFER), 10)
    assert sql("select registration_id, status from seat_offers") == [(reg["Emma"], "pending")]

    # A day later Emma has not answered: the every-minute job (run now, not in 60 s) moves on.
    clock.shift(timedelta(hours=25))
    queue = bot_runner.application.job_queue
    assert queue is not None
    (job,) = queue.get_jobs_by_name("seat-offers")
    await job.run(bot_runner.application)
    assert sql("select registration_id, status from seat_offers order by id") == [
        (reg["Emma"], "expired"),
        (reg["Fanny"], "pending"),
    ]
    assert sql("select status, offer_expires_at from registrations where id = ?", reg["Emma"]) == [
        ("waiting", None)
    ]
    assert sql.scalar("select offer_expires_at from registrations where id = ?", reg["Fanny"])
    new_offer = await fanny.wait_for(says(OFFER), 10)
    assert new_offer.button_labels == [ACCEPT_SEAT, DECLINE_SEAT]

    # Emma answers too late: a clear "expired", the seat stays offered to Fanny.
    def snapshot() -> tuple[list[tuple[object, ...]], ...]:
        return (
            sql("select * from seat_offers order by id"),
            sql("select id, status, offer_expires_at from registrations order by id"),
        )

    before = snapshot()
    await emma.press(ACCEPT_SEAT)
    await said(emma, EXPIRED, 1)
    await emma.press_data(offer.buttons[0][0][1] or "", message_id=offer.message_id)
    await said(emma, EXPIRED, 2)
    await job.run(bot_runner.application)  # nothing more is due
    assert snapshot() == before
    assert (await emma.wait_for(says(OFFER))).buttons == []
