"""Offline Telegram Bot API sandbox: a local server PTB talks to, and a user-simulating client."""

from .client import BotMessage, SandboxClient, User
from .server import RateLimit, SandboxServer, SandboxThread

__all__ = ["BotMessage", "RateLimit", "SandboxClient", "SandboxServer", "SandboxThread", "User"]
