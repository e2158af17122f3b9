"""The three ways the bot runs: Telegram by polling, Telegram by webhook, offline demo."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.app import build_application
from bot.config import Settings
from bot.demo import run_demo


def run_online(settings: Settings) -> int:
    """Long polling, or a webhook when `PASSERELLE_WEBHOOK_URL` is set. Stops on SIGINT/SIGTERM."""
    application = build_application(settings)
    if settings.webhook_url:
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path="telegram",
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


def run_offline(settings: Settings, *, serve: bool = False) -> int:
    """No token: the local Bot API, the real bot, and a scripted conversation printed out."""
    return asyncio.run(run_demo(settings, serve=serve))
