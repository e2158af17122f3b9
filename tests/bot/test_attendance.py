"""Confirmations, withdrawals, the waiting list and the minimal re-plan, end to end."""

from __future__ import annotations

from bot.sandbox.client import SandboxClient, User
from tests.bot.test_plan import drained, is_plan, open_plan, publish, seed_event
from tests.conftest import BotRunner, Sql


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
    assert sql("select status, attendance_answer, attendance_answered_at from registrations "
               "where id = ?", reg["Alice"]) == [("confirmed", "yes", answered_at)]

    # Someone else's button (forged) changes nothing.
    await alice.press_data(f"att:{reg['Bruno']}:no")
    await alice.wait_for(lambda m: "ne vous concerne pas" in m.text)
    assert sql.scalar("select status from registrations where id = ?", reg["Bruno"]) == (
        "registered"
    )

    # Bruno withdraws: Emma (waiting list) is offered the seat, staff are told at once.
    await bruno.wait_for(lambda m: "Votre convocation" in m.text, 10)
    await bruno.press("Je ne pourrai pas venir")
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
    assert sql("select status, offer_expires_at from registrations where id = ?",
               reg["Emma"]) == [("registered", None)]
    assert sql.scalar("select status from seat_offers") == "accepted"
    await staff.wait_for(lambda m: "Place reprise" in m.text, 10)

    # The minimal re-plan: only Bruno's room and Emma get a new convocation.
    await staff.press("Recalculer au plus juste")
    replanned = await staff.wait_for(lambda m: is_plan(m) and "convocations changent" in m.text,
                                     20)
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
    await staff.press(next(label for label in (await staff.last()).button_labels
                           if "Ose ton projet" in label))
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
    alice_name = next(label for label in (await staff.last()).button_labels
                      if label.startswith("Alice"))
    await staff.press(alice_name)
    await staff.wait_for(lambda m: any(label.startswith("✅ Alice") for label in m.button_labels))
    assert sql.scalar("select attended from registrations where id = ?", reg["Alice"]) == 1
