"""`/bilan`: staff pick a report (one event, a programme, the last twelve months) and get its
picture with a short summary, then the workbook for Excel.

Staff only, checked on the server for the command and every button (`staff_only`). The
buttons only read: pressing one twice sends the report twice and changes nothing; a forged
or stale one gets a French message.
"""

from __future__ import annotations

import asyncio
from datetime import date

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import clock
from bot.callbacks import (
    ReportEvent,
    ReportProgramme,
    ReportYear,
    button,
    parse_any,
    prefix_pattern,
)
from bot.context import services, translator_for
from bot.db.models.people import Role
from bot.handlers.common import Context, reply, staff_only
from bot.handlers.events.shared import FORMATS
from bot.i18n import Translator
from bot.keyboards import column
from bot.services import aftercare
from bot.services.aftercare import report as reports
from bot.services.aftercare.funders import Scheme
from bot.services.aftercare.report import (
    EventScope,
    PeriodScope,
    ProgrammeScope,
    Report,
    ReportScope,
    show,
)
from bot.services.aftercare.report_xlsx import render_workbook

PREFIX = "bilan"
CAPTION_LIMIT = 1024
SILENT_NAMES = 4  # first names in the summary; the workbook lists every id


def programme_label(_: Translator, key: str) -> str:
    return _.plain(FORMATS[key][0]) if key in FORMATS else key


def _day(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def report_title(_: Translator, result: Report) -> str:
    """The event or programme and its dates, for the picture and the summary."""
    scope = result.scope
    first, last = _day(result.first_day), _day(result.last_day)
    if isinstance(scope, EventScope):
        event = result.events[0]
        return _.plain("{name} – {day}", name=event.name, day=_day(event.day))
    if isinstance(scope, PeriodScope):
        name = _.plain("The last 12 months")
        first, last = _day(scope.start), _day(scope.end)
    else:
        name = programme_label(_, scope.programme)
    if first == last:
        return _.plain("{name} – {day}", name=name, day=first)
    return _.plain("{name} – from {first} to {last}", name=name, first=first, last=last)


def summary(_: Translator, result: Report, title: str) -> str:
    """At most 60 words: who came, meetings, ratings, jobs."""
    candidates = result.total(Role.CANDIDATE)
    employers = result.total(Role.EMPLOYER)
    lines = [_("<b>{title}</b>", title=title)]
    if not isinstance(result.scope, EventScope):
        lines.append(_.n("{count} event.", "{count} events.", len(result.events)))
    lines += [
        _(
            "Present: {candidates} candidates, {employers} employers.",
            candidates=candidates.present,
            employers=employers.present,
        ),
        _("The meeting took place: {share}.", share=show(_, result.meetings)),
        _("Candidates' rating: {rating}.", rating=show(_, result.rating)),
    ]
    answered = [f for f in result.follow_ups if f.people]
    if answered:
        latest = answered[-1]
        durable = next(c for c in latest.categories(Scheme.IAE) if c.category == "durable")
        lines.append(
            _(
                "Lasting job after {days} days: {share}.",
                days=latest.offset_days,
                share=show(_, durable.share),
            )
        )
    lines.append(_("Median days to a job: {value}.", value=show(_, result.days_to_job)))
    if result.silent:
        names = [person.first_name for person in result.silent[:SILENT_NAMES]]
        if len(result.silent) > SILENT_NAMES:
            names.append("…")
        lines.append(
            _.n(
                "{count} person no longer answers: {names}.",
                "{count} people no longer answer: {names}.",
                len(result.silent),
                names=", ".join(names),
            )
        )
    return "\n".join(lines)


@staff_only
async def bilan_command(update: Update, context: Context) -> None:
    """`/bilan`: the choice of report."""
    _ = translator_for(update)
    database = services(context).database
    events = await reports.recent_events(database)
    if not events:
        await reply(update, _("No event has taken place yet: there is nothing to report."))
        return
    choices = [
        button(f"{event.day:%d/%m} · {event.name}"[:60], ReportEvent(event.id)) for event in events
    ]
    choices += [
        button(
            _.plain("Programme: {name}", name=programme_label(_, key))[:60],
            ReportProgramme(key),
        )
        for key in await reports.programmes(database)
    ]
    choices.append(button(_.plain("The last 12 months"), ReportYear()))
    await reply(update, _("Which report do you want?"), reply_markup=column(choices))


@staff_only
async def on_report(update: Update, context: Context) -> None:
    """One of `/bilan`'s buttons: the picture with its summary, then the workbook."""
    query = update.callback_query
    assert query is not None
    _ = translator_for(update)
    data = parse_any(query.data, (ReportEvent, ReportProgramme, ReportYear))
    scope: ReportScope
    if isinstance(data, ReportEvent):
        scope = EventScope(data.event_id)
    elif isinstance(data, ReportProgramme):
        scope = ProgrammeScope(data.programme)
    elif isinstance(data, ReportYear):
        scope = reports.last_twelve_months(clock.now().date())
    else:
        await query.answer(_.plain("This button is no longer valid. Type /bilan."), show_alert=True)
        return
    result = await reports.build_report(services(context).database, scope)
    if not result.events:
        refusal = (
            _.plain("This event no longer exists. Type /bilan.")
            if isinstance(scope, EventScope)
            else _.plain("No event took place for this report. Type /bilan.")
        )
        await query.answer(refusal, show_alert=True)
        return
    await query.answer()
    title = report_title(_, result)
    chart = await asyncio.to_thread(lambda: aftercare.render_chart(result, title, _))
    workbook = await asyncio.to_thread(render_workbook, result, _)
    chat = update.effective_chat
    assert chat is not None
    await context.bot.send_photo(
        chat.id, photo=chart, caption=summary(_, result, title)[:CAPTION_LIMIT]
    )
    first = result.first_day.isoformat() if result.first_day else "report"
    await context.bot.send_document(
        chat.id,
        document=InputFile(workbook, filename=f"bilan-{first}.xlsx"),
        caption=_("All the figures, one sheet per table, for Excel."),
    )


def register(application: Application) -> None:
    application.add_handler(CommandHandler("bilan", bilan_command))
    application.add_handler(CallbackQueryHandler(on_report, pattern=prefix_pattern(PREFIX)))
