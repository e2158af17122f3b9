"""`/bilan`'s picture: one tall PNG meant to be read on a phone.

Four panels, one under the other, large type, French labels: who came, the rates (meetings
that happened, attendance, answers), employers' levels per theme, and outcomes at the
follow-ups counted in one funder's categories. Figures under `MIN_BASE` people show "< 5"
and no bar (`report.show`). Drawn with matplotlib's object API on the Agg canvas: no
pyplot, no global state, safe in a server.
"""

from __future__ import annotations

import io
import textwrap

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.db.models.aftercare import QuestionnaireKind
from bot.db.models.people import Role
from bot.i18n import N_, Translator
from bot.services.aftercare.funders import Scheme
from bot.services.aftercare.report import Report, Share, show

WIDTH_INCHES, HEIGHT_INCHES, DPI = 8.0, 15.0, 110
TITLE_SIZE, PANEL_SIZE, LABEL_SIZE, VALUE_SIZE = 22, 19, 16, 15
CANDIDATES_COLOUR, EMPLOYERS_COLOUR, OTHER_COLOUR = "#1f6fb2", "#e07b00", "#2e8b57"
LATER_COLOUR, EMPTY_COLOUR = "#8e44ad", "#666666"
ANSWERS: dict[str, str] = {
    QuestionnaireKind.CANDIDATE_MEETING: N_("Candidates answered"),
    QuestionnaireKind.EMPLOYER_CARD: N_("Employers answered"),
    QuestionnaireKind.FOLLOW_UP: N_("Follow-ups answered"),
}


def _wrap(text: str, width: int = 22) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _plain_axes(axes: Axes, title: str) -> None:
    axes.set_title(title, fontsize=PANEL_SIZE, fontweight="bold", loc="left")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(labelsize=LABEL_SIZE)


def _participation(axes: Axes, report: Report, _: Translator) -> None:
    _plain_axes(axes, _.plain("Who came"))
    labels = [
        _.plain("Registered"),
        _.plain("Confirmed"),
        _.plain("Present"),
        _.plain("Absent without notice"),
    ]
    width = 0.38
    for offset, role, name, colour in (
        (-width / 2, Role.CANDIDATE, _.plain("Candidates"), CANDIDATES_COLOUR),
        (width / 2, Role.EMPLOYER, _.plain("Employers"), EMPLOYERS_COLOUR),
    ):
        line = report.total(role)
        values = [line.registered, line.confirmed, line.present, line.absent_without_notice]
        bars = axes.bar(
            [index + offset for index in range(len(values))],
            values,
            width,
            label=name,
            color=colour,
        )
        axes.bar_label(bars, fontsize=VALUE_SIZE, padding=2)
    axes.set_xticks(range(len(labels)), [_wrap(label, 12) for label in labels])
    axes.set_yticks([])
    axes.spines["left"].set_visible(False)
    axes.margins(y=0.2)
    axes.legend(fontsize=LABEL_SIZE, frameon=False, loc="upper right")


def _shares(axes: Axes, title: str, rows: list[tuple[str, Share]], _: Translator) -> None:
    """Horizontal bars from 0 to 100 %; "< 5" and no bar where the base is too small."""
    _plain_axes(axes, title)
    positions = list(range(len(rows)))[::-1]
    for position, (_label, share) in zip(positions, rows, strict=True):
        value = share.value
        if value is not None:
            axes.barh(position, value * 100, color=CANDIDATES_COLOUR, height=0.6)
        axes.text(
            (value or 0) * 100 + 2,
            position,
            show(_, share),
            va="center",
            fontsize=VALUE_SIZE,
            color=EMPTY_COLOUR if value is None else "black",
        )
    axes.set_yticks(positions, [_wrap(label) for label, _share in rows])
    axes.set_xlim(0, 118)
    axes.set_xticks([0, 50, 100], ["0 %", "50 %", "100 %"])


def _themes(axes: Axes, report: Report, _: Translator) -> None:
    _plain_axes(axes, _.plain("Employers' view (1 to 4)"))
    rows = [(_.plain(theme.label), theme.average) for theme in report.themes]
    rows.append((_.plain("Candidates' rating of the meeting"), report.rating))
    positions = list(range(len(rows)))[::-1]
    for position, (_label, average) in zip(positions, rows, strict=True):
        value = average.value
        colour = OTHER_COLOUR if position == 0 else EMPLOYERS_COLOUR
        if value is not None:
            axes.barh(position, value, color=colour, height=0.6)
        text = show(_, average)
        if value is not None:
            text = _.plain("{value} ({count} answers)", value=text, count=average.count)
        axes.text(
            (value or 0) + 0.08,
            position,
            text,
            va="center",
            fontsize=VALUE_SIZE,
            color=EMPTY_COLOUR if value is None else "black",
        )
    axes.set_yticks(positions, [_wrap(label) for label, _average in rows])
    axes.set_xlim(0, 5.6)
    axes.set_xticks([1, 2, 3, 4])


def _outcomes(axes: Axes, report: Report, scheme: Scheme, _: Translator) -> None:
    _plain_axes(axes, _.plain("Where candidates stand"))
    follow_ups = report.follow_ups
    if not follow_ups:
        return
    categories = follow_ups[0].categories(scheme)
    height = 0.8 / len(follow_ups)
    colours = (CANDIDATES_COLOUR, LATER_COLOUR, OTHER_COLOUR, EMPLOYERS_COLOUR)
    top = len(categories) - 1
    for index, follow_up in enumerate(follow_ups):
        shares = follow_up.categories(scheme)
        positions = [top - row + 0.4 - height * (index + 0.5) for row in range(len(shares))]
        name = _.plain(
            "After {days} days ({count} answers)",
            days=follow_up.offset_days,
            count=follow_up.people,
        )
        bars = axes.barh(
            positions,
            [share.share.count for share in shares],
            height,
            color=colours[index % len(colours)],
            label=name,
        )
        axes.bar_label(
            bars,
            [f"{share.share.count} · {show(_, share.share)}" for share in shares],
            fontsize=VALUE_SIZE - 2,
            padding=3,
        )
    axes.set_yticks(
        [top - row for row in range(len(categories))],
        [_wrap(_.plain(category.label)) for category in categories],
    )
    axes.set_xticks([])
    axes.spines["bottom"].set_visible(False)
    axes.margins(x=0.45)
    axes.legend(
        fontsize=LABEL_SIZE - 2, frameon=False, loc="upper center", bbox_to_anchor=(0.4, 0.0)
    )


def render_chart(report: Report, title: str, _: Translator, scheme: Scheme = Scheme.IAE) -> bytes:
    """The PNG of the report; `title` names the event or programme and its dates."""
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(_wrap(title, 40), fontsize=TITLE_SIZE, fontweight="bold")
    top, rates, themes, outcomes = figure.subplots(
        4, 1, gridspec_kw={"height_ratios": [1.0, 1.4, 1.2, 1.3]}
    )
    _participation(top, report, _)
    _shares(
        rates,
        _.plain("Rates"),
        [
            (_.plain("The meeting took place"), report.meetings),
            (_.plain("Candidates present"), report.total(Role.CANDIDATE).attendance),
            *[(_.plain(ANSWERS[r.kind]), r.rate) for r in report.responses],
            (_.plain("Jobs matching their wishes"), report.wishes_met),
        ],
        _,
    )
    _themes(themes, report, _)
    _outcomes(outcomes, report, scheme, _)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()
