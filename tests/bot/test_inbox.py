"""The engine's promises for one update: stored, handled once, whole or not at all.

Crashes at chosen points are in `test_crashes.py`; here the same application runs in the
test's loop, with a handler added that fails on purpose where a test needs one.
"""

from __future__ import annotations

import logging

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import services
from bot.db.models.people import Person
from bot.handlers.common import Context
from bot.sandbox.client import SandboxClient
from tests.conftest import BotRunner, Sql
from tests.helpers.texts import says
from tests.helpers.waiting import eventually

APOLOGY = "Sorry, something went wrong on our side. What you entered is kept."
HELP = "Here is what you can do:"


async def _fails_after_writing(update: Update, context: Context) -> None:
    """Stores a person, shows something, answers the button, then fails."""
    async with services(context).database.session() as session:
        session.add(Person(telegram_id=777001, chat_id=777001, first_name="Fantôme"))
    if update.callback_query is not None:
        await update.callback_query.answer("✔")
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, "Ceci ne doit pas arriver.")
    raise RuntimeError("a handler that fails on purpose")


async def _offer_button(update: Update, context: Context) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        "Panne ?",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Panne", callback_data="fail")]]),
    )


@pytest.fixture
def failing(bot_runner: BotRunner) -> BotRunner:
    assert bot_runner.application is not None
    bot_runner.application.add_handler(CommandHandler("panne", _fails_after_writing), group=-1)
    bot_runner.application.add_handler(CommandHandler("bouton", _offer_button), group=-1)
    bot_runner.application.add_handler(
        CallbackQueryHandler(_fails_after_writing, pattern="^fail$"), group=-1
    )
    return bot_runner


async def test_a_failing_handler_changes_nothing_and_apologises_once(
    failing: BotRunner, client: SandboxClient, sql: Sql, caplog: pytest.LogCaptureFixture
) -> None:
    eve = client.user(5101, first_name="Ève")
    with caplog.at_level(logging.ERROR):
        update_id = await eve.command("panne")
        await eve.wait_for(says(APOLOGY))
    assert sql.scalar("select count(*) from people where telegram_id = 777001") == 0
    assert not [m for m in await eve.received() if "ne doit pas" in m.text]
    assert await eventually(
        lambda: sql.scalar("select status from inbox where update_id = ?", update_id) == "failed"
    )
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]


async def test_the_apology_arrives_even_after_the_button_was_answered(
    failing: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    """The handler answered the button before failing: that answer is rolled back with the
    rest, and the person gets the button answered once and the apology."""
    eve = client.user(5102, first_name="Ève")
    await eve.command("bouton")
    await eve.wait_for(lambda m: m.text == "Panne ?")
    await eve.press("Panne")
    await eve.wait_for(says(APOLOGY))
    answers = await eve.callback_answers()
    assert len(answers) == 1 and not answers[0].get("text")
    assert sql.scalar("select count(*) from people where telegram_id = 777001") == 0


async def test_an_update_delivered_twice_is_handled_once(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    application = bot_runner.application
    assert application is not None
    finn = client.user(5103, first_name="Finn")
    update_id = await finn.command("aide")
    await finn.wait_for(says(HELP))
    payload = {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 5103, "type": "private"},
            "from": {"id": 5103, "is_bot": False, "first_name": "Finn"},
            "text": "/aide",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }
    again = Update.de_json(payload, application.bot)
    await application.update_queue.put(again)  # as the updater does with a redelivery
    await application.process_update(again)  # and even if it reached the handlers
    await finn.command("start")  # a later update: when it is answered, the others were too
    await finn.wait_for(lambda m: "Finn" in m.text)
    helps = [m for m in await finn.received() if says(HELP)(m)]
    assert len(helps) == 1
    assert sql.scalar("select status from inbox where update_id = ?", update_id) == "done"


async def test_handled_updates_keep_nothing_people_wrote(
    bot_runner: BotRunner, client: SandboxClient, sql: Sql
) -> None:
    gail = client.user(5104, first_name="Gaëlle")
    await gail.send("Mon numéro secret est 0612345678")
    await gail.wait_for(lambda m: bool(m.text))
    assert await eventually(lambda: sql.scalar("select count(*) from inbox where status = 'done'"))
    rows = sql("select payload, user_id from inbox")
    assert rows and all("0612345678" not in str(payload) for payload, _user in rows)
    assert all(user is None for _payload, user in rows)  # not in a conversation: no sender kept
