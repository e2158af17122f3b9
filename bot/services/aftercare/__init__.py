"""After the event: questionnaires, feedback, outcomes, the staff report and next editions.

- `schedule`: creates the questionnaires when rounds end and at follow-up offsets, sends
  their first question through the outbox, reminds twice (24 h, 72 h), closes after 7 days,
  stops asking people who ignored three in a row; never for a cancelled event or someone
  who withdrew or erased their data.
- `questions`: the first question of each kind of questionnaire, its answer codes and buttons.
- `meeting`: "did it happen?", candidates' feedback, employers' cards.
- `review`: staff review of employers' cards and their delivery to candidates.
- `outcomes`: follow-up answers, and outcomes staff record for people who do not answer.
- `funders`: funders' categories computed from an outcome (data in `funders.toml`).
- `report`: the `/bilan` figures, chart and workbook.
- `editions`: the next edition of an event, and the pairs who met before.

Services take and return plain typed values; handlers live in `bot.handlers.aftercare`.

The chart of the report (matplotlib, a third of a second to load) is loaded the first time
it is drawn, not when the bot starts: use it as `aftercare.render_chart(...)`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.services.aftercare.report_chart import render_chart

__all__ = ["render_chart"]


def __getattr__(name: str) -> object:
    """`render_chart`, loaded on first use."""
    if name != "render_chart":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = importlib.import_module("bot.services.aftercare.report_chart").render_chart
    globals()[name] = value
    return value
