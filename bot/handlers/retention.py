"""The daily retention run: notices a month ahead, then erasure (`bot.services.retention`)."""

from __future__ import annotations

import logging

from telegram.ext import Application

from bot.context import services
from bot.handlers.common import Context
from bot.outbox import wake
from bot.services.retention import apply_retention

log = logging.getLogger(__name__)

JOB_NAME = "retention"
DAY_SECONDS = 24 * 60 * 60
FIRST_SECONDS = 5 * 60  # not in the rush of a start-up


async def run_retention(context: Context) -> None:
    app = services(context)
    done = await apply_retention(
        app.database, app.settings.retention_months, app.settings.staff_ids
    )
    if done.noticed or done.erased:
        log.info("Retention: %d notices queued, %d people erased", done.noticed, done.erased)
    if done.noticed:
        wake(context.application)


def register(application: Application) -> None:
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            run_retention, interval=DAY_SECONDS, first=FIRST_SECONDS, name=JOB_NAME
        )
