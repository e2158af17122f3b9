"""The creation conversation around its steps: the first question, the summary, "Create",
"Correct", stopping, the timeout and buttons of a finished draft.
"""

from __future__ import annotations

import secrets

from telegram import Update
from telegram.ext import ConversationHandler

from bot import clock
from bot.context import services, translator_for
from bot.handlers.common import Context, reply, staff_only
from bot.handlers.event_common import (
    CREATED_KEY,
    DRAFT_KEY,
    NEW,
    PROBLEMS,
    describe,
)
from bot.handlers.event_creation_prompts import (
    DEADLINE,
    DURATION,
    FIX,
    FORMAT,
    MAX_CANDIDATES,
    NAME,
    PROMPTS,
    QUESTION_MORE,
    SITE_KIND,
    STARTS_AT,
    STEP_COUNT,
    SUMMARY,
    TIMEZONE,
    acknowledge,
    ask,
    draft_of,
)
from bot.handlers.event_links import send_invitations
from bot.i18n import N_
from bot.keyboards import button, rows, unpack
from bot.services.events import ChangeRefused, EventDraft, Problem, create_event, draft_problems


async def advance(update: Update, context: Context, next_state: str) -> str:
    """The next section, or back to the summary when a section was being corrected."""
    if draft_of(context).get("fixing"):
        return await show_summary(update, context)
    return await ask(update, context, next_state)


# --------------------------------------------------------------------------- creation: entry


@staff_only
async def new_event(update: Update, context: Context) -> str:
    """`/evenement` or the "Create an event" button: a fresh draft, first question."""
    if update.callback_query is not None:
        await update.callback_query.answer()
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = {"id": secrets.token_hex(4), "sites": [], "questions": []}
    _ = translator_for(update)
    await reply(
        update,
        _("Let's create an event. {count} short steps. Type /annuler to stop.", count=STEP_COUNT),
    )
    return await ask(update, context, NAME)


async def press_a_button(update: Update, context: Context) -> str | None:
    """Typed text where only buttons fit: show the question again."""
    _ = translator_for(update)
    step = draft_of(context).get("step")
    if step == SUMMARY or step not in PROMPTS:
        return await show_summary(update, context, _("Please press a button below."))
    return await ask(update, context, str(step), _("Please press a button below."))


# --------------------------------------------------------------------------- summary and fixes


FIX_SECTIONS: dict[str, tuple[str, str]] = {
    "name": (N_("Name"), NAME),
    "date": (N_("Date and time"), STARTS_AT),
    "duration": (N_("Duration"), DURATION),
    "zone": (N_("Time zone"), TIMEZONE),
    "sites": (N_("Sites"), SITE_KIND),
    "format": (N_("Room format and rounds"), FORMAT),
    "capacity": (N_("Capacities"), MAX_CANDIDATES),
    "deadline": (N_("Sign-up deadline"), DEADLINE),
    "questions": (N_("Questions"), QUESTION_MORE),
}


async def show_summary(update: Update, context: Context, error: str | None = None) -> str:
    _ = translator_for(update)
    draft = draft_of(context)
    draft["step"] = SUMMARY
    draft.pop("fixing", None)
    try:
        event = EventDraft.from_dict(draft)
    except ChangeRefused:
        await reply(update, _(PROBLEMS[Problem.MISSING]))
        context.user_data.pop(DRAFT_KEY, None)  # type: ignore[union-attr]
        return ConversationHandler.END  # type: ignore[return-value]
    problems = draft_problems(event, clock.now())
    text = _("Here is your event. Is everything right?") + "\n\n" + describe(_, event)
    if problems:
        text += "\n\n" + "\n".join("⚠️ " + _(PROBLEMS[problem]) for problem in problems)
        text += "\n" + _("Please press Correct.")
    if error:
        text = f"⚠️ {error}\n\n{text}"
    choices = [
        button(_.plain("Create"), NEW, "create", draft.get("id", "")),
        button(_.plain("Correct"), NEW, "fix"),
        button(_.plain("Cancel"), NEW, "cancel"),
    ]
    await reply(update, text, reply_markup=rows(choices, 3))
    return SUMMARY


@staff_only
async def on_create(update: Update, context: Context) -> str:
    """ "Create": store the event, send the two links and QR codes; the draft is gone after."""
    query = update.callback_query
    assert query is not None and context.user_data is not None
    _ = translator_for(update)
    app = services(context)
    draft = draft_of(context)
    try:
        event_draft = EventDraft.from_dict(draft)
        event = await create_event(app.database, event_draft, query.from_user.id)
    except ChangeRefused as refusal:
        await query.answer(_(PROBLEMS[refusal.problem], **refusal.values), show_alert=True)
        return SUMMARY
    await query.answer(_.plain("Created!"))
    context.user_data.pop(DRAFT_KEY, None)
    context.user_data[CREATED_KEY] = {"draft": draft.get("id"), "event": event.id}
    await query.edit_message_reply_markup(reply_markup=None)
    await reply(update, _("✅ The event “{name}” is created.", name=event.name))
    await send_invitations(update, context, event)
    return ConversationHandler.END  # type: ignore[return-value]


@staff_only
async def on_fix(update: Update, context: Context) -> str:
    await acknowledge(update)
    _ = translator_for(update)
    choices = [
        button(_.plain(label), NEW, "fixit", key) for key, (label, _s) in FIX_SECTIONS.items()
    ]
    choices.append(button(_.plain("Back to the summary"), NEW, "fixit", "back"))
    draft_of(context)["step"] = FIX
    await reply(update, _("What do you want to correct?"), reply_markup=rows(choices))
    return FIX


@staff_only
async def on_fix_section(update: Update, context: Context) -> str:
    parts = await acknowledge(update)
    key = parts[2] if len(parts) > 2 else ""
    if key not in FIX_SECTIONS:
        return await show_summary(update, context)
    draft = draft_of(context)
    draft["fixing"] = True
    if key == "sites":
        draft["sites"] = []
    if key == "questions":
        draft["questions"] = []
        draft.pop("fixing")  # the question loop ends on the summary by itself
    return await ask(update, context, FIX_SECTIONS[key][1])


@staff_only
async def on_abandon(update: Update, context: Context) -> int:
    """ "Cancel" on the summary, or /annuler at any step: nothing is created."""
    if update.callback_query is not None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_reply_markup(reply_markup=None)
    assert context.user_data is not None
    context.user_data.pop(DRAFT_KEY, None)
    _ = translator_for(update)
    await reply(update, _("Event creation stopped. Nothing was created."))
    return ConversationHandler.END


async def on_timeout(update: object, context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)
    if isinstance(update, Update) and update.effective_chat is not None:
        _ = translator_for(update)
        minutes = services(context).settings.conversation_timeout_minutes
        await context.bot.send_message(
            update.effective_chat.id,
            _(
                "No answer for {minutes} minutes: event creation stopped. "
                "Type /evenement to start again.",
                minutes=minutes,
            ),
        )


@staff_only
async def old_creation_button(update: Update, context: Context) -> None:
    """A creation button from an earlier step or a finished draft: say so, change nothing."""
    query = update.callback_query
    assert query is not None and context.user_data is not None
    _ = translator_for(update)
    parts = unpack(query.data)
    created = context.user_data.get(CREATED_KEY) or {}
    if parts[1:2] == ["create"] and parts[2:3] == [created.get("draft")]:
        await query.answer(_.plain("This event is already created."), show_alert=True)
        return
    await query.answer(_.plain("This button is no longer valid."), show_alert=True)
