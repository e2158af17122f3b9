"""Staff create events step by step (`/evenement`) and manage them (`/evenements`).

Creation is a persistent conversation: the draft lives in `user_data["event_draft"]` as
JSON, so a restart resumes at the same step. Each step validates its answer and re-asks
in French; "Corriger" on the summary re-runs one section and comes back to the summary.

This module wires the handlers; they live in:

- `event_common`: keys, prefixes, limits, formats, problem texts, parsing, `describe`;
- `event_creation_prompts`: creation states and their questions;
- `event_creation_basics`, `event_creation_format`: the creation steps;
- `event_creation_summary`: first question, summary, create, correct, stop, timeout;
- `event_links`: invitation links and QR codes;
- `event_management`: the list, details and cancelling;
- `event_editing`: changing one field.
"""

from __future__ import annotations

from datetime import timedelta
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

from bot.context import services
from bot.handlers.common import user_conversation
from bot.handlers.event_common import CREATION, EDITING, MANAGE, NEW, TEXT, not_text
from bot.handlers.event_creation_basics import (
    on_duration,
    on_duration_button,
    on_name,
    on_site_address,
    on_site_kind,
    on_site_more,
    on_site_name,
    on_site_rooms,
    on_site_rooms_button,
    on_site_video,
    on_starts_at,
    on_timezone_button,
    on_timezone_text,
)
from bot.handlers.event_creation_format import (
    on_candidates_per_room,
    on_candidates_per_room_button,
    on_deadline,
    on_deadline_button,
    on_employers_per_room,
    on_employers_per_room_button,
    on_format_button,
    on_format_text,
    on_max_candidates,
    on_max_candidates_button,
    on_max_employers,
    on_max_employers_button,
    on_question_answer_button,
    on_question_answer_text,
    on_question_more,
    on_question_text,
    on_round_minutes,
    on_round_minutes_button,
    on_rounds,
    on_rounds_button,
)
from bot.handlers.event_creation_prompts import (
    CANDIDATES_PER_ROOM,
    DEADLINE,
    DURATION,
    EMPLOYERS_PER_ROOM,
    FIX,
    FORMAT,
    MAX_CANDIDATES,
    MAX_EMPLOYERS,
    NAME,
    QUESTION_ANSWER,
    QUESTION_MORE,
    QUESTION_TEXT,
    ROUND_MINUTES,
    ROUNDS,
    SITE_ADDRESS,
    SITE_KIND,
    SITE_MORE,
    SITE_NAME,
    SITE_ROOMS,
    SITE_VIDEO,
    STARTS_AT,
    SUMMARY,
    TIMEZONE,
    TIMEZONE_OTHER,
)
from bot.handlers.event_creation_summary import (
    new_event,
    old_creation_button,
    on_abandon,
    on_create,
    on_fix,
    on_fix_section,
    on_timeout,
    press_a_button,
)
from bot.handlers.event_editing import (
    EDIT_VALUE,
    on_edit_abandon,
    on_edit_field,
    on_edit_menu,
    on_edit_value,
)
from bot.handlers.event_management import (
    list_command,
    on_cancel_confirmed,
    on_cancel_event,
    on_links,
    on_show,
)


def _pressed(prefix: str, handler: Any) -> CallbackQueryHandler[Any, Any]:
    return CallbackQueryHandler(handler, pattern=rf"^{NEW}:{prefix}(:|$)")


def creation_conversation(timeout_minutes: int) -> ConversationHandler[Any]:
    typed_or_buttons = MessageHandler(TEXT, press_a_button)
    states: dict[object, list[Any]] = {
        NAME: [MessageHandler(TEXT, on_name)],
        STARTS_AT: [MessageHandler(TEXT, on_starts_at)],
        DURATION: [MessageHandler(TEXT, on_duration), _pressed("dur", on_duration_button)],
        TIMEZONE: [MessageHandler(TEXT, on_timezone_text), _pressed("tz", on_timezone_button)],
        TIMEZONE_OTHER: [MessageHandler(TEXT, on_timezone_text)],
        SITE_KIND: [typed_or_buttons, _pressed("site", on_site_kind)],
        SITE_NAME: [MessageHandler(TEXT, on_site_name)],
        SITE_ADDRESS: [MessageHandler(TEXT, on_site_address)],
        SITE_VIDEO: [MessageHandler(TEXT, on_site_video)],
        SITE_ROOMS: [MessageHandler(TEXT, on_site_rooms), _pressed("rooms", on_site_rooms_button)],
        SITE_MORE: [typed_or_buttons, _pressed("more", on_site_more)],
        FORMAT: [MessageHandler(TEXT, on_format_text), _pressed("fmt", on_format_button)],
        EMPLOYERS_PER_ROOM: [
            MessageHandler(TEXT, on_employers_per_room),
            _pressed("epr", on_employers_per_room_button),
        ],
        CANDIDATES_PER_ROOM: [
            MessageHandler(TEXT, on_candidates_per_room),
            _pressed("cpr", on_candidates_per_room_button),
        ],
        ROUNDS: [MessageHandler(TEXT, on_rounds), _pressed("rounds", on_rounds_button)],
        ROUND_MINUTES: [
            MessageHandler(TEXT, on_round_minutes),
            _pressed("rmin", on_round_minutes_button),
        ],
        MAX_CANDIDATES: [
            MessageHandler(TEXT, on_max_candidates),
            _pressed("maxc", on_max_candidates_button),
        ],
        MAX_EMPLOYERS: [
            MessageHandler(TEXT, on_max_employers),
            _pressed("maxe", on_max_employers_button),
        ],
        DEADLINE: [MessageHandler(TEXT, on_deadline), _pressed("dl", on_deadline_button)],
        QUESTION_MORE: [typed_or_buttons, _pressed("q", on_question_more)],
        QUESTION_TEXT: [MessageHandler(TEXT, on_question_text)],
        QUESTION_ANSWER: [
            MessageHandler(TEXT, on_question_answer_text),
            _pressed("qa", on_question_answer_button),
        ],
        SUMMARY: [
            typed_or_buttons,
            _pressed("create", on_create),
            _pressed("fix", on_fix),
            _pressed("cancel", on_abandon),
        ],
        FIX: [typed_or_buttons, _pressed("fixit", on_fix_section)],
        ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
    }
    return user_conversation(
        entry_points=[
            CommandHandler("evenement", new_event),
            CallbackQueryHandler(new_event, pattern=rf"^{MANAGE}:new$"),
        ],
        states=states,
        fallbacks=[
            CommandHandler("annuler", on_abandon),
            CallbackQueryHandler(old_creation_button, pattern=rf"^{NEW}:"),
            MessageHandler(~filters.TEXT & ~filters.COMMAND, not_text),
        ],
        name=CREATION,
        allow_reentry=True,
        conversation_timeout=timedelta(minutes=timeout_minutes),
    )


def edit_conversation(timeout_minutes: int) -> ConversationHandler[Any]:
    return user_conversation(
        entry_points=[CallbackQueryHandler(on_edit_field, pattern=rf"^{MANAGE}:field:")],
        states={EDIT_VALUE: [MessageHandler(TEXT, on_edit_value)]},
        fallbacks=[
            CommandHandler("annuler", on_edit_abandon),
            MessageHandler(~filters.TEXT & ~filters.COMMAND, not_text),
        ],
        name=EDITING,
        allow_reentry=True,
        conversation_timeout=timedelta(minutes=timeout_minutes),
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    timeout = services(application).settings.conversation_timeout_minutes
    application.add_handler(creation_conversation(timeout))
    application.add_handler(edit_conversation(timeout))
    application.add_handler(CommandHandler("evenements", list_command))
    application.add_handler(CallbackQueryHandler(old_creation_button, pattern=rf"^{NEW}:"))
    application.add_handler(CallbackQueryHandler(on_show, pattern=rf"^{MANAGE}:show:"))
    application.add_handler(CallbackQueryHandler(on_links, pattern=rf"^{MANAGE}:links:"))
    application.add_handler(CallbackQueryHandler(on_edit_menu, pattern=rf"^{MANAGE}:edit:"))
    application.add_handler(CallbackQueryHandler(on_cancel_event, pattern=rf"^{MANAGE}:cancel:"))
    application.add_handler(
        CallbackQueryHandler(on_cancel_confirmed, pattern=rf"^{MANAGE}:cancelok:")
    )
