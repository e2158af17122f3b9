"""Confirmations, withdrawals, the waiting list and the minimal re-plan, end to end."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import clock
from bot.context import services
from bot.db.models.events import Registration, RegistrationStatus
from bot.db.models.people import Person, Role
from bot.sandbox.client import SandboxClient, User
from tests.bot.test_plan import _started, drained, is_plan, open_plan, publish, seed_event
from tests.conftest import BotRunner, Sql

QUESTION = "Vous ne pourrez pas venir à Ose ton projet ? Votre place sera proposée"


async def said(user: User, fragment: str, count: int, timeout: float = 5) -> None:
    """Wait until exactly `count` bot messages contain `fragment` (one answer per press)."""
    for _ in range(int(timeout / 0.05)):
        found = len([m for m in await user.received() if fragment in m.text])
        if found == count:
            return
        assert found < count, f"{found} messages with {fragment!r}, expected {count}"
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} messages with {fragment!r}")


@pytest.fixture(autouse=True)
def real_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


async def convocations(user: User) -> list[str]:
    return [m.text for m in await user.received() if "Votre convocation" in m.text]


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
    await alice.wait_for(lambda m: "Votre convocation" in m.text, 10)
    await alice.press("Je confirme ma présence")
    await alice.wait_for(lambda m: "Votre présence est confirmée" in m.text)
    answered_at = sql.scalar(
        "select attendance_answered_at from registrations where id = ?", reg["Alice"]
    )
    await alice.press("Je confirme ma présence")
    await alice.wait_for(lambda m: "déjà confirmée" in m.text)
    assert sql(
        "select status, attendance_answer, attendance_answered_at from registrations where id = ?",
        reg["Alice"],
    ) == [("confirmed", "yes", answered_at)]

    # Someone else's button (forged) changes nothing.
    await alice.press_data(f"att:{reg['Bruno']}:no")
    await alice.wait_for(lambda m: "ne vous concerne pas" in m.text)
    assert sql.scalar("select status from registrations where id = ?", reg["Bruno"]) == (
        "registered"
    )

    # Bruno withdraws (after the "are you sure?" question): Emma (waiting list) is offered
    # the seat, staff are told at once.
    await bruno.wait_for(lambda m: "Votre convocation" in m.text, 10)
    await bruno.press("Je ne pourrai pas venir")
    await bruno.wait_for(lambda m: QUESTION in m.text)
    assert sql.scalar("select status from registrations where id = ?", reg["Bruno"]) == (
        "registered"
    )
    await bruno.press("Oui, je me désiste")
    await bruno.wait_for(lambda m: "plus attendu·e" in m.text)
    await bruno.press("Je ne pourrai pas venir")
    await bruno.wait_for(lambda m: "déjà dit que vous ne pourrez pas venir" in m.text)
    assert sql.scalar("select status from registrations where id = ?", reg["Bruno"]) == (
        "withdrawn"
    )
    assert sql.scalar("select count(*) from seat_offers") == 1
    notice = await staff.wait_for(lambda m: "Désistement" in m.text, 10)
    assert "Bruno" in notice.text and "Emma" in notice.text
    assert "Recalculer au plus juste" in notice.button_labels

    offer = await emma.wait_for(lambda m: "Une place se libère" in m.text, 10)
    assert offer.button_labels == ["J'accepte la place", "Je refuse"]
    assert sql.scalar("select offer_expires_at from registrations where id = ?", reg["Emma"])
    await emma.press("J'accepte la place")
    await emma.wait_for(lambda m: "est pour vous" in m.text)
    await emma.press_data(offer.buttons[0][0][1] or "")
    await emma.wait_for(lambda m: "déjà répondu" in m.text)
    assert sql("select status, offer_expires_at from registrations where id = ?", reg["Emma"]) == [
        ("registered", None)
    ]
    assert sql.scalar("select status from seat_offers") == "accepted"
    await staff.wait_for(lambda m: "Place reprise" in m.text, 10)

    # The minimal re-plan: only Bruno's room and Emma get a new convocation.
    await staff.press("Recalculer au plus juste")
    replanned = await staff.wait_for(lambda m: is_plan(m) and "convocations changent" in m.text, 20)
    assert "4 convocations changent" in replanned.text
    await publish(scenario)
    new = await emma.wait_for(lambda m: "Votre convocation" in m.text, 10)
    assert "a changé" not in new.text
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
        assert "Votre convocation a changé" in latest and "Emma" in latest

    # Staff follow-up: who confirmed, who withdrew, remind the silent ones once a day.
    await staff.command("presences")
    await staff.wait_for(lambda m: "Pour quel événement" in m.text)
    await staff.press(
        next(label for label in (await staff.last()).button_labels if "Ose ton projet" in label)
    )
    overview = await staff.wait_for(lambda m: m.text.startswith("Présences"))
    assert "Présence confirmée (1)" in overview.text and "Désistements (1)" in overview.text
    assert "Pas encore de réponse (7)" in overview.text
    await staff.press("Relancer les personnes sans réponse (7)")
    await staff.wait_for(lambda m: "7 relances envoyées" in m.text)
    await staff.press("Relancer les personnes sans réponse (7)")
    await staff.wait_for(lambda m: "7 personnes ont déjà été relancées" in m.text)
    assert sql.scalar("select count(*) from outbox where kind = 'attendance_reminder'") == 7

    # On the day: mark Alice present.
    await staff.press("Pointer les présences")
    await staff.wait_for(lambda m: "Qui est là" in m.text)
    alice_name = next(
        label for label in (await staff.last()).button_labels if label.startswith("Alice")
    )
    await staff.press(alice_name)
    await staff.wait_for(lambda m: any(label.startswith("✅ Alice") for label in m.button_labels))
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
    question = await alice.wait_for(lambda m: QUESTION in m.text)
    assert question.button_labels == ["Oui, je me désiste", "Non, je viens"]
    assert state("Alice") == [("registered", None, None)]
    assert sql.scalar("select count(*) from seat_offers") == 0

    # "No, I will come": the seat is kept, nothing changes, the question loses its buttons.
    await alice.press("Non, je viens")
    await alice.wait_for(lambda m: "vous gardez votre place" in m.text)
    assert (await alice.wait_for(lambda m: QUESTION in m.text)).buttons == []
    assert state("Alice") == [("registered", None, None)]
    assert sql.scalar("select count(*) from seat_offers") == 0
    assert sql.scalar("select count(*) from outbox where idempotency_key like 'withdrawal:%'") == 0

    # Forged, unknown and malformed confirmations are refused and change nothing.
    await alice.press_data(f"att:{reg['Bruno']}:nosure")
    await said(alice, "ne vous concerne pas", 1)
    await alice.press_data(f"att:{reg['Bruno']}:keep")
    await said(alice, "ne vous concerne pas", 2)
    await alice.press_data("att:999999:nosure")
    await said(alice, "plus valable", 1)
    await alice.press_data(f"att:{reg['Bruno']}:maybe")
    await said(alice, "plus valable", 2)
    await alice.press_data("att:x:nosure")
    await said(alice, "plus valable", 3)
    assert state("Bruno") == [("registered", None, None)]
    assert sql.scalar("select count(*) from seat_offers") == 0

    # Bruno confirms his withdrawal; a second tap (double press, old message) changes nothing.
    await bruno.press_data(f"att:{reg['Bruno']}:no")
    await bruno.wait_for(lambda m: QUESTION in m.text)
    await bruno.press("Oui, je me désiste")
    await bruno.wait_for(lambda m: "plus attendu·e" in m.text)
    withdrawn = state("Bruno")
    assert withdrawn[0][:2] == ("withdrawn", "no")
    await bruno.press_data(f"att:{reg['Bruno']}:nosure")
    await said(bruno, "déjà dit que vous ne pourrez pas venir", 1)
    await bruno.press_data(f"att:{reg['Bruno']}:keep")
    await said(bruno, "déjà dit que vous ne pourrez pas venir", 2)
    await bruno.press_data(f"att:{reg['Bruno']}:no")  # the convocation's button, pressed late
    await said(bruno, "déjà dit que vous ne pourrez pas venir", 3)
    assert len([m for m in await bruno.received() if QUESTION in m.text]) == 1
    assert state("Bruno") == withdrawn
    assert sql.scalar("select count(*) from seat_offers") == 1
    await staff.wait_for(lambda m: "Désistement" in m.text, 10)
    await drained(sql)
    assert len([m for m in await staff.received() if "Désistement" in m.text]) == 1
    assert len([m for m in await bruno.received() if "plus attendu·e" in m.text]) == 1


async def test_expired_offer_moves_on_to_the_next_person(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    scenario = await seed_event(bot_runner, client)
    emma = scenario.waiting
    assert emma is not None and bot_runner.application is not None
    reg = scenario.registrations

    # A second person waits, behind Emma.
    fanny = client.user(2006, first_name="Fanny", last_name="Moreau")
    await _started(fanny)
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
    await bruno.wait_for(lambda m: QUESTION in m.text)
    await bruno.press("Oui, je me désiste")
    await bruno.wait_for(lambda m: "plus attendu·e" in m.text)
    offer = await emma.wait_for(lambda m: "Une place se libère" in m.text, 10)
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
    new_offer = await fanny.wait_for(lambda m: "Une place se libère" in m.text, 10)
    assert new_offer.button_labels == ["J'accepte la place", "Je refuse"]

    # Emma answers too late: a clear "expired", the seat stays offered to Fanny.
    def snapshot() -> tuple[list[tuple[object, ...]], ...]:
        return (
            sql("select * from seat_offers order by id"),
            sql("select id, status, offer_expires_at from registrations order by id"),
        )

    before = snapshot()
    await emma.press("J'accepte la place")
    await said(emma, "cette proposition a expiré", 1)
    await emma.press_data(offer.buttons[0][0][1] or "", message_id=offer.message_id)
    await said(emma, "cette proposition a expiré", 2)
    await job.run(bot_runner.application)  # nothing more is due
    assert snapshot() == before
    assert (await emma.wait_for(lambda m: "Une place se libère" in m.text)).buttons == []
