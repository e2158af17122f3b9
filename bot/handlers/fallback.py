"""The last resort: whatever no feature took still gets an answer and a way on.

Registered last, in the same group as every feature: PTB tries a group's handlers in order
and runs the first that matches, so these only run when nothing else did. In the middle of a
conversation the person's current question is asked again (an unknown command, a voice note,
an old button never end it); otherwise a short answer offers, with buttons, what this person
can do now: their next event, sign up for an open one, their card, writing to the team.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.callbacks import MenuChoice, button
from bot.context import services, translator_for
from bot.dates import format_span
from bot.db.models.people import Role
from bot.engine.conversation import Conversation
from bot.handlers.common import Context, identity_of, reply
from bot.handlers.signup import offer_open_events
from bot.handlers.start import help_text, role_keyboard
from bot.i18n import N_, Translator
from bot.keyboards import column
from bot.services.menu import Situation, situation

NOT_UNDERSTOOD = N_("I did not understand this message.")
UNKNOWN_COMMAND = N_("I do not know this command.")
NO_VOICE = N_("I cannot listen to voice messages. Please write to me.")
OLD_BUTTON = N_("This button is no longer valid.")
NOTHING_TO_CANCEL = N_("There is nothing to cancel.")
WHAT_NOW = N_("What would you like to do?")
PRESS_OR_WRITE = N_("Here is the question again:")


def menu_keyboard(_: Translator, now: Situation) -> InlineKeyboardMarkup:
    """What this person can do now, one button each."""
    buttons = []
    if now.next_event is not None:
        buttons.append(button(_.plain("My next event"), MenuChoice("next")))
    if now.open_events and not now.is_staff:
        buttons.append(button(_.plain("Sign up for an event"), MenuChoice("events")))
    if now.has_card:
        buttons.append(button(_.plain("My portrait card"), MenuChoice("card")))
    if not now.is_staff:
        buttons.append(button(_.plain("Talk to the team"), MenuChoice("team")))
    buttons.append(button(_.plain("What I can do"), MenuChoice("help")))
    return column(buttons)


async def show_menu(update: Update, context: Context, first_line: str) -> None:
    """`first_line`, then what to do now with buttons (the role buttons for someone new)."""
    app = services(context)
    _ = translator_for(update)
    identity = identity_of(update)
    now = await situation(app.database, identity.telegram_id, app.settings.staff_ids)
    if now.role is None and not now.is_staff:
        # Nothing is stored for someone who only said hello (erased people included).
        await reply(
            update,
            _(first_line)
            + "\n"
            + _("Are you looking for a job, or are you an employer? Press a button."),
            reply_markup=role_keyboard(_, identity.telegram_id in app.settings.staff_ids),
        )
        return
    await reply(update, _(first_line) + "\n" + _(WHAT_NOW), reply_markup=menu_keyboard(_, now))


def _conversation_in_progress(application: Any) -> Conversation | None:
    for handlers in application.handlers.values():
        for handler in handlers:
            if (
                isinstance(handler, Conversation)
                and handler.reask is not None
                and handler.current() is not None
            ):
                return handler
    return None


async def _answer(update: Update, context: Context, first_line: str) -> None:
    conversation = _conversation_in_progress(context.application)
    if conversation is not None and conversation.reask is not None:
        _ = translator_for(update)
        await reply(update, _(first_line) + " " + _(PRESS_OR_WRITE))
        await conversation.reask(update, context)
        return
    await show_menu(update, context, first_line)


async def not_understood(update: Update, context: Context) -> None:
    await _answer(update, context, NOT_UNDERSTOOD)


async def unknown_command(update: Update, context: Context) -> None:
    message = update.effective_message
    text = (message.text or "") if message else ""
    if text.split("@")[0].split()[0].lower() in ("/annuler", "/cancel"):
        await _answer(update, context, NOTHING_TO_CANCEL)
        return
    await _answer(update, context, UNKNOWN_COMMAND)


async def voice(update: Update, context: Context) -> None:
    await _answer(update, context, NO_VOICE)


async def any_button(update: Update, context: Context) -> None:
    """A button no feature knows (forged, or from a version long gone): always answered."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    await query.answer(_.plain(OLD_BUTTON), show_alert=True)
    await _answer(update, context, OLD_BUTTON)


async def menu_choice(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    data = MenuChoice.parse(query.data)
    await query.answer()
    app = services(context)
    identity = identity_of(update)
    now = await situation(app.database, identity.telegram_id, app.settings.staff_ids)
    if data is None:
        await show_menu(update, context, OLD_BUTTON)
    elif data.action == "next" and now.next_event is not None:
        await reply(update, next_event_text(_, now), reply_markup=menu_keyboard(_, now))
    elif data.action == "events" and now.role in (Role.CANDIDATE, Role.EMPLOYER):
        await offer_open_events(update, context, now.role)
    elif data.action == "card" and now.has_card:
        await reply(update, _("To see and change your portrait card, type /profil."))
    else:
        await reply(update, help_text(_, now.role))


def next_event_text(_: Translator, now: Situation) -> str:
    upcoming = now.next_event
    assert upcoming is not None
    when = format_span(upcoming.starts_at, upcoming.ends_at, upcoming.timezone, _.language)
    lines = [_("<b>{event}</b>", event=upcoming.name), _("When: {when}", when=when)]
    if upcoming.remote:
        lines.append(_("Where: by video (the link is in your invitation)."))
    elif upcoming.place:
        place = f"{upcoming.place}, {upcoming.address}" if upcoming.address else upcoming.place
        lines.append(_("Where: {place}", place=place))
    status = {
        "confirmed": _("You confirmed you will come."),
        "waiting": _("You are on the waiting list."),
    }.get(upcoming.status, _("You are signed up."))
    lines.append(status)
    return "\n".join(lines)


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED
    application.add_handler(CallbackQueryHandler(menu_choice, pattern=MenuChoice.pattern()))
    application.add_handler(
        MessageHandler(private & (filters.VOICE | filters.AUDIO | filters.VIDEO_NOTE), voice)
    )
    application.add_handler(MessageHandler(private & filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(private, not_understood))
    application.add_handler(CallbackQueryHandler(any_button))
