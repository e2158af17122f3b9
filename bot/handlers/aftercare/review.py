"""Staff review of employers' cards before candidates get them: `/avis` and its buttons.

`/avis` lists the events with cards waiting; each card is shown with "Envoyer", "Modifier"
and "Ne pas envoyer". "Modifier" asks which text to change, then takes the new one typed in
a one-question flow (`bot.engine.steps`), and shows the card again. Every command, button and
step checks the staff role on the server; a second press on a card already decided says so
and changes nothing (the service decides only cards still waiting).

An event's editing menu has a button to choose whether its cards are reviewed first or sent
at once (`ReviewSetting`). `aftercare_lines` writes the after-event part of `/mesdonnees`.
"""

from __future__ import annotations

import contextlib
import html
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    TypeHandler,
)

from bot.callbacks import (
    ReviewAnswer,
    ReviewAnswerPair,
    ReviewDecision,
    ReviewEdit,
    ReviewOpen,
    ReviewSetting,
    button,
    parse_any,
)
from bot.context import services, translator_for
from bot.engine.conversation import END
from bot.engine.steps import At, Drafts, Flow, FlowDraft, Form, Outcome, Step, Text, Wire
from bot.handlers.aftercare.meeting import HELPED_LABELS
from bot.handlers.common import Context, reply, staff_only, user_conversation
from bot.i18n import N_, Translator
from bot.keyboards import column, rows
from bot.outbox import wake
from bot.services.aftercare import review
from bot.services.aftercare.questions import FOLLOW_UP_LABELS, MEETING_LABELS
from bot.services.aftercare.review import (
    TEXT_LIMIT,
    AftercareRecords,
    CardRecord,
    CardView,
    Decision,
    EditableField,
)

EDITING = "review_edit"  # the conversation's name (stored: never rename)
EDIT_TEXT = "rv_text"  # its only state (stored: never rename)

THEME_LABELS = {
    "cv": N_("The CV"),
    "oral": N_("The way of speaking"),
    "non_verbal": N_("Posture and gestures"),
    "soft_skills": N_("Manners and attitude"),
    "technical": N_("Skills for the trade"),
}
LEVEL_LABELS = {
    1: N_("to work on"),
    2: N_("fair"),
    3: N_("good"),
    4: N_("very good"),
}
NO_LEVEL = N_("no opinion")
NEXT_STEPS = {
    "none": N_("no follow-up for now"),
    "later": N_("to contact again later"),
    "interview": N_("offers an interview"),
    "offer": N_("may offer a job"),
}
FIELD_LABELS: dict[EditableField, str] = {"strength": N_("The strength"), "tip": N_("The tip")}
FIELD_PROMPTS: dict[EditableField, str] = {
    "strength": N_("Type the new strength, as the candidate will read it."),
    "tip": N_("Type the new tip, as the candidate will read it."),
}
DECISIONS = {
    Decision.SENT: N_("✅ Sent to the candidate."),
    Decision.HELD: N_("Kept back: the candidate will not receive it."),
    Decision.ALREADY_SENT: N_("This opinion was already sent. Nothing changes."),
    Decision.ALREADY_HELD: N_("This opinion was already kept back. Nothing changes."),
    Decision.UNDELIVERABLE: N_(
        "Not sent: the person withdrew, was erased or the event was cancelled. "
        "The opinion is kept back."
    ),
    Decision.UNKNOWN: N_("This button is no longer valid. Type /avis."),
}
NO_LONGER_VALID = N_("This button is no longer valid. Type /avis.")


# ---------------------------------------------------------------- showing a card


def level_text(_: Translator, level: int | None) -> str:
    return _.plain(LEVEL_LABELS[level]) if level in LEVEL_LABELS else _.plain(NO_LEVEL)


def level_lines(_: Translator, levels: dict[str, int | None]) -> list[str]:
    """ "CV : bien", "Expression orale : très bien"…: in words, never figures."""
    return [
        _.plain(
            "Level of {theme}: {level}",
            theme=_.plain(label),
            level=level_text(_, levels.get(theme)),
        )
        for theme, label in THEME_LABELS.items()
    ]


def levels_line(_: Translator, levels: dict[str, int | None]) -> str:
    return " · ".join(level_lines(_, levels))


def next_step_text(_: Translator, code: str | None) -> str:
    return _.plain(NEXT_STEPS[code]) if code in NEXT_STEPS else _.plain("—")


def card_text(_: Translator, view: CardView) -> str:
    return "\n".join(
        [
            _(
                "<b>Opinion to review – {event}</b> ({count} waiting)",
                event=view.event_name,
                count=view.waiting,
            ),
            _("From: {employer}", employer=view.employer),
            _("About: {candidate}", candidate=view.candidate),
            *(html.escape(line) for line in level_lines(_, view.levels)),
            _("💪 Strength: {text}", text=view.strength or "—"),
            _("💡 Tip: {text}", text=view.tip or "—"),
            _("Next: {step}", step=next_step_text(_, view.next_step)),
        ]
    )


def card_keyboard(_: Translator, feedback_id: int) -> InlineKeyboardMarkup:
    return column(
        [
            button(_.plain("Send"), ReviewDecision(feedback_id, "send")),
            button(_.plain("Change"), ReviewDecision(feedback_id, "edit")),
            button(_.plain("Do not send"), ReviewDecision(feedback_id, "hold")),
        ]
    )


async def show_card(update: Update, view: CardView | None) -> None:
    _ = translator_for(update)
    if view is None:
        await reply(update, _("All the opinions of this event have been reviewed. Thank you!"))
        return
    await reply(update, card_text(_, view), reply_markup=card_keyboard(_, view.feedback_id))


async def _drop_buttons(update: Update) -> None:
    query = update.callback_query
    if query is not None:
        with contextlib.suppress(TelegramError):  # already gone: nothing to do
            await query.edit_message_reply_markup(reply_markup=None)


# ---------------------------------------------------------------- /avis and its buttons


@staff_only
async def review_command(update: Update, context: Context) -> None:
    _ = translator_for(update)
    events = await review.waiting_events(services(context).database)
    if not events:
        await reply(update, _("No employer opinion is waiting for review."))
        return
    await reply(
        update,
        _("Employers' opinions waiting for your review. Which event?"),
        reply_markup=column(
            [
                button(
                    _.plain("{event}: {count} waiting", event=event.name, count=event.count),
                    ReviewOpen(event.event_id),
                )
                for event in events
            ]
        ),
    )


@staff_only
async def on_review_button(update: Update, context: Context) -> None:
    """Open an event's next card, or decide the card shown; stale presses are told so."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    await query.answer()
    _ = translator_for(update)
    data = parse_any(query.data, (ReviewOpen, ReviewDecision))
    database = services(context).database
    if isinstance(data, ReviewOpen):
        await show_card(update, await review.next_card(database, data.event_id))
        return
    if not isinstance(data, ReviewDecision):
        await reply(update, _(NO_LONGER_VALID))
        return
    if data.action == "edit":
        view = await review.card(database, data.feedback_id)
        if view is None or view.review != review.ReviewStatus.WAITING:
            decision = Decision.UNKNOWN if view is None else _already(view)
            await reply(update, _(DECISIONS[decision]))
            return
        choices = [
            button(_.plain(label), ReviewEdit(view.feedback_id, name))
            for name, label in FIELD_LABELS.items()
        ]
        await reply(update, _("What do you want to change?"), reply_markup=rows(choices))
        return
    done = await review.decide(
        database, data.feedback_id, data.action == "send", update.effective_user.id
    )
    if done.decision in (Decision.SENT, Decision.HELD, Decision.UNDELIVERABLE):
        await _drop_buttons(update)
        await reply(update, _(DECISIONS[done.decision]))
        wake(context.application)
        await show_card(update, done.next_card)
        return
    await reply(update, _(DECISIONS[done.decision]))


def _already(view: CardView) -> Decision:
    sent = view.review == review.ReviewStatus.SENT
    return Decision.ALREADY_SENT if sent else Decision.ALREADY_HELD


# ---------------------------------------------------------------- changing a text


class ReviewDraft(FlowDraft):
    """Which card, and which of its texts, is being retyped."""

    VERSION: ClassVar[int] = 1

    feedback: int
    field: EditableField


DRAFTS = Drafts("review_edit", ReviewDraft)
Here = At[ReviewDraft]


async def on_edit_field(update: Update, context: Context) -> object:
    """ "The strength" / "The tip": the question (the conversation's entry)."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    pressed = ReviewEdit.parse(query.data)
    view = await review.card(services(context).database, pressed.feedback_id) if pressed else None
    if pressed is None or view is None:
        await query.answer()
        await reply(update, _(NO_LONGER_VALID))
        return None
    if view.review != review.ReviewStatus.WAITING:
        await query.answer()
        await reply(update, _(DECISIONS[_already(view)]))
        return None
    await query.answer()
    draft = ReviewDraft(feedback=view.feedback_id, field=pressed.field)
    return await FORM.begin(update, context, draft, EDIT_TEXT)


def edit_prompt(at: Here) -> str:
    _ = at.tr
    return _(FIELD_PROMPTS[at.draft.field]) + "\n" + _("Type /annuler to stop.")


async def save(at: Here, text: str) -> Outcome:
    """The new text, kept at once; the card again, with its buttons."""
    _ = at.tr
    user = at.update.effective_user
    assert user is not None
    done = await review.edit_card(
        services(at.context).database, at.draft.feedback, at.draft.field, text, user.id
    )
    if done.card is None:
        await at.reply(_(DECISIONS[done.decision]))
        return END
    await at.reply(_("✅ Changed. Here is the opinion with your change:"))
    await at.reply(card_text(_, done.card), reply_markup=card_keyboard(_, done.card.feedback_id))
    return END


async def nothing_to_confirm(at: Here) -> Outcome:
    return END


EDIT_FLOW = Flow(
    "review_edit",
    steps=(Step(EDIT_TEXT, edit_prompt, Text(limit=TEXT_LIMIT, answer=save)),),
    summary=lambda at: [],  # never shown: the one answer is saved at once (`save`)
    confirm=nothing_to_confirm,
)


async def lost(update: Update, context: Context) -> int:
    """The draft is gone: the conversation ends silently."""
    return END


FORM = Form(drafts=DRAFTS, wire=Wire(ReviewAnswer, ReviewAnswerPair), flows=(EDIT_FLOW,), lost=lost)


async def on_edit_abandon(update: Update, context: Context) -> int:
    DRAFTS.drop(context)
    _ = translator_for(update)
    await reply(update, _("Nothing was changed. The opinion still waits: /avis."))
    return END


async def on_timeout(update: object, context: Context) -> None:
    DRAFTS.drop(context)


# ---------------------------------------------------------------- the event's setting


def setting_text(_: Translator, name: str, on: bool) -> str:
    state = (
        _("the team reads each opinion first")
        if on
        else _("they go to the candidates as soon as written")
    )
    return _("Employers' opinions for “{event}”: {state}.", event=name, state=state)


@staff_only
async def on_setting(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    _ = translator_for(update)
    data = ReviewSetting.parse(query.data)
    database = services(context).database
    if data is None:
        await reply(update, _(NO_LONGER_VALID))
        return
    if data.choice == "menu":
        found = await review.review_setting(database, data.event_id)
    else:
        found = await review.set_review(database, data.event_id, data.choice == "on")
    if found is None:
        await reply(update, _("This event no longer exists."))
        return
    name, on = found
    if data.choice != "menu":
        await _drop_buttons(update)
        await reply(update, "✅ " + setting_text(_, name, on))
        return
    await reply(
        update,
        setting_text(_, name, on),
        reply_markup=column(
            [
                button(_.plain("Read them before sending"), ReviewSetting(data.event_id, "on")),
                button(_.plain("Send them at once"), ReviewSetting(data.event_id, "off")),
            ]
        ),
    )


# ---------------------------------------------------------------- /mesdonnees


def _when(value: datetime | date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M UTC")
    return value.strftime("%d/%m/%Y")


KINDS = {
    "cand": N_("After a meeting (your opinion)"),
    "emp": N_("After meeting a candidate (your opinion card)"),
    "follow": N_("Follow-up: where you stand"),
}
STATUSES = {
    "open": N_("waiting for your answer"),
    "answered": N_("you answered"),
    "declined": N_("you preferred not to answer"),
    "expired": N_("closed without an answer"),
    "cancelled": N_("no longer asked"),
}
SITUATIONS = {code.value: label for code, label in FOLLOW_UP_LABELS.items()}
MEETINGS = {code.value: label for code, label in MEETING_LABELS.items()}
CONTRACTS = {
    "cdi": N_("permanent contract"),
    "cdd": N_("fixed-term contract"),
    "interim": N_("temporary work"),
    "aided": N_("subsidised contract"),
    "own": N_("own business"),
    "other": N_("another kind of contract"),
}
DURATIONS = {
    "lt1": N_("less than a month"),
    "1to6": N_("1 to 6 months"),
    "6plus": N_("more than 6 months"),
    "open": N_("no end date"),
}
YES_PARTLY_NO = {"yes": N_("yes"), "partly": N_("partly"), "no": N_("no")}
REVIEWS = {
    "waiting": N_("waiting for the team's review"),
    "sent": N_("sent to the candidate"),
    "held": N_("not sent"),
}


def _label(_: Translator, labels: dict[str, str], code: str | None) -> str:
    if code is None:
        return "—"
    return _.plain(labels[code]) if code in labels else code


def _card_lines(_: Translator, item: CardRecord, written: bool) -> list[str]:
    if written:
        lines = [
            f"- {item.event_name} : " + _.plain("about {name}", name=item.candidate),
            "  " + levels_line(_, item.levels),
        ]
    else:
        lines = [f"- {item.event_name} : " + _.plain("from {name}", name=item.employer)]
    lines += [
        "  " + _.plain("Strength: {value}", value=item.strength or "—"),
        "  " + _.plain("Tip: {value}", value=item.tip or "—"),
    ]
    if written:
        lines += [
            "  " + _.plain("What next: {value}", value=next_step_text(_, item.next_step)),
            "  " + _.plain("Status: {value}", value=_label(_, REVIEWS, item.review)),
        ]
    else:
        lines.append("  " + _.plain("Received on: {value}", value=_when(item.delivered_at)))
    return lines


def aftercare_lines(_: Translator, records: AftercareRecords) -> list[str]:
    """The after-event part of the `/mesdonnees` file, in plain words (empty if nothing)."""
    lines: list[str] = []
    if records.questionnaires:
        lines += ["", "== " + _.plain("Your answers after the events") + " =="]
        for item in records.questionnaires:
            title = f"- {item.event_name} : {_label(_, KINDS, item.kind)}"
            if item.about:
                title += " – " + _.plain("about {name}", name=item.about)
            lines += [
                title,
                "  " + _.plain("Asked on: {value}", value=_when(item.sent_at)),
                "  " + _.plain("Status: {value}", value=_label(_, STATUSES, item.status)),
            ]
            if item.meeting is not None:
                meeting = _label(_, MEETINGS, item.meeting)
                lines.append("  " + _.plain("Did the meeting happen: {value}", value=meeting))
            if item.rating is not None:
                lines.append("  " + _.plain("Your rating: {value} out of 4", value=item.rating))
            if item.helped:
                helped = ", ".join(_label(_, HELPED_LABELS, code) for code in item.helped)
                lines.append("  " + _.plain("What helped you: {value}", value=helped))
            if item.comment:
                lines.append("  " + _.plain("Your comment: {value}", value=item.comment))
    if records.outcomes:
        lines += ["", "== " + _.plain("Where you stood after the events") + " =="]
        for outcome in records.outcomes:
            lines += [
                f"- {outcome.event_name} : "
                + _.n("{count} day later", "{count} days later", outcome.offset_days),
                "  "
                + _.plain("Situation: {value}", value=_label(_, SITUATIONS, outcome.situation)),
                "  " + _.plain("Start: {value}", value=_when(outcome.start_date)),
                "  " + _.plain("Contract: {value}", value=_label(_, CONTRACTS, outcome.contract)),
                "  " + _.plain("Length: {value}", value=_label(_, DURATIONS, outcome.duration)),
                "  "
                + _.plain(
                    "Thanks to the event: {value}",
                    value=_label(_, YES_PARTLY_NO, outcome.from_event),
                ),
                "  "
                + _.plain(
                    "Matches your wishes: {value}",
                    value=_label(_, YES_PARTLY_NO, outcome.matches_wishes),
                ),
                "  "
                + _.plain(
                    "Recorded by the team: {value}",
                    value=_.plain("yes") if outcome.by_staff else _.plain("no"),
                ),
            ]
    if records.cards_received:
        lines += ["", "== " + _.plain("Opinions of employers you met") + " =="]
        for received in records.cards_received:
            lines += _card_lines(_, received, written=False)
    if records.cards_written:
        lines += ["", "== " + _.plain("Opinions you wrote about candidates") + " =="]
        for written in records.cards_written:
            lines += _card_lines(_, written, written=True)
    return lines


# ---------------------------------------------------------------- registration


def register(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    timeout = services(application).settings.conversation_timeout_minutes
    application.add_handler(CommandHandler("avis", review_command))
    application.add_handler(
        user_conversation(
            name=EDITING,
            entry_points=[CallbackQueryHandler(on_edit_field, pattern=ReviewEdit.pattern())],
            states={
                **FORM.states(),
                ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
            },
            fallbacks=[CommandHandler("annuler", on_edit_abandon)],
            allow_reentry=True,
            conversation_timeout=timedelta(minutes=timeout),
            staff=True,
        )
    )
    application.add_handler(CallbackQueryHandler(on_review_button, pattern=ReviewOpen.pattern()))
    application.add_handler(
        CallbackQueryHandler(on_review_button, pattern=ReviewDecision.pattern())
    )
    application.add_handler(CallbackQueryHandler(on_setting, pattern=ReviewSetting.pattern()))
