"""The sign-up conversation's plumbing: names, states, the draft, the step registries, walking
a role's flow, and the guards and handler builders every step uses.

The draft lives in `context.user_data["signup"]` (JSON-friendly, persisted with the
conversation state). Every button carries the draft's nonce and its step, so a button from an
older message, another step or a forged one changes nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, Update
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.context import translator_for
from bot.handlers.common import Context, reply
from bot.i18n import Translator
from bot.keyboards import button, unpack

CONVERSATION_NAME = "signup"
DRAFT_KEY = "signup"
PREFIX = "su"  # buttons inside the conversation: su:<nonce>:<step>:<value>
ENTRY_PREFIX = "signup"  # buttons that start a sign-up: signup:<event id>
END = ConversationHandler.END

# Conversation states: one per question. The role modules define their own the same way.
CONSENT = "consent"
NAME = "name"
SECTORS = "sec"
WISHES = "wish"
SUMMARY = "sum"
STAFF_EVENT = "sev"
STAFF_ROLE = "srole"

# Draft modes.
SIGNUP = "signup"
STAFF = "staff"
PROFILE = "profile"

NAME_LIMIT = 60
SHORT_LIMIT = 200
LONG_LIMIT = 500
ITEM_LIMIT = 60

Draft = dict[str, Any]
Asker = Callable[[Update, Context, Draft], Awaitable[bool]]
Summariser = Callable[[Translator, Draft], list[str]]


@dataclass(frozen=True)
class Step:
    """One question: how to ask it (False = nothing to ask, skip) and what it accepts."""

    name: str
    ask: Asker
    handlers: list[BaseHandler[Any, Any, Any]]
    label: str  # msgid of the field, on the summary's "change" buttons
    editable: bool = True


STEPS: dict[str, Step] = {}
FLOWS: dict[str, tuple[str, ...]] = {}
SUMMARIES: dict[str, Summariser] = {}


def add_step(step: Step) -> None:
    STEPS[step.name] = step


# ---------------------------------------------------------------- draft and navigation
#
# The summary, the consent screen and saving a /profil change live in modules that build on
# this one, so the three functions that reach them import them when they run.


def draft_of(context: Context) -> Draft | None:
    data = context.user_data
    return data.get(DRAFT_KEY) if data is not None else None


def new_draft(context: Context, *, role: str, mode: str, event_id: int | None) -> Draft:
    draft: Draft = {
        "nonce": secrets.token_hex(2),
        "role": role,
        "mode": mode,
        "event_id": event_id,
        "answers": {},
        "step": CONSENT,
        "editing": False,
        "recorded_by": None,
        "consent_at": None,
    }
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = draft
    return draft


def drop_draft(context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)


def data(draft: Draft, step: str, *parts: object) -> str:
    """Callback data of a button of `step` in this draft."""
    return ":".join([PREFIX, draft["nonce"], step, *(str(part) for part in parts)])


def choice(label: str, draft: Draft, step: str, *parts: object) -> InlineKeyboardButton:
    return button(label, PREFIX, draft["nonce"], step, *parts)


def checked(label: str, chosen: bool) -> str:
    return f"✅ {label}" if chosen else label


async def ask(update: Update, context: Context, draft: Draft, name: str) -> bool:
    """Ask one step's question and remember it as the current step."""
    asked = await STEPS[name].ask(update, context, draft)
    if asked:
        draft["step"] = name
        if name not in draft.setdefault("asked", []):
            draft["asked"].append(name)
    return asked


async def go_to(update: Update, context: Context, draft: Draft, name: str) -> str:
    """Ask `name`, or the first step after it that has something to ask."""
    from bot.handlers.signup_summary import show_summary  # builds on this module

    flow = FLOWS[draft["role"]]
    for following in flow[flow.index(name) :]:
        if await ask(update, context, draft, following):
            return following
    return await show_summary(update, context, draft)


async def advance(update: Update, context: Context, draft: Draft, done: str) -> str | int:
    """After a valid answer: the next question, the summary, or (from /profil) saving."""
    from bot.handlers.signup_profile_edit import save_profile_change  # builds on this module
    from bot.handlers.signup_summary import show_summary

    if draft["mode"] == PROFILE:
        return await save_profile_change(update, context, draft)
    if draft.get("editing"):
        return await show_summary(update, context, draft)
    flow = FLOWS[draft["role"]]
    position = flow.index(done) + 1
    if position < len(flow):
        return await go_to(update, context, draft, flow[position])
    return await show_summary(update, context, draft)


async def reask(update: Update, context: Context, draft: Draft) -> None:
    from bot.handlers.signup_consent import ask_consent  # these build on this module
    from bot.handlers.signup_summary import show_summary

    step = draft.get("step")
    if step == SUMMARY:
        await show_summary(update, context, draft)
    elif step == CONSENT:
        await ask_consent(update, context, draft)
    elif step in STEPS:
        await STEPS[step].ask(update, context, draft)


async def pressed(update: Update, context: Context, step: str) -> tuple[Draft, list[str]] | None:
    """The draft and the button's values, or None after telling why the button is refused.

    The caller answers the query itself when this returns values.
    """
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    draft = draft_of(context)
    parts = unpack(query.data)
    if draft is None:
        await query.answer(_("This sign-up is no longer in progress."), show_alert=True)
        return None
    if len(parts) < 3 or parts[1] != draft["nonce"] or parts[2] != step:
        await query.answer(
            _("This button belongs to an older question. Please use the latest message."),
            show_alert=True,
        )
        return None
    return draft, parts[3:]


async def pressed_valid(
    update: Update, context: Context, step: str, valid: Callable[[list[str]], bool]
) -> tuple[Draft, list[str]] | None:
    """`pressed`, then the query answered when `valid(values)`, refused with an alert if not."""
    got = await pressed(update, context, step)
    if got is None:
        return None
    if not valid(got[1]):
        await refuse_button(update, context)
        return None
    assert update.callback_query is not None
    await update.callback_query.answer()
    return got


async def refuse_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    await query.answer(_("This button is not valid."), show_alert=True)


async def close_choice(update: Update, chosen: str | None = None) -> None:
    """Remove the buttons of the answered question and show what was chosen (escaped)."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    message = query.message
    text = getattr(message, "text_html", None)
    try:
        if chosen and text:
            _ = translator_for(update)
            await query.edit_message_text(
                text + "\n\n" + _("✔ {choice}", choice=chosen), reply_markup=None
            )
        else:
            await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError:  # the message may be too old to edit; the answer is kept anyway
        return


def clean(text: str | None) -> str:
    return " ".join((text or "").split())


async def typed(update: Update, context: Context, draft: Draft, limit: int) -> str | None:
    """The typed answer, or None after saying what is expected and asking again."""
    _ = translator_for(update)
    message = update.effective_message
    text = clean(message.text if message else None)
    if not text:
        await reply(update, _("Your answer is empty. Please write a few words."))
    elif len(text) > limit:
        await reply(
            update,
            _(
                "This is too long: {limit} characters at most (you wrote {count}).",
                limit=limit,
                count=len(text),
            ),
        )
    else:
        return text
    await reask(update, context, draft)
    return None


Handler = Callable[[Update, Context], Awaitable[str | int | None]]
Answered = Callable[[Update, Context, Draft, str], Awaitable[str | int | None]]


def typed_answer(limit: int, then: Answered) -> Handler:
    """A typed answer of at most `limit` characters (see `typed`), handed on with the draft."""

    async def on_typed(update: Update, context: Context) -> str | int | None:
        draft = draft_of(context)
        if draft is None:
            return await lost(update, context)
        text = await typed(update, context, draft, limit)
        if text is None:
            return None
        return await then(update, context, draft, text)

    return on_typed


def typed_field(step: str, key: str, limit: int) -> Handler:
    """A typed answer kept as `answers[key]`, then the question after `step`."""

    async def keep(update: Update, context: Context, draft: Draft, text: str) -> str | int:
        draft["answers"][key] = text
        return await advance(update, context, draft, step)

    return typed_answer(limit, keep)


def expects_text(step: str) -> Callable[[Update, Context], Awaitable[None]]:
    """For a photo, sticker or file where words are expected."""

    async def handler(update: Update, context: Context) -> None:
        _ = translator_for(update)
        draft = draft_of(context)
        await reply(update, _("Please answer with a text message."))
        if draft is not None:
            await reask(update, context, draft)

    handler.__name__ = f"expects_text_{step}"
    return handler


def expects_button(step: str) -> Callable[[Update, Context], Awaitable[None]]:
    """For anything typed or sent where a button must be pressed."""

    async def handler(update: Update, context: Context) -> None:
        _ = translator_for(update)
        draft = draft_of(context)
        await reply(update, _("Please press one of the buttons."))
        if draft is not None:
            await reask(update, context, draft)

    handler.__name__ = f"expects_button_{step}"
    return handler


def text_step(
    step: str, on_text: Callable[[Update, Context], Awaitable[Any]]
) -> list[BaseHandler[Any, Any, Any]]:
    """Handlers of a question answered by typing (its own buttons are added by the caller)."""
    return [
        MessageHandler(filters.TEXT & ~filters.COMMAND, on_text),
        MessageHandler(~filters.COMMAND, expects_text(step)),
    ]


def button_step(
    step: str, on_press: Callable[[Update, Context], Awaitable[Any]]
) -> list[BaseHandler[Any, Any, Any]]:
    return [
        CallbackQueryHandler(on_press, pattern=rf"^{PREFIX}:\w+:{step}(:|$)"),
        MessageHandler(~filters.COMMAND, expects_button(step)),
    ]


def own_buttons(
    step: str, on_press: Callable[[Update, Context], Awaitable[Any]]
) -> CallbackQueryHandler[Any, Any]:
    return CallbackQueryHandler(on_press, pattern=rf"^{PREFIX}:\w+:{step}(:|$)")


async def lost(update: Update, context: Context) -> int:
    """The draft vanished (erased data, restart after a crash): end without guessing."""
    _ = translator_for(update)
    if update.callback_query is not None:
        await update.callback_query.answer()
    await reply(update, _("This sign-up is no longer in progress. Type /start to begin again."))
    return END
