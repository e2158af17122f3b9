"""`/bilan`'s workbook: one sheet per table of the report, and the raw answers.

Staff paste these tables into their funders' forms, so each sheet is a plain table with one
header row. Shares and averages under `MIN_BASE` people are written "< 5", as everywhere
else. The raw answers carry internal person ids only: no name, no free text (a comment may
name someone).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.db.models.people import Role
from bot.i18n import N_, Translator
from bot.services.aftercare.funders import SCHEME_LABELS, Scheme
from bot.services.aftercare.report import (
    NEXT_STEPS,
    THEMES,
    TOO_FEW,
    Average,
    Median,
    Participation,
    RawAnswer,
    Report,
    Share,
)

Cell = str | int | float | None
FORMULA_STARTS = ("=", "+", "-", "@")
PERCENT, DECIMAL = "0%", "0.0"
# The raw answers' codes in words.
SOURCES = {
    "meeting": N_("Did the meeting take place?"),
    "candidate": N_("Candidate's view"),
    "employer": N_("Employer's card"),
    "outcome": N_("Follow-up"),
}
QUESTIONS = {
    "happened": N_("The meeting took place"),
    "rating": N_("Rating (1 to 4)"),
    **dict(THEMES),
    "next_step": N_("What next"),
    "situation": N_("Situation"),
    "start_date": N_("Start date"),
    "contract": N_("Contract"),
    "duration": N_("Length"),
    "from_event": N_("Thanks to the event"),
    "matches_wishes": N_("Matches their wishes"),
    "by_staff": N_("Recorded by the team"),
}
ANSWERS = {
    "yes": N_("yes"),
    "no": N_("no"),
    "partly": N_("partly"),
    "absent": N_("the other person did not come"),
    "self": N_("could not come"),
    "job": N_("job"),
    "training": N_("training"),
    "internship": N_("internship"),
    "searching": N_("looking for work"),
    "other": N_("other"),
    "cdi": N_("permanent contract (CDI)"),
    "cdd": N_("fixed-term contract (CDD)"),
    "interim": N_("temporary work"),
    "aided": N_("subsidised contract"),
    "own": N_("business of their own"),
    "lt1": N_("under a month"),
    "1to6": N_("one to six months"),
    "6plus": N_("six months or more"),
    "open": N_("no end date"),
    **dict(NEXT_STEPS),
}


def _safe(value: Cell) -> Cell:
    """Text never becomes a formula in Excel (an event named "=…")."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _sheet(
    workbook: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> Worksheet:
    sheet = workbook.create_sheet(title[:31])
    sheet.append([_safe(header) for header in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_safe(value) for value in row])
    for index, header in enumerate(headers, start=1):
        width = max(
            len(str(header)), *(len(str(c.value or "")) for c in sheet[get_column_letter(index)])
        )
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, 60)
    sheet.freeze_panes = "A2"
    return sheet


def _value(figure: Share | Average | Median) -> Cell:
    """The number Excel can use, or "< 5"."""
    value = figure.value
    return TOO_FEW if value is None else round(value, 4)


def _formats(sheet: Worksheet, column: str, number_format: str) -> None:
    for cell in sheet[column][1:]:
        if isinstance(cell.value, int | float):
            cell.number_format = number_format


def _role(_: Translator, role: str) -> str:
    return _.plain("Candidates") if role == Role.CANDIDATE else _.plain("Employers")


def _participation_rows(_: Translator, report: Report) -> list[list[Cell]]:
    lines: list[Participation] = [*report.participation, *report.totals]
    rows: list[list[Cell]] = []
    for line in lines:
        if line.site is None:
            site = _.plain("All sites")
        else:
            site = line.site or _.plain("No site (remote)")
        rows.append(
            [
                site,
                _role(_, line.role),
                line.registered,
                line.confirmed,
                line.present,
                line.absent_without_notice,
                line.withdrawn,
                _value(line.attendance),
            ]
        )
    return rows


def _words(_: Translator, table: dict[str, str], code: str) -> str:
    return _.plain(table[code]) if code in table else code


def _raw_row(_: Translator, answer: RawAnswer) -> list[Cell]:
    value: Cell = answer.answer
    if answer.question == "start_date" and answer.answer:
        value = "/".join(reversed(answer.answer.split("-")))
    elif answer.answer.isdigit():
        value = int(answer.answer)
    else:
        value = _words(_, ANSWERS, answer.answer)
    return [
        answer.event_id,
        _words(_, SOURCES, answer.source),
        answer.offset_days,
        answer.person_id,
        answer.about_id,
        _words(_, QUESTIONS, answer.question),
        value,
    ]


def render_workbook(report: Report, _: Translator) -> bytes:
    """The `.xlsx` file of the report."""
    workbook = Workbook()
    if workbook.active is not None:
        workbook.remove(workbook.active)
    _sheet(
        workbook,
        _.plain("Events"),
        [_.plain("Event id"), _.plain("Name"), _.plain("Date"), _.plain("Programme")],
        ([e.id, e.name, e.day.strftime("%d/%m/%Y"), e.programme or ""] for e in report.events),
    )
    sheet = _sheet(
        workbook,
        _.plain("Participation"),
        [
            _.plain("Site"),
            _.plain("Role"),
            _.plain("Registered"),
            _.plain("Confirmed"),
            _.plain("Present"),
            _.plain("Absent without notice"),
            _.plain("Withdrawn"),
            _.plain("Attendance rate"),
        ],
        _participation_rows(_, report),
    )
    _formats(sheet, "H", PERCENT)
    sheet = _sheet(
        workbook,
        _.plain("Meetings"),
        [_.plain("It took place"), _.plain("Answers"), _.plain("Share")],
        [[report.meetings.count, report.meetings.base, _value(report.meetings)]],
    )
    _formats(sheet, "C", PERCENT)
    sheet = _sheet(
        workbook,
        _.plain("Employers' view"),
        [_.plain("Theme"), _.plain("Average (1 to 4)"), _.plain("Answers")],
        [[_.plain(t.label), _value(t.average), t.average.count] for t in report.themes],
    )
    _formats(sheet, "B", DECIMAL)
    sheet = _sheet(
        workbook,
        _.plain("Candidates' ratings"),
        [_.plain("Rating (1 to 4)"), _.plain("Answers")],
        [
            *([level, count] for level, count in report.ratings),
            [_.plain("Average"), _value(report.rating)],
            [_.plain("Answers"), report.rating.count],
        ],
    )
    _sheet(
        workbook,
        _.plain("What next"),
        [_.plain("Employers' answer"), _.plain("Candidates")],
        [[_.plain(step.label), step.count] for step in report.next_steps],
    )
    sheet = _sheet(
        workbook,
        _.plain("Outcomes"),
        [
            _.plain("Days after the event"),
            _.plain("Funder"),
            _.plain("Category"),
            _.plain("People"),
            _.plain("Answers"),
            _.plain("Share"),
        ],
        [
            [
                follow_up.offset_days,
                _.plain(SCHEME_LABELS[scheme]),
                _.plain(category.label),
                category.share.count,
                category.share.base,
                _value(category.share),
            ]
            for follow_up in report.follow_ups
            for scheme in Scheme
            for category in follow_up.categories(scheme)
        ],
    )
    _formats(sheet, "F", PERCENT)
    sheet = _sheet(
        workbook,
        _.plain("Jobs and wishes"),
        [_.plain("Figure"), _.plain("Value"), _.plain("People")],
        [
            [_.plain("Median days to a job"), _value(report.days_to_job), report.days_to_job.count],
            [
                _.plain("Jobs matching their wishes"),
                _value(report.wishes_met),
                report.wishes_met.base,
            ],
            [
                _.plain("Jobs partly matching their wishes"),
                _value(report.wishes_partly),
                report.wishes_partly.base,
            ],
        ],
    )
    for cell in (sheet["B3"], sheet["B4"]):
        if isinstance(cell.value, int | float):
            cell.number_format = PERCENT
    sheet = _sheet(
        workbook,
        _.plain("Questionnaires"),
        [
            _.plain("Questionnaire"),
            _.plain("Sent"),
            _.plain("Answered"),
            _.plain("Declined"),
            _.plain("Expired"),
            _.plain("Waiting"),
            _.plain("Answer rate"),
        ],
        [
            [_.plain(r.label), r.sent, r.answered, r.declined, r.expired, r.waiting, _value(r.rate)]
            for r in report.responses
        ],
    )
    _formats(sheet, "G", PERCENT)
    _sheet(
        workbook,
        _.plain("No longer answering"),
        [_.plain("Person id")],
        ([person.person_id] for person in report.silent),
    )
    _sheet(
        workbook,
        _.plain("Raw answers"),
        [
            _.plain("Event id"),
            _.plain("Source"),
            _.plain("Days after the event"),
            _.plain("Person id"),
            _.plain("About person id"),
            _.plain("Question"),
            _.plain("Answer"),
        ],
        (_raw_row(_, answer) for answer in report.raw),
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
