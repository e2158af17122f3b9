"""/broadcast end to end: audience buttons, preview, one send per person, progress, report."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot import clock
from bot.handlers import broadcast as handler
from bot.sandbox.client import SandboxClient, User
from tests.conftest import STAFF_ID, BotRunner, Sql
from tests.helpers.texts import begins, pattern, says, t, tn

HEADER = t("Message from the organising team:")
CANDIDATE = t("Candidate")
EMPLOYER = t("Employer")
CANDIDATES = t("Candidates")
SEND = t("Send")
RECIPIENTS = ("Recipients: {count} person.", "Recipients: {count} people.")
SENT = "Your message has been sent."


@pytest.fixture(autouse=True)
def fast_progress(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Progress edits every 0.3 s instead of 2 s, so the test sees several."""
    monkeypatch.setattr(handler, "PROGRESS_SECONDS", 0.3)
    clock.reset()
    yield None
    clock.reset()


async def participant(client: SandboxClient, user_id: int, name: str, role_label: str) -> User:
    user = client.user(user_id, first_name=name)
    await user.command("start")
    await user.wait_for(lambda m: role_label in m.button_labels)
    await user.press(role_label)
    await user.wait_for(says("Thank you! Your role is: {role}."))
    return user


async def staff_user(client: SandboxClient) -> User:
    staff = client.user(STAFF_ID, first_name="Coach")
    await staff.command("start")
    await staff.wait_for(lambda m: True)
    return staff


def broadcasts(messages: list) -> list[str]:  # type: ignore[type-arg]
    return [m.text for m in messages if m.text.startswith(HEADER)]


async def prepare(staff: User, text: str) -> None:
    """Staff picks "candidates", writes `text`, and gets the preview."""
    await staff.command("broadcast")
    await staff.wait_for(lambda m: CANDIDATES in m.button_labels)
    await staff.press(CANDIDATES)
    await staff.wait_for(begins("Write your message now (up to {limit} characters)."))
    await staff.send(text)
    await staff.wait_for(lambda m: SEND in m.button_labels)


async def test_broadcast_to_candidates_with_progress_and_report(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = await staff_user(client)
    alice = await participant(client, 2001, "Alice", CANDIDATE)
    bruno = await participant(client, 2002, "Bruno", CANDIDATE)
    chloe = await participant(client, 2003, "Chloé", CANDIDATE)
    emma = await participant(client, 2004, "Emma", EMPLOYER)
    await client.block(chloe.id)

    await prepare(staff, "Réunion <demain> & café")
    preview = await staff.last()
    assert tn(*RECIPIENTS, 3) in preview.text
    assert "Réunion <demain> & café" in preview.text
    await staff.press(SEND)

    report = await staff.wait_for(begins(SENT), 10)
    assert report.edits and pattern("Sending…").match(report.edits[0])
    assert t("Received: {count}", count=2) in report.text
    assert t("Unreachable: {count}", count=1) in report.text
    assert t("- {name}", name="Chloé") in report.text
    for person in (alice, bruno):
        assert broadcasts(await person.received()) == [f"{HEADER}\n\nRéunion <demain> & café"]
    assert broadcasts(await emma.received()) == []
    assert sql.scalar("SELECT status FROM broadcasts") == "done"
    assert sql.scalar("SELECT count(*) FROM outbox WHERE kind='broadcast'") == 3
    assert sql.scalar("SELECT unreachable_at FROM people WHERE telegram_id=2003") is not None


async def test_double_press_on_send_sends_each_person_once(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = await staff_user(client)
    alice = await participant(client, 2101, "Alice", CANDIDATE)
    bruno = await participant(client, 2102, "Bruno", CANDIDATE)
    await prepare(staff, "Une seule fois")
    preview = await staff.last()
    send_data = next(data for label, data in preview.buttons[0] if label == SEND)
    assert send_data is not None
    await staff.press_data(send_data, message_id=preview.message_id)
    await staff.press_data(send_data, message_id=preview.message_id)
    await staff.wait_for(says("This message is already sent. It will not be sent twice."))
    await staff.wait_for(begins(SENT), 10)
    await bot_runner.handled(client)  # both presses handled, nothing left in the outbox
    for person in (alice, bruno):
        assert broadcasts(await person.received()) == [f"{HEADER}\n\nUne seule fois"]
    assert sql.scalar("SELECT count(*) FROM outbox WHERE kind='broadcast'") == 2


async def test_report_shown_when_everyone_got_it_before_the_progress_message(
    bot_runner: BotRunner, client: SandboxClient
) -> None:
    """Staff's chat is paced and the Bot API may answer late: the people's messages can all
    be out before staff's progress message is. The report still replaces it."""
    staff = await staff_user(client)
    alice = await participant(client, 2111, "Alice", CANDIDATE)
    await prepare(staff, "Avant le suivi")
    await client.hang_next("sendMessage", 1.5, deliver=True, chat_id=STAFF_ID)
    await staff.press(SEND)
    assert broadcasts([await alice.wait_for(begins(HEADER))]) == [f"{HEADER}\n\nAvant le suivi"]
    await staff.wait_for(begins(SENT), 10)


async def test_cancel_sends_nothing_and_send_after_cancel_is_refused(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = await staff_user(client)
    alice = await participant(client, 2201, "Alice", CANDIDATE)
    await prepare(staff, "Finalement non")
    preview = await staff.last()
    send_data = next(data for label, data in preview.buttons[0] if label == SEND)
    await staff.press(t("Cancel"))
    await staff.wait_for(lambda m: m.text == t("Nothing was sent."))
    await staff.press_data(str(send_data), message_id=preview.message_id)
    await staff.wait_for(says("This message was cancelled. Nothing was sent."))
    await bot_runner.handled(client)  # the presses are handled, nothing left in the outbox
    assert broadcasts(await alice.received()) == []
    assert sql.scalar("SELECT count(*) FROM outbox WHERE kind='broadcast'") == 0


async def test_too_long_or_empty_text_is_refused_then_accepted(
    bot_runner: BotRunner, client: SandboxClient
) -> None:
    staff = await staff_user(client)
    await participant(client, 2301, "Alice", CANDIDATE)
    await staff.command("broadcast")
    await staff.wait_for(lambda m: CANDIDATES in m.button_labels)
    await staff.press(CANDIDATES)
    await staff.wait_for(begins("Write your message now (up to {limit} characters)."))
    await staff.send("x" * 4001)
    too_long = (
        "Your message is too long ({count} characters, at most {limit}). "
        "Please shorten it and send it again."
    )
    await staff.wait_for(says(too_long, count=4001))
    await staff.send("Court")
    preview = await staff.wait_for(lambda m: SEND in m.button_labels)
    assert tn(*RECIPIENTS, 1) in preview.text


async def test_candidate_cannot_broadcast_nor_forge_the_button(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    staff = await staff_user(client)
    alice = await participant(client, 2401, "Alice", CANDIDATE)
    bruno = await participant(client, 2402, "Bruno", CANDIDATE)
    await prepare(staff, "Réservé")
    preview = await staff.last()
    send_data = next(data for label, data in preview.buttons[0] if label == SEND)

    await alice.command("broadcast")
    await alice.wait_for(begins("This command is for the organising team only."))
    await alice.press_data(str(send_data))
    await alice.press_data("bc:aud:all")
    await bot_runner.handled(client)
    answers = await alice.callback_answers()
    forged = [a["text"] for a in answers if a.get("data", "").startswith("bc:")]
    assert forged == [t("This is for the organising team only.")] * 2
    for person in (alice, bruno):
        assert broadcasts(await person.received()) == []
    assert sql.scalar("SELECT count(*) FROM outbox WHERE kind='broadcast'") == 0
    assert sql.scalar("SELECT status FROM broadcasts") == "draft"
