""" "Parler à l'équipe": a person writes one message to the team, and staff answer it.

Two short conversations, each read top to bottom below: the person's (menu button → one
typed message → forwarded) and the staff member's ("Répondre" under a forwarded message →
one typed answer → sent to the person). What people write is never logged.
"""

from __future__ import annotations

import re
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.callbacks import TeamReply
from bot.context import services, translator_for
from bot.engine.conversation import END
from bot.handlers.common import Context, identity_of, reply, user_conversation
from bot.services.contact import UnknownPerson, answer_person, forward_to_team, person_name
from bot.text import normalise

WRITING = "write"
ANSWERING = "answer"
LIMIT = 2000
TEAM_BUTTON = re.compile(r"^menu:team$")
ANSWER_TO = "contact_answer_to"


# ---------------------------------------------------------------- the person


async def start_writing(update: Update, context: Context) -> str:
    query = update.callback_query
    if query is not None:
        await query.answer()
    _ = translator_for(update)
    await reply(
        update,
        _("Write your message to the team in a few words, then send it.")
        + "\n"
        + _("To stop, type /annuler."),
    )
    return WRITING


async def message_written(update: Update, context: Context) -> object:
    _ = translator_for(update)
    message = update.effective_message
    text = normalise(message.text if message else None)
    if not text:
        await reply(update, _("Your answer is empty. Please write a few words."))
        return None
    if len(text) > LIMIT:
        await reply(update, _("That is too long: {limit} characters at most.", limit=LIMIT))
        return None
    app = services(context)
    sent = await forward_to_team(
        app.database, identity_of(update).telegram_id, text, app.settings.staff_ids
    )
    if sent.recipients == 0:
        await reply(update, _("Sorry, nobody in the team can receive messages right now."))
    else:
        await reply(
            update, _("Thank you! Your message has gone to the team. The answer will come here.")
        )
    return END


async def write_with_keyboard(update: Update, context: Context) -> None:
    _ = translator_for(update)
    await reply(update, _("Please write your message with the keyboard. To stop, type /annuler."))


async def stop(update: Update, context: Context) -> object:
    _ = translator_for(update)
    context.user_data.pop(ANSWER_TO, None)  # type: ignore[union-attr]
    await reply(update, _("Cancelled. Nothing was sent."))
    return END


async def idle(update: Update, context: Context) -> None:
    context.user_data.pop(ANSWER_TO, None)  # type: ignore[union-attr]


# ---------------------------------------------------------------- staff


async def start_answer(update: Update, context: Context) -> object:
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    data = TeamReply.parse(query.data)
    name = await person_name(services(context).database, data.person_id) if data else None
    if data is None or name is None:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return END
    await query.answer()
    context.user_data[ANSWER_TO] = data.person_id  # type: ignore[index]
    await reply(update, _("Write your answer to {name}. To stop, type /annuler.", name=name))
    return ANSWERING


async def answer_written(update: Update, context: Context) -> object:
    _ = translator_for(update)
    message = update.effective_message
    text = normalise(message.text if message else None)
    person_id = context.user_data.get(ANSWER_TO) if context.user_data else None
    if not isinstance(person_id, int):
        await reply(update, _("This button is no longer valid."))
        return END
    if not text:
        await reply(update, _("Your answer is empty. Please write a few words."))
        return None
    if len(text) > LIMIT:
        await reply(update, _("That is too long: {limit} characters at most.", limit=LIMIT))
        return None
    try:
        answered = await answer_person(
            services(context).database, identity_of(update).telegram_id, person_id, text
        )
    except UnknownPerson:
        await reply(update, _("This person's data has been erased: the answer was not sent."))
    else:
        await reply(update, _("Sent to {name}.", name=answered.first_name))
    context.user_data.pop(ANSWER_TO, None)  # type: ignore[union-attr]
    return END


# ---------------------------------------------------------------- wiring


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    typed = filters.TEXT & ~filters.COMMAND
    application.add_handler(
        user_conversation(
            name="contact",
            entry_points=[CallbackQueryHandler(start_writing, pattern=TEAM_BUTTON)],
            states={
                WRITING: [
                    MessageHandler(typed, message_written),
                    MessageHandler(~filters.COMMAND, write_with_keyboard),
                ],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, idle)],
            },
            fallbacks=[CommandHandler(["annuler", "cancel"], stop)],
            allow_reentry=True,
            conversation_timeout=60 * 60,
        )
    )
    application.add_handler(
        user_conversation(
            name="team_reply",
            entry_points=[CallbackQueryHandler(start_answer, pattern=TeamReply.pattern())],
            states={
                ANSWERING: [
                    MessageHandler(typed, answer_written),
                    MessageHandler(~filters.COMMAND, write_with_keyboard),
                ],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, idle)],
            },
            fallbacks=[CommandHandler(["annuler", "cancel"], stop)],
            allow_reentry=True,
            conversation_timeout=60 * 60,
            staff=True,
        )
    )
