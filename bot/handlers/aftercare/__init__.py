"""After the event: answering questionnaires, staff review, outcomes, `/bilan`.

Each module exposes `register(application)`; this package registers them in order.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext

from bot import clock
from bot.context import services
from bot.handlers.aftercare import editions, meeting, outcomes, report, review
from bot.outbox import wake
from bot.services.aftercare import schedule


def register(application: Application) -> None:
    for feature in (meeting, review, outcomes, report, editions):
        feature.register(application)
    if application.job_queue is not None:
        seconds = services(application).settings.aftercare_seconds
        application.job_queue.run_repeating(
            _aftercare_tick, interval=seconds, first=seconds, name="aftercare"
        )


async def _aftercare_tick(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Questionnaires due, reminders, expiry (`schedule.tick`), then the outbox sends."""
    if (await schedule.tick(services(context).database, clock.now())).queued:
        wake(context.application)
