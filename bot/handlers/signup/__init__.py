"""The sign-up conversation ("signup"): candidates' and employers' sign-ups, staff registering
someone (`/inscrire`), and changes from `/profil`.

Each flow reads top to bottom in its module — `candidate.FLOW`, `employer.FLOW`, the staff
steps in `staff`, the shared ones (consent, name, sectors, wishes, summary) in `shared` —
and `FORM` (`bot.engine.steps.Form`) turns them into the conversation's states. The draft is
typed (`draft.SignUpDraft`) and nothing reaches the database before the final "C'est bon".
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    TypeHandler,
    filters,
)

from bot.callbacks import (
    CarryOn,
    ProfileEdit,
    SignUpAnswer,
    SignUpAnswerPair,
    SignUpOpen,
    button,
)
from bot.context import services, translator_for
from bot.db.models.people import Role
from bot.engine.conversation import END, Conversation
from bot.engine.steps import Form, Wire, close_choice
from bot.handlers.common import Context, identity_of, reply, user_conversation
from bot.handlers.signup import candidate, employer, profile, staff
from bot.handlers.signup.draft import (
    CONSENT,
    CONVERSATION_NAME,
    DRAFTS,
    SUMMARY,
    Mode,
    SignUpDraft,
)
from bot.handlers.signup.shared import CONSENT_STEP, lost
from bot.keyboards import column
from bot.services.signup import event_view, find_invitation, open_events, registration_status

FORM = Form[SignUpDraft](
    drafts=DRAFTS,
    wire=Wire(SignUpAnswer, SignUpAnswerPair),
    flows=(candidate.FLOW, employer.FLOW),
    pick=lambda draft: draft.role.value,
    steps=(staff.EVENT_STEP, staff.ROLE_STEP, CONSENT_STEP),
    guard=staff.staff_guard,
    after_answer=profile.save_change,
    lost=lost,
    summary_state=SUMMARY,
)

LINK_FILTER = filters.Regex(r"^/start(@\w+)?\s+[ce]_[\w-]+\s*$")
CLAIM_FILTER = filters.Regex(r"^/start(@\w+)?\s+p_[\w-]+\s*$")


# ---------------------------------------------------------------- how a sign-up starts


async def start_from_link(update: Update, context: Context) -> object:
    """`/start c_XXXX` or `/start e_XXXX`: the invitation link of an event."""
    app = services(context)
    _ = translator_for(update)
    code = context.args[0] if context.args else ""
    invitation = await find_invitation(app.database, code)
    if invitation is None:
        await reply(
            update,
            _("This invitation link is not valid.")
            + "\n"
            + _("Please check it with your adviser, or type /start to see the open events."),
        )
        return END
    if not invitation.is_open:
        await reply(update, _("Sign-ups for this event are closed. Thank you for your interest."))
        return END
    return await begin(update, context, invitation.event_id, Role(invitation.role))


async def start_from_button(update: Update, context: Context) -> object:
    """An open event chosen from the list shown after `/start`."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    data = SignUpOpen.parse(query.data)
    if data is None:
        await query.answer(_("This button is not valid."), show_alert=True)
        return await _carry_on_if_any(update, context)
    view = await event_view(services(context).database, data.event_id)
    if view is None or not view.is_open:
        await query.answer(_("Sign-ups for this event are closed."), show_alert=True)
        return await _carry_on_if_any(update, context)
    await query.answer()
    await close_choice(update, _, view.name)
    return await begin(update, context, view.id, Role(data.role))


async def begin(update: Update, context: Context, event_id: int, role: Role) -> object:
    app = services(context)
    _ = translator_for(update)
    view = await event_view(app.database, event_id)
    assert view is not None
    status = await registration_status(app.database, identity_of(update).telegram_id, event_id)
    if status is not None:
        await reply(
            update,
            _("You are already signed up for “{event}”.", event=view.name)
            + "\n"
            + _("Type /profil to see or change your portrait card."),
        )
        return await _carry_on_if_any(update, context)
    draft = SignUpDraft(role=role, mode=Mode.SIGNUP, event_id=event_id, event_name=view.name)
    return await FORM.begin(update, context, draft, CONSENT)


async def _carry_on_if_any(update: Update, context: Context) -> object:
    """A button or link that leads nowhere never ends a sign-up in progress: its current
    question is asked again."""
    if DRAFTS.load(context) is None:
        return END
    await FORM.reask(update, context)
    return None


async def offer_open_events(update: Update, context: Context, role: str) -> None:
    """After someone picks a role in `/start`: the open events, one button each."""
    _ = translator_for(update)
    events = await open_events(services(context).database)
    if not events:
        await reply(
            update,
            _("There is no open event right now.")
            + "\n"
            + _("Your adviser will send you an invitation link."),
        )
        return
    kind: Literal["candidate", "employer"] = "employer" if role == Role.EMPLOYER else "candidate"
    keyboard = column([button(view.name[:40], SignUpOpen(view.id, kind)) for view in events[:10]])
    await reply(update, _("Which event do you want to sign up for?"), reply_markup=keyboard)


# ---------------------------------------------------------------- leaving or interrupting


async def cancel(update: Update, context: Context) -> int:
    _ = translator_for(update)
    draft = DRAFTS.load(context)
    DRAFTS.drop(context)
    if draft is not None and draft.mode is Mode.PROFILE:
        await reply(update, _("Cancelled. Your portrait card has not changed."))
    else:
        await reply(
            update,
            _("Cancelled. Nothing has been stored.")
            + "\n"
            + _("You can start again at any time with your invitation link or /start."),
        )
    return END


async def timed_out(update: Update, context: Context) -> None:
    """Run by the engine once the conversation has been idle too long."""
    _ = translator_for(update)
    DRAFTS.drop(context)
    chat = update.effective_chat
    if chat is None:
        return
    await context.bot.send_message(
        chat.id,
        _("You have not answered for a while, so I closed this sign-up. Nothing was stored.")
        + "\n"
        + _("You can start again at any time with your invitation link or /start."),
    )


async def resume(update: Update, context: Context) -> object:
    """A plain `/start` in the middle of a sign-up: carry on where the person was."""
    _ = translator_for(update)
    if DRAFTS.load(context) is None:
        return await lost(update, context)
    await reply(update, _("Let's carry on where we were. To stop, type /annuler."))
    return await FORM.reask(update, context)


async def stale_button(update: Update, context: Context) -> None:
    """A sign-up button pressed outside of the question it belongs to."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    if DRAFTS.load(context) is None:
        await query.answer(
            _("This button is no longer valid. To sign up, open your invitation link again."),
            show_alert=True,
        )
        return
    await query.answer(
        _("This button belongs to an older question. Please use the latest message."),
        show_alert=True,
    )


async def nudge(update: Update, context: Context) -> None:
    """Run by the engine once, a few hours after the person stopped answering."""
    _ = translator_for(update)
    draft = DRAFTS.load(context)
    chat = update.effective_chat
    if draft is None or chat is None:
        return
    text = (
        _("You have not finished signing up for “{event}”.", event=draft.event_name)
        if draft.event_name
        else _("You have not finished your answers.")
    )
    await context.bot.send_message(
        chat.id,
        text + "\n" + _("Your answers are kept. Shall we carry on?"),
        reply_markup=column(
            [
                button(_.plain("Carry on"), CarryOn("signup", True)),
                button(_.plain("Give up"), CarryOn("signup", False)),
            ]
        ),
    )


async def carry_on(update: Update, context: Context) -> object:
    """The reminder's buttons: the current question again, or everything dropped."""
    query = update.callback_query
    assert query is not None
    data = CarryOn.parse(query.data)
    await query.answer()
    if data is not None and data.go:
        return await FORM.reask(update, context)
    return await cancel(update, context)


# ---------------------------------------------------------------- wiring


def conversation(timeout_minutes: float, nudge_minutes: float = 0) -> Conversation:
    return user_conversation(
        name=CONVERSATION_NAME,
        entry_points=[
            CommandHandler("start", start_from_link, filters=LINK_FILTER),
            CallbackQueryHandler(start_from_button, pattern=SignUpOpen.pattern()),
            CallbackQueryHandler(profile.edit(FORM), pattern=ProfileEdit.pattern()),
            CommandHandler("inscrire", staff.start(FORM)),
        ],
        states={
            # consent, name, age… sum, sev, srole: the steps of every flow (see FORM)
            **FORM.states(),
            ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
        },
        fallbacks=[
            CommandHandler(["annuler", "cancel"], cancel),
            CommandHandler("start", resume, filters=~LINK_FILTER),
            CallbackQueryHandler(stale_button, pattern=SignUpAnswer.pattern()),
            CallbackQueryHandler(carry_on, pattern=re.compile(r"^again:signup:")),
        ],
        allow_reentry=True,
        conversation_timeout=timedelta(minutes=timeout_minutes),
        reask=FORM.reask,
        nudge_after=timedelta(minutes=nudge_minutes),
        on_nudge=[TypeHandler(Update, nudge)],
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    settings = services(application).settings
    application.add_handler(CommandHandler("start", staff.claim_link, filters=CLAIM_FILTER))
    application.add_handler(
        conversation(settings.conversation_timeout_minutes, settings.conversation_nudge_minutes)
    )
    application.add_handler(CommandHandler("profil", profile.profile_command))
    application.add_handler(CallbackQueryHandler(stale_button, pattern=SignUpAnswer.pattern()))
