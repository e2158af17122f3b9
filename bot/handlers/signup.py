"""The sign-up conversation: entry points, consent, shared steps, summary and confirmation.

One persistent `ConversationHandler` ("signup") runs candidates' and employers' sign-ups,
staff registering someone (`/inscrire`) and the changes made from `/profil`. The steps of
each role live in `signup_candidate` and `signup_employer`, which add themselves to `STEPS`
and `FLOWS` when imported; this module wires the conversation and re-exports what those
role modules use.

Nothing reaches the database before the final "C'est bon". The parts live in:

- `signup_flow`: names, states, the draft, registries, walking a flow, guards, builders;
- `signup_entry`: invitation links and open events after `/start`;
- `signup_staff`: `/inscrire` on someone's behalf and their personal claim link;
- `signup_consent`: the consent screen;
- `signup_shared_steps`: first name, sectors and wishes;
- `signup_summary`: the summary, confirming and saving;
- `signup_profile_edit`: changes from `/profil`;
- `signup_exits`: /annuler, timeout, `/start` midway, stale buttons.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    TypeHandler,
    filters,
)

from bot.context import services
from bot.db.models.people import Role
from bot.handlers import (
    profile,
    signup_shared_steps,  # noqa: F401  (it adds the shared steps)
)
from bot.handlers.common import user_conversation
from bot.handlers.signup_consent import consent_given
from bot.handlers.signup_entry import offer_open_events, start_from_button, start_from_link
from bot.handlers.signup_exits import cancel, resume, stale_button, timed_out
from bot.handlers.signup_flow import (
    CONSENT,
    CONVERSATION_NAME,
    END,
    ENTRY_PREFIX,
    FLOWS,
    ITEM_LIMIT,
    LONG_LIMIT,
    NAME,
    PREFIX,
    SECTORS,
    SHORT_LIMIT,
    STAFF_EVENT,
    STAFF_ROLE,
    STEPS,
    SUMMARIES,
    SUMMARY,
    WISHES,
    Draft,
    Step,
    add_step,
    advance,
    button_step,
    checked,
    choice,
    close_choice,
    draft_of,
    drop_draft,
    lost,
    own_buttons,
    pressed,
    pressed_valid,
    reask,
    refuse_button,
    text_step,
    typed,
    typed_answer,
    typed_field,
)
from bot.handlers.signup_profile_edit import edit_from_profile
from bot.handlers.signup_staff import claim_link, staff_event_chosen, staff_role_chosen, staff_start
from bot.handlers.signup_summary import save, summary_pressed

# What `signup_candidate`, `signup_employer` and `start` import from here.
__all__ = [
    "END",
    "FLOWS",
    "ITEM_LIMIT",
    "LONG_LIMIT",
    "NAME",
    "SECTORS",
    "SHORT_LIMIT",
    "SUMMARIES",
    "WISHES",
    "Draft",
    "Step",
    "add_step",
    "advance",
    "button_step",
    "checked",
    "choice",
    "close_choice",
    "draft_of",
    "drop_draft",
    "lost",
    "offer_open_events",
    "own_buttons",
    "pressed",
    "pressed_valid",
    "reask",
    "refuse_button",
    "register",
    "save",
    "text_step",
    "typed",
    "typed_answer",
    "typed_field",
]

# ---------------------------------------------------------------- wiring

LINK_FILTER = filters.Regex(r"^/start(@\w+)?\s+[ce]_[\w-]+\s*$")
CLAIM_FILTER = filters.Regex(r"^/start(@\w+)?\s+p_[\w-]+\s*$")


def build_conversation(timeout_minutes: float) -> ConversationHandler[Any]:
    states: dict[object, list[BaseHandler[Any, Any, Any]]] = {
        name: list(step.handlers) for name, step in STEPS.items()
    }
    states[CONSENT] = button_step(CONSENT, consent_given)
    states[SUMMARY] = button_step(SUMMARY, summary_pressed)
    states[STAFF_EVENT] = button_step(STAFF_EVENT, staff_event_chosen)
    states[STAFF_ROLE] = button_step(STAFF_ROLE, staff_role_chosen)
    states[ConversationHandler.TIMEOUT] = [TypeHandler(Update, timed_out)]
    return user_conversation(
        entry_points=[
            CommandHandler("start", start_from_link, filters=LINK_FILTER),
            CallbackQueryHandler(start_from_button, pattern=rf"^{ENTRY_PREFIX}:"),
            CallbackQueryHandler(edit_from_profile, pattern=rf"^{profile.EDIT_PREFIX}:"),
            CommandHandler("inscrire", staff_start),
        ],
        states=states,
        fallbacks=[
            CommandHandler(["annuler", "cancel"], cancel),
            CommandHandler("start", resume, filters=~LINK_FILTER),
            CallbackQueryHandler(stale_button, pattern=rf"^{PREFIX}:"),
        ],
        name=CONVERSATION_NAME,
        allow_reentry=True,
        conversation_timeout=timedelta(minutes=timeout_minutes),
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    missing = [role for role in (Role.CANDIDATE, Role.EMPLOYER) if role not in FLOWS]
    if missing:
        raise RuntimeError(f"sign-up flows not loaded: {missing}")
    settings = services(application).settings
    application.add_handler(CommandHandler("start", claim_link, filters=CLAIM_FILTER))
    application.add_handler(build_conversation(settings.conversation_timeout_minutes))
    application.add_handler(CallbackQueryHandler(stale_button, pattern=rf"^{PREFIX}:"))
