"""After the event: answering questionnaires, staff review, outcomes, `/bilan`.

Each module exposes `register(application)`; this package registers them in order.
"""

from __future__ import annotations

from telegram.ext import Application

from bot.handlers.aftercare import meeting, outcomes, report, review


def register(application: Application) -> None:
    for feature in (meeting, review, outcomes, report):
        feature.register(application)
