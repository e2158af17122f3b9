"""The next edition of an event ("Next edition" on its details) and employers coming back.

Staff press "Next edition", type the new date, read a summary (what is copied, how many
employers will be invited, how many are left out) and confirm; they then get the new
invitation links. The conversation is a staff one (`staff=True`): the role is checked at
every step, so a forged press from someone else changes nothing. An employer answers the
invitation with "I am coming back" (registered again, same sites) or "Not this time".
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any, ClassVar

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    TypeHandler,
)

from bot.callbacks import EditionAnswer, EditionAnswerPair, EditionBack, EditionNext
from bot.context import services, translator_for
from bot.dates import format_when, in_zone, parse_french_datetime
from bot.engine.conversation import END
from bot.engine.steps import At, Drafts, Flow, FlowDraft, Form, Outcome, Refused, Step, Text, Wire
from bot.handlers.common import Context, reply, user_conversation
from bot.handlers.events.links import send_invitations
from bot.handlers.events.management import event_of_button
from bot.handlers.events.shared import PROBLEMS, example_date, local_now
from bot.i18n import N_
from bot.outbox import wake
from bot.services.aftercare.editions import (
    BackAnswer,
    answer_invitation,
    create_next_edition,
    invite_returning_employers,
    preview_next_edition,
)
from bot.services.events import ChangeRefused, Problem, get_event

NEXT_EDITION = "next_edition"  # the conversation's name (stored: never rename)
NEXT_DATE = "ed_date"  # its question (stored: never rename)
SUMMARY = "ed_sum"

BAD_DATE = N_("I cannot read this date. Please write it like this: {example}.")
BACK_ANSWERS = {
    BackAnswer.ALREADY: N_("You are already registered for this edition."),
    BackAnswer.CLOSED: N_("This edition is no longer open."),
    BackAnswer.FULL: N_("This edition already has all the employers it needs. Thank you!"),
    BackAnswer.NOT_INVITED: N_("This button is no longer valid."),
}


class EditionDraft(FlowDraft):
    """Which event is continued, its zone and name, and the new start once typed."""

    VERSION: ClassVar[int] = 1

    event: int
    zone: str
    name: str
    starts_at: datetime | None = None


DRAFTS = Drafts("next_edition", EditionDraft)
Here = At[EditionDraft]


async def on_next_edition(update: Update, context: Context) -> object:
    """ "Next edition" on an event's details: the date question (the conversation's entry)."""
    query = update.callback_query
    assert query is not None
    pressed = EditionNext.parse(query.data)
    event = await event_of_button(update, context, pressed.event_id if pressed else None)
    if event is None:
        return None
    await query.answer()
    draft = EditionDraft(event=event.id, zone=event.timezone, name=event.name)
    return await FORM.begin(update, context, draft, NEXT_DATE)


def date_prompt(at: Here) -> str:
    _ = at.tr
    return (
        _(
            "Next edition of “{name}”: type its date and time, for example {example}.",
            name=at.draft.name,
            example=example_date(at.draft.zone),
        )
        + "\n"
        + _("Type /annuler to stop.")
    )


async def take_date(at: Here, text: str) -> Outcome:
    zone = at.draft.zone
    parsed = parse_french_datetime(text, today=local_now(zone).date())
    if parsed is None or parsed.at is None:
        return Refused(BAD_DATE, {"example": example_date(zone)})
    starts_at = in_zone(parsed.naive(parsed.at), zone)
    try:
        await preview_next_edition(services(at.context).database, at.draft.event, starts_at)
    except ChangeRefused as refusal:
        return Refused(PROBLEMS[refusal.problem], refusal.values)
    except LookupError:
        await at.reply(at.tr("This event no longer exists."))
        return END
    at.draft.starts_at = starts_at
    return None


async def summary(at: Here) -> list[str]:
    _ = at.tr
    assert at.draft.starts_at is not None
    preview = await preview_next_edition(
        services(at.context).database, at.draft.event, at.draft.starts_at
    )
    lines = [
        _("<b>Next edition of “{name}”</b>", name=preview.name),
        _("When: {when}", when=format_when(preview.starts_at, preview.timezone, _.language)),
        _.n(
            "Copied: {count} site, the room format, the questions, what to bring, the "
            "reminders and the feedback settings.",
            "Copied: {count} sites, the room format, the questions, what to bring, the "
            "reminders and the feedback settings.",
            preview.sites,
        ),
        _.n(
            "{count} employer who came last time will be invited.",
            "{count} employers who came last time will be invited.",
            preview.returning,
        ),
    ]
    if preview.left_out:
        lines.append(
            _.n(
                "{count} employer answered “No follow-up” for everyone: not invited.",
                "{count} employers answered “No follow-up” for everyone: not invited.",
                preview.left_out,
            )
        )
    return lines


async def confirm(at: Here) -> Outcome:
    """Create the edition, invite the employers, then show the new links."""
    _ = at.tr
    query = at.update.callback_query
    assert query is not None and at.draft.starts_at is not None
    user = at.update.effective_user
    assert user is not None
    database = services(at.context).database
    try:
        new_id = await create_next_edition(database, at.draft.event, at.draft.starts_at, user.id)
    except ChangeRefused as refusal:
        await query.answer()
        await at.reply("⚠️ " + _(PROBLEMS[refusal.problem], **refusal.values))
        return END if refusal.problem == Problem.CANCELLED else None
    except LookupError:
        await query.answer()
        await at.reply(_("This event no longer exists."))
        return END
    invited = await invite_returning_employers(database, new_id)
    wake(at.context.application)
    await query.answer()
    await at.close_choice()
    lines = [
        _("✅ The next edition is created."),
        _.n(
            "{count} employer is invited to come back.",
            "{count} employers are invited to come back.",
            invited.invited,
        ),
    ]
    if invited.left_out:
        lines.append(
            _.n(
                "{count} employer was not invited (“No follow-up” for everyone).",
                "{count} employers were not invited (“No follow-up” for everyone).",
                invited.left_out,
            )
        )
    await at.reply("\n".join(lines))
    event = await get_event(database, new_id)
    if event is not None:
        await send_invitations(at.update, at.context, event)
    return END


async def lost(update: Update, context: Context) -> int:
    """The draft is gone (erased): the conversation ends silently."""
    return END


FLOW = Flow(
    "next_edition",
    steps=(Step(NEXT_DATE, date_prompt, Text(limit=80, answer=take_date), label=N_("New date")),),
    summary=summary,
    confirm=confirm,
)

FORM = Form(
    drafts=DRAFTS,
    wire=Wire(EditionAnswer, EditionAnswerPair),
    flows=(FLOW,),
    lost=lost,
    summary_state=SUMMARY,
    confirm_label=N_("Create it"),
)


async def on_abandon(update: Update, context: Context) -> int:
    DRAFTS.drop(context)
    _ = translator_for(update)
    await reply(update, _("Nothing was created."))
    return END


async def on_timeout(update: object, context: Context) -> None:
    DRAFTS.drop(context)


# -- an employer's answer -------------------------------------------------------------------


async def on_back(update: Update, context: Context) -> None:
    """ "I am coming back" / "Not this time" on the invitation to the next edition."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    _ = translator_for(update)
    pressed = EditionBack.parse(query.data)
    if pressed is None:
        await query.answer(_.plain("This button is no longer valid."), show_alert=True)
        return
    database = services(context).database
    result = await answer_invitation(
        database, user.id, pressed.event_id, coming=pressed.answer == "yes"
    )
    if result in BACK_ANSWERS:
        await query.answer(_.plain(BACK_ANSWERS[result]), show_alert=True)
        return
    await query.answer()
    with contextlib.suppress(TelegramError):  # too old to edit: the answer is kept anyway
        await query.edit_message_reply_markup(reply_markup=None)
    if result == BackAnswer.DECLINED:
        await reply(update, _("Noted. Thank you, and see you another time!"))
        return
    event = await get_event(database, pressed.event_id)
    assert event is not None
    await reply(
        update,
        _(
            "Thank you! You are registered for “{name}” on {when}, with the same sites as "
            "last time.",
            name=event.name,
            when=format_when(event.starts_at, event.timezone, _.language),
        ),
    )


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    timeout = services(application).settings.conversation_timeout_minutes
    application.add_handler(
        user_conversation(
            name=NEXT_EDITION,
            entry_points=[CallbackQueryHandler(on_next_edition, pattern=EditionNext.pattern())],
            states={
                **FORM.states(),
                ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
            },
            fallbacks=[CommandHandler("annuler", on_abandon)],
            allow_reentry=True,
            conversation_timeout=timedelta(minutes=timeout),
            staff=True,
        )
    )
    application.add_handler(CallbackQueryHandler(on_back, pattern=EditionBack.pattern()))
