"""Attendance: participants confirm or withdraw, take a freed seat; staff follow and mark.

`att:<registration>:yes|no|nosure|keep` and `offer:<offer>:yes|no` are for the participant the
row belongs to (checked on the server); `pres:` buttons and `/presences` are for staff only.
"I cannot come" (`no`, on convocations and reminders) only asks; the seat is given away on
"Yes, I withdraw" (`nosure`) and kept on "No, I will come" (`keep`), so a wrong tap costs
nothing.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import services, translator_for
from bot.handlers.common import Context, reply, staff_only
from bot.i18n import N_, Translator
from bot.keyboards import button, column, unpack
from bot.outbox import wake
from bot.services import attendance, planning
from bot.services.attendance import Outcome, Overview
from bot.services.convocations import ATTENDANCE_PREFIX

log = logging.getLogger(__name__)

PRESENCE_PREFIX = "pres"
OFFER_PREFIX = attendance.OFFER_PREFIX
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
ATTENDANCE_CHOICES = (attendance.YES, attendance.NO, attendance.SURE, attendance.KEEP)


def answer_text(_: Translator, answer: attendance.Answer) -> str:
    return _(ANSWERS[answer.outcome], event=answer.event_name)


def _choice(
    parts: list[str], choices: tuple[str, ...] = (attendance.YES, attendance.NO)
) -> tuple[int, str] | None:
    if len(parts) != 3 or not parts[1].isdigit() or parts[2] not in choices:
        return None
    return int(parts[1]), parts[2]


def withdrawal_keyboard(_: Translator, registration_id: int) -> InlineKeyboardMarkup:
    """One big button per line: less risk of a wrong tap on a small screen."""
    return column(
        [
            button(_.plain("Yes, I withdraw"), ATTENDANCE_PREFIX, registration_id, attendance.SURE),
            button(_.plain("No, I will come"), ATTENDANCE_PREFIX, registration_id, attendance.KEEP),
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
    choice = _choice(unpack(query.data), ATTENDANCE_CHOICES)
    if choice is None:
        await reply(update, _(ANSWERS[Outcome.UNKNOWN]))
        return
    app = services(context)
    registration_id, action = choice
    user_id = update.effective_user.id
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
    choice = _choice(unpack(query.data))
    if choice is None:
        await reply(update, _(ANSWERS[Outcome.UNKNOWN]))
        return
    app = services(context)
    result = await attendance.answer_offer(
        app.database,
        choice[0],
        update.effective_user.id,
        choice[1] == attendance.YES,
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
    return "\n".join(lines)[:3900]


def overview_keyboard(_: Translator, view: Overview) -> InlineKeyboardMarkup:
    silent = len(view.group("silent"))
    rows = []
    if silent:
        rows.append(
            button(
                _.plain("Remind those who did not answer ({count})", count=silent),
                PRESENCE_PREFIX,
                "remind",
                view.event_id,
            )
        )
    rows.append(button(_.plain("Mark who is present"), PRESENCE_PREFIX, "mark", view.event_id))
    rows.append(button(_.plain("Refresh"), PRESENCE_PREFIX, "ev", view.event_id))
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
                button(present[:60], PRESENCE_PREFIX, "at", row.registration_id, 1),
                button(absent[:60], PRESENCE_PREFIX, "at", row.registration_id, 0),
            ]
        )
    return InlineKeyboardMarkup(rows)


@staff_only
async def presences_command(update: Update, context: Context) -> None:
    _ = translator_for(update)
    events = await planning.open_events(services(context).database)
    if not events:
        await reply(update, _("No event yet. Create one with /evenement."))
        return
    from bot.handlers.plan import event_label

    await reply(
        update,
        _("For which event?"),
        reply_markup=column(
            [button(event_label(_, e), PRESENCE_PREFIX, "ev", e.id) for e in events]
        ),
    )


@staff_only
async def on_presence_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    _ = translator_for(update)
    parts = unpack(query.data)
    database = services(context).database
    try:
        action, number = parts[1], int(parts[2])
    except (IndexError, ValueError):
        await reply(update, _("This button is no longer valid. Type /presences."))
        return
    if action == "at" and len(parts) == 4 and parts[3] in ("0", "1"):
        event_id = await attendance.mark_attended(database, number, parts[3] == "1")
        view = await attendance.overview(database, event_id) if event_id else None
        if view is None:
            await reply(update, _("This button is no longer valid. Type /presences."))
            return
        try:
            await query.edit_message_reply_markup(reply_markup=marking_keyboard(_, view))
        except BadRequest:  # same state pressed twice: the keyboard is unchanged
            log.debug("Attendance keyboard unchanged")
        return
    view = await attendance.overview(database, number)
    if view is None or action not in ("ev", "remind", "mark"):
        await reply(update, _("This button is no longer valid. Type /presences."))
        return
    if action == "remind":
        queued, skipped = await attendance.remind_silent(database, number)
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
    if action == "mark":
        await reply(
            update,
            _("Who is here today? Press present or absent for each person."),
            reply_markup=marking_keyboard(_, view),
        )
        return
    await reply(update, overview_text(_, view), reply_markup=overview_keyboard(_, view))


async def _expire_offers(context: Context) -> None:
    if await attendance.expire_offers(services(context).database):
        await _wake_outbox(context)


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CallbackQueryHandler(on_attendance, pattern=rf"^{ATTENDANCE_PREFIX}:"))
    application.add_handler(CallbackQueryHandler(on_offer, pattern=rf"^{OFFER_PREFIX}:"))
    application.add_handler(CommandHandler("presences", presences_command))
    application.add_handler(
        CallbackQueryHandler(on_presence_button, pattern=rf"^{PRESENCE_PREFIX}:")
    )
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            _expire_offers, interval=EXPIRY_SECONDS, first=EXPIRY_SECONDS, name="seat-offers"
        )
