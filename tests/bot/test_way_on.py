"""Nobody stuck: every message, command, voice note or button gets an answer and a way on."""

from __future__ import annotations

from bot.config import Settings
from bot.handlers.fallback import (
    NO_VOICE,
    NOT_UNDERSTOOD,
    NOTHING_TO_CANCEL,
    OLD_BUTTON,
    PRESS_OR_WRITE,
    UNKNOWN_COMMAND,
    WHAT_NOW,
)
from bot.sandbox.client import SandboxClient, User
from tests.conftest import STAFF_ID, BotRunner, Sql
from tests.helpers.signup import (
    AGREE,
    CONFIRM,
    CONSENT,
    DONE,
    JOB_Q,
    NAME_Q,
    SECTORS_Q,
    SIGNED_UP,
    SUMMARY,
    answers_texts,
    asked,
    its_me,
    make_event,
    sign_up_candidate,
    tap,
)
from tests.helpers.texts import says, t
from tests.helpers.waiting import eventually

ROLE_Q = "Are you looking for a job, or are you an employer? Press a button."


async def signed_up(user: User, code: str) -> None:
    await sign_up_candidate(user, code)
    await asked(user, SUMMARY)
    await tap(user, CONFIRM)
    await asked(user, SIGNED_UP)


async def menu_after(user: User, first_line: str) -> list[str]:
    """The answer to something unexpected: `first_line`, "what now", and the menu buttons."""
    message = await asked(user, first_line)
    assert says(WHAT_NOW)(message) or says(ROLE_Q)(message), message.text
    return [label for row in message.buttons for label, _data in row]


async def test_a_newcomer_saying_hello_is_shown_the_way(
    bot_runner: BotRunner, client: SandboxClient
) -> None:
    nadia = client.user(5101, first_name="Nadia")
    await nadia.send("bonjour")
    message = await asked(nadia, NOT_UNDERSTOOD)
    assert says(ROLE_Q)(message)
    assert t("Candidate") in message.button_labels


async def test_after_sign_up_anything_unexpected_gets_the_menu(
    bot_runner: BotRunner, client: SandboxClient, settings: Settings
) -> None:
    codes = await make_event(settings)
    amina = client.user(5102, first_name="Amina")
    await signed_up(amina, codes.candidate)
    await amina.send("merci")
    labels = await menu_after(amina, NOT_UNDERSTOOD)
    assert t("My next event") in labels and t("Talk to the team") in labels
    await amina.command("inconnu")
    await menu_after(amina, UNKNOWN_COMMAND)
    await amina.command("annuler")
    await menu_after(amina, NOTHING_TO_CANCEL)
    await amina.send_voice()
    await menu_after(amina, NO_VOICE)
    await amina.send_sticker()
    await menu_after(amina, NOT_UNDERSTOOD)
    await tap(amina, t("My next event"))
    await asked(amina, "You are signed up.")
    # A button that matches nothing (forged, or from a version long gone) is answered.
    pressed = len(await amina.callback_answers())
    await amina.press_data("zz:unknown:1")
    assert await eventually(lambda: _answered(amina, pressed + 1))
    assert (await answers_texts(amina))[-1] == t(OLD_BUTTON)
    await menu_after(amina, OLD_BUTTON)


async def _answered(user: User, count: int) -> bool:
    return len(await user.callback_answers()) >= count


async def test_in_the_middle_of_a_question_the_question_comes_again(
    bot_runner: BotRunner, client: SandboxClient, settings: Settings
) -> None:
    codes = await make_event(settings)
    karim = client.user(5103, first_name="Karim")
    await karim.command("start", codes.candidate)
    await asked(karim, CONSENT)
    await tap(karim, AGREE)
    await asked(karim, NAME_Q)
    before = len(await karim.received())
    await karim.command("inconnu")  # an unknown command during a typed step
    again = await asked(karim, UNKNOWN_COMMAND)
    assert says(PRESS_OR_WRITE)(again)
    assert await eventually(lambda: _count(karim, NAME_Q, before, 1))
    await karim.send_voice()  # the typed step says what it expects, and asks again
    await asked(karim, "Please answer with a text message.")
    assert await eventually(lambda: _count(karim, NAME_Q, before, 2))
    await karim.press_data("zz:old:2")  # a button of nothing known
    assert await eventually(lambda: _count(karim, NAME_Q, before, 3))
    assert t(OLD_BUTTON) in await answers_texts(karim)
    # The sign-up goes on where it was: nothing was lost.
    await tap(karim, its_me(karim))
    await asked(karim, "How old are you?")


async def _count(user: User, message: str, after: int, count: int) -> bool:
    found = [m for m in (await user.received())[after:] if says(message)(m)]
    return len(found) >= count


async def test_talk_to_the_team_round_trip(
    bot_runner: BotRunner, client: SandboxClient, settings: Settings, sql: Sql
) -> None:
    sophie = client.user(STAFF_ID, first_name="Sophie")
    await sophie.command("start")
    await sophie.wait_for(lambda m: True)
    codes = await make_event(settings)
    lea = client.user(5104, first_name="Léa")
    await signed_up(lea, codes.candidate)
    await lea.send("je ne sais pas quoi apporter")
    await menu_after(lea, NOT_UNDERSTOOD)
    await tap(lea, t("Talk to the team"))
    await asked(lea, "Write your message to the team in a few words, then send it.")
    await lea.send("Bonjour, <b>faut-il</b> un CV ?")
    await asked(lea, "Thank you! Your message has gone to the team. The answer will come here.")
    forwarded = await asked(
        sophie, "Message from {name} ({event}):", name="Léa", event="Ose ton projet"
    )
    assert "Bonjour, <b>faut-il</b> un CV ?" in forwarded.text  # shown as typed, not as HTML
    await sophie.press(t("Reply"))
    await asked(sophie, "Write your answer to {name}. To stop, type /annuler.", name="Léa")
    await sophie.send("Oui, deux exemplaires.")
    await asked(sophie, "Sent to {name}.", name="Léa")
    answer = await asked(lea, "Answer from {name}, of the organising team:", name="Sophie")
    assert "Oui, deux exemplaires." in answer.text
    # A candidate cannot forge a staff "Reply" button.
    person_id = sql.scalar("select id from people where telegram_id = 5104")
    pressed = len(await lea.callback_answers())
    await lea.press_data(f"team:re:{person_id}")
    assert await eventually(lambda: _answered(lea, pressed + 1))
    assert t("This is for the organising team only.") in await answers_texts(lea)


async def test_staff_saying_hello_get_a_menu_too(
    bot_runner: BotRunner, client: SandboxClient
) -> None:
    sophie = client.user(STAFF_ID, first_name="Sophie")
    await sophie.command("start")
    await sophie.wait_for(lambda m: True)
    await sophie.send("bonjour")
    labels = await menu_after(sophie, NOT_UNDERSTOOD)
    assert t("What I can do") in labels
    assert t("Talk to the team") not in labels


async def test_a_pause_loses_nothing_and_a_reminder_offers_to_carry_on(
    client: SandboxClient, settings: Settings, sql: Sql
) -> None:
    """Kept for days, reminded once (both shortened for the test); carry on, or give up."""
    fast = settings.model_copy(
        update={"conversation_timeout_minutes": 4 / 60, "conversation_nudge_minutes": 1 / 60}
    )
    runner = BotRunner(fast)
    await runner.start()
    try:
        codes = await make_event(fast)
        rosa = client.user(5105, first_name="Rosa")
        await rosa.command("start", codes.candidate)
        await asked(rosa, CONSENT)
        await tap(rosa, AGREE)
        await asked(rosa, NAME_Q)
        await asked(rosa, "Your answers are kept. Shall we carry on?", timeout=6)
        await tap(rosa, t("Carry on"))
        await tap(rosa, its_me(rosa))  # the question again, and the sign-up goes on
        await asked(rosa, "How old are you?")
        kept = "Your answers are kept. Shall we carry on?"
        assert await eventually(lambda: _count(rosa, kept, 0, 2), timeout=6)
        await rosa.press(t("Give up"))
        await asked(rosa, "Cancelled. Nothing has been stored.")
        assert sql.scalar("select count(*) from people where telegram_id = 5105") == 0
    finally:
        await runner.stop()


async def test_an_old_event_button_never_ends_a_sign_up_in_progress(
    bot_runner: BotRunner, client: SandboxClient, settings: Settings, sql: Sql
) -> None:
    first = await make_event(settings, name="Ose ton projet")
    second = await make_event(settings, name="Job dating")
    yan = client.user(5106, first_name="Yan")
    await yan.command("start")
    await tap(yan, t("Candidate"))
    listing = await asked(yan, "Which event do you want to sign up for?")
    old_button = next(
        data for row in listing.buttons for label, data in row if label == "Job dating"
    )
    await yan.command("start", first.candidate)
    await asked(yan, CONSENT)
    await tap(yan, AGREE)
    await asked(yan, NAME_Q)
    await sql.write("update events set status = 'closed' where id = ?", second.event_id)
    before = len(await yan.received())
    await yan.press_data(old_button, listing.message_id)
    assert await eventually(lambda: _count(yan, NAME_Q, before, 1))
    assert t("Sign-ups for this event are closed.") in await answers_texts(yan)
    await tap(yan, its_me(yan))  # the sign-up goes on
    await asked(yan, "How old are you?")


async def test_a_tick_list_pressed_on_an_older_copy_shows_the_truth_again(
    bot_runner: BotRunner, client: SandboxClient, settings: Settings
) -> None:
    """Two copies of one tick list (the question came again after a word typed at it).
    "Autres secteurs" pressed on the first opens every sector there; pressed then on the
    second, where it is no longer offered, it is refused and that copy is redrawn with every
    sector, so the person sees what to press instead of a button that does nothing."""
    codes = await make_event(settings)
    lina = client.user(5110, first_name="Lina")
    await lina.command("start", codes.candidate)
    await tap(lina, AGREE)
    await tap(lina, its_me(lina))
    await tap(lina, "26-35")
    first = await asked(lina, SECTORS_Q)
    more = "➕ " + t("Other sectors")
    more_data = next(data for label, data in first.buttons[-2] if label == more)
    before = len(await lina.received())
    await lina.send("bonjour")  # the question comes again: a second copy
    assert await eventually(lambda: _count(lina, SECTORS_Q, before, 1))
    second = [m for m in await lina.received() if says(SECTORS_Q)(m)][-1]
    assert second.message_id > first.message_id and more in second.button_labels
    await lina.press_data(more_data, first.message_id)
    await bot_runner.handled(client)
    await lina.press_data(more_data, second.message_id)
    await bot_runner.handled(client)
    shown = {m.message_id: m.button_labels for m in await lina.received()}
    assert more not in shown[first.message_id] and more not in shown[second.message_id]
    assert shown[second.message_id] == shown[first.message_id]
    await tap(lina, "Industrie")  # further down the whole list
    await tap(lina, DONE)
    await asked(lina, JOB_Q)
