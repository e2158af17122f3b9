"""Attendance: participants confirm or withdraw, take a freed seat; staff follow and mark.

`Attendance` (`att:<registration>:yes|no|nosure|keep`) and `OfferAnswer` (`offer:<offer>:yes|no`)
buttons are for the participant the row belongs to (checked on the server); the
`AttendanceEvent`/`AttendanceMark` buttons (`pres:`) and `/presences` are for staff only.
"I cannot come" (`no`, on convocations and reminders) only asks; the seat is given away on
"Yes, I withdraw" (`nosure`) and kept on "No, I will come" (`keep`), so a wrong tap costs
nothing.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.callbacks import (
    Attendance,
    AttendanceEvent,
    AttendanceMark,
    OfferAnswer,
    button,
    parse_any,
    prefix_pattern,
)
from bot.context import services, translator_for
from bot.handlers.common import Context, reply, staff_only
from bot.handlers.plan import event_label
from bot.i18n import N_, Translator
from bot.keyboards import column
from bot.outbox import wake
from bot.services import attendance, plan_input
from bot.services.attendance import Outcome, Overview

log = logging.getLogger(__name__)

PRESENCE = "pres"
EXPIRY_SECONDS = 60

ANSWERS = {
    Outcome.CONFIRMED: N_("Thank you! Your attendance is confirmed for {event}. See you soon."),
    Outcome.WITHDRAWN: N_(
        "Thank you for telling us. You are no longer expected at {event}. "
        "Your seat goes to another person."
    ),
    Outcome.ALREADY_CONFIRMED: N_("Your attendance is already confirmed. Nothing changes."),
    Outcome.ALREADY_WITHDRAWN: N_(
        "You have already said you cannot come. If you can come after all, please contact "
        "the organising team."
    ),
    Outcome.NOT_YOURS: N_("This button is not for you."),
    Outcome.UNKNOWN: N_("This button is no longer valid."),
    Outcome.NOT_ACTIVE: N_("You have no seat at {event} for now."),
    Outcome.ACCEPTED: N_(
        "Thank you! The seat at {event} is yours. You will get your convocation soon."
    ),
    Outcome.DECLINED: N_("Noted: you decline the seat. Thank you for answering."),
    Outcome.ALREADY_ANSWERED: N_("You have already answered this offer. Nothing changes."),
    Outcome.EXPIRED: N_("Sorry, this offer has expired: the seat went to the next person."),
    Outcome.ASK_WITHDRAWAL: N_(
        "You cannot come to {event}? Your seat will be offered to another person."
    ),
    Outcome.KEPT: N_("Very well: you keep your seat at {event}. Nothing changes."),
}


def answer_text(_: Translator, answer: attendance.Answer) -> str:
    return _(ANSWERS[answer.outcome], event=answer.event_name)


def withdrawal_keyboard(_: Translator, registration_id: int) -> InlineKeyboardMarkup:
    """One big button per line: less risk of a wrong tap on a small screen."""
    return column(
        [
            button(_.plain("Yes, I withdraw"), Attendance(registration_id, "nosure")),
            button(_.plain("No, I will come"), Attendance(registration_id, "keep")),
        ]
    )


async def _drop_buttons(update: Update) -> None:
    query = update.callback_query
    assert query is not None
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest:
        log.debug("Question buttons already gone")


async def on_attendance(update: Update, context: Context) -> None:
    """'I confirm' / 'I cannot come' under a convocation or a reminder, then the question.

    'I cannot come' asks first; only 'Yes, I withdraw' gives the seat away.
    """
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    await query.answer()
    _ = translator_for(update)
    data = Attendance.parse(query.data)
    if data is None:
        await reply(update, _(ANSWERS[Outcome.UNKNOWN]))
        return
    app = services(context)
    registration_id, action = data.registration_id, data.answer
    user_id = update.effective_user.id
    if action == attendance.MORE:
        details = await attendance.preparation(app.database, registration_id, user_id)
        await reply(update, details or _(ANSWERS[Outcome.UNKNOWN]))
        return
    if action == attendance.NO:
        result = await attendance.check_seat(
            app.database, registration_id, user_id, Outcome.ASK_WITHDRAWAL
        )
        markup = (
            withdrawal_keyboard(_, registration_id)
            if result.outcome is Outcome.ASK_WITHDRAWAL
            else None
        )
        await reply(update, answer_text(_, result), reply_markup=markup)
        return
    if action == attendance.KEEP:
        result = await attendance.check_seat(app.database, registration_id, user_id, Outcome.KEPT)
    else:
        result = await attendance.answer_attendance(
            app.database,
            registration_id,
            user_id,
            action == attendance.YES,
            app.settings.staff_ids,
        )
    if action in (attendance.SURE, attendance.KEEP) and result.outcome in (
        Outcome.WITHDRAWN,
        Outcome.KEPT,
    ):
        await _drop_buttons(update)  # the question is answered: no second tap on it
    await reply(update, answer_text(_, result))
    if result.outcome is Outcome.WITHDRAWN:
        await _wake_outbox(context)


async def on_offer(update: Update, context: Context) -> None:
    """'I accept the seat' / 'I decline' for a seat freed by a withdrawal."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    await query.answer()
    _ = translator_for(update)
    data = OfferAnswer.parse(query.data)
    if data is None:
        await reply(update, _(ANSWERS[Outcome.UNKNOWN]))
        return
    app = services(context)
    result = await attendance.answer_offer(
        app.database,
        data.offer_id,
        update.effective_user.id,
        data.answer == attendance.YES,
        app.settings.staff_ids,
    )
    if result.outcome in (Outcome.ACCEPTED, Outcome.DECLINED, Outcome.EXPIRED):
        try:
            await query.edit_message_reply_markup(reply_markup=None)
        except BadRequest:
            log.debug("Offer buttons already gone")
        await _wake_outbox(context)
    await reply(update, answer_text(_, result))


async def _wake_outbox(context: Context) -> None:
    wake(context.application)


# -- staff ----------------------------------------------------------------------------------


def overview_text(_: Translator, view: Overview) -> str:
    sections = (
        ("confirmed", N_("Confirmed ({count})")),
        ("silent", N_("No answer yet ({count})")),
        ("withdrawn", N_("Withdrawn ({count})")),
        ("unreachable", N_("Unreachable: the bot cannot write to them ({count})")),
        ("waiting", N_("Waiting list ({count})")),
    )
    lines = [_("<b>Attendance – {event}</b>", event=view.event_name)]
    for kind, title in sections:
        rows = view.group(kind)
        lines += ["", "<b>" + _(title, count=len(rows)) + "</b>"]
        lines += [_("• {name}", name=row.name) for row in rows] or ["–"]
    if view.reported:
        title = _("Said absent after the meeting ({count})", count=len(view.reported))
        lines += ["", f"<b>{title}</b>"]
        lines += [
            _("• {name}: could not come, they said", name=item.name)
            if item.self_reported
            else _("• {name}: absent, said {who}", name=item.name, who=item.reported_by)
            for item in view.reported
        ]
    return "\n".join(lines)[:3900]


def overview_keyboard(_: Translator, view: Overview) -> InlineKeyboardMarkup:
    silent = len(view.group("silent"))
    rows = []
    if silent:
        rows.append(
            button(
                _.plain("Remind those who did not answer ({count})", count=silent),
                AttendanceEvent("remind", view.event_id),
            )
        )
    rows.append(button(_.plain("Mark who is present"), AttendanceEvent("mark", view.event_id)))
    rows.append(button(_.plain("Refresh"), AttendanceEvent("ev", view.event_id)))
    return column(rows)


def marking_keyboard(_: Translator, view: Overview) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    for row in view.rows:
        if row.status not in attendance.ACTIVE:
            continue
        present = ("✅ " if row.attended is True else "") + _.plain(
            "{name}: present", name=row.name
        )
        absent = ("✅ " if row.attended is False else "") + _.plain("absent")
        rows.append(
            [
                button(present[:60], AttendanceMark(row.registration_id, True)),
                button(absent[:60], AttendanceMark(row.registration_id, False)),
            ]
        )
    return InlineKeyboardMarkup(rows)


@staff_only
async def presences_command(update: Update, context: Context) -> None:
    _ = translator_for(update)
    events = await plan_input.open_events(services(context).database)
    if not events:
        await reply(update, _("No event yet. Create one with /evenement."))
        return
    await reply(
        update,
        _("For which event?"),
        reply_markup=column(
            [button(event_label(_, e), AttendanceEvent("ev", e.id)) for e in events]
        ),
    )


@staff_only
async def on_presence_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    _ = translator_for(update)
    data = parse_any(query.data, (AttendanceEvent, AttendanceMark))
    database = services(context).database
    if isinstance(data, AttendanceMark):
        event_id = await attendance.mark_attended(database, data.registration_id, data.present)
        view = await attendance.overview(database, event_id) if event_id else None
        if view is None:
            await _no_longer_valid(update)
            return
        try:
            await query.edit_message_reply_markup(reply_markup=marking_keyboard(_, view))
        except BadRequest:  # same state pressed twice: the keyboard is unchanged
            log.debug("Attendance keyboard unchanged")
        return
    if not isinstance(data, AttendanceEvent):
        await _no_longer_valid(update)
        return
    view = await attendance.overview(database, data.event_id)
    if view is None:
        await _no_longer_valid(update)
        return
    if data.action == "remind":
        queued, skipped = await attendance.remind_silent(database, data.event_id)
        await _wake_outbox(context)
        text = _.n("{count} reminder sent.", "{count} reminders sent.", queued)
        if skipped:
            text += "\n" + _.n(
                "{count} person was already reminded today.",
                "{count} people were already reminded today.",
                skipped,
            )
        await reply(update, text)
        return
    if data.action == "mark":
        await reply(
            update,
            _("Who is here today? Press present or absent for each person."),
            reply_markup=marking_keyboard(_, view),
        )
        return
    await reply(update, overview_text(_, view), reply_markup=overview_keyboard(_, view))


async def _no_longer_valid(update: Update) -> None:
    _ = translator_for(update)
    await reply(update, _("This button is no longer valid. Type /presences."))


async def _expire_offers(context: Context) -> None:
    if await attendance.expire_offers(services(context).database):
        await _wake_outbox(context)


def register(application: Application) -> None:
    application.add_handler(CallbackQueryHandler(on_attendance, pattern=Attendance.pattern()))
    application.add_handler(CallbackQueryHandler(on_offer, pattern=OfferAnswer.pattern()))
    application.add_handler(CommandHandler("presences", presences_command))
    application.add_handler(
        CallbackQueryHandler(on_presence_button, pattern=prefix_pattern(PRESENCE))
    )
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            _expire_offers, interval=EXPIRY_SECONDS, first=EXPIRY_SECONDS, name="seat-offers"
        )
