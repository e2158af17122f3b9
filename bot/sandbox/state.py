"""Plain data records held by the sandbox (no I/O here, so they are trivial to reason about)."""

from __future__ import annotations

import asyncio
import io
import time
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

__all__ = [
    "Abandoned",
    "ApiError",
    "BotState",
    "CallbackRecord",
    "Fault",
    "PollContext",
    "RateLimit",
    "StoredFile",
    "StoredMessage",
    "UserInfo",
    "WebhookConfig",
    "image_size",
]


@dataclass(frozen=True)
class RateLimit:
    """Telegram-like flood limits, counted over a sliding one-second window."""

    global_per_second: int = 30
    per_chat_per_second: int = 1


class ApiError(Exception):
    """A Bot API error answer: becomes ``{"ok": false, "error_code": ..., ...}``."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class Abandoned(Exception):
    """The HTTP client went away while its request was parked: answer nothing, change nothing."""


class PollContext:
    """Per-request wake-up handle: lets long polls and held requests be woken or cancelled."""

    def __init__(self) -> None:
        self.closed = False
        self.superseded = False
        self._future: asyncio.Future[None] | None = None

    def wake(self) -> None:
        if self._future is not None and not self._future.done():
            self._future.set_result(None)

    def close(self) -> None:
        """Called when the HTTP connection is closed by the client."""
        self.closed = True
        self.wake()

    async def sleep(self, timeout: float | None) -> None:
        """Sleep until woken or timeout (None = until woken)."""
        self._future = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(self._future, timeout)
        except TimeoutError:
            pass
        finally:
            self._future = None


@dataclass
class UserInfo:
    """A simulated Telegram user; its private chat id equals its user id."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    def user_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    def chat_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        return data


def image_size(data: bytes) -> tuple[int, int]:
    """Width/height from image bytes when Pillow can read them, else (0, 0)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return int(image.width), int(image.height)
    except Exception:  # any unreadable image simply has unknown size
        return 0, 0


@dataclass
class StoredFile:
    """A file known to the sandbox (uploaded by the bot or sent by a user)."""

    file_id: str
    file_unique_id: str
    data: bytes
    kind: str  # "photo" | "document"
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0

    @property
    def file_path(self) -> str:
        folder = "photos" if self.kind == "photo" else "documents"
        suffix = ""
        if self.file_name and "." in self.file_name:
            suffix = "." + self.file_name.rsplit(".", 1)[1]
        elif self.kind == "photo":
            suffix = ".jpg"
        return f"{folder}/{self.file_unique_id}{suffix}"

    def photo_sizes(self) -> list[dict[str, Any]]:
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": self.width,
                "height": self.height,
                "file_size": len(self.data),
            }
        ]

    def document(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.file_name:
            data["file_name"] = self.file_name
        if self.mime_type:
            data["mime_type"] = self.mime_type
        return data

    def file_object(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass
class StoredMessage:
    """One message in a private chat, from the bot or from the user."""

    seq: int
    chat_id: int
    message_id: int
    from_bot: bool
    sender: dict[str, Any]
    kind: str  # "text" | "photo" | "document"
    text: str = ""  # plain text (or caption), entities already applied
    raw_text: str = ""  # as sent, markup included
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    file: StoredFile | None = None
    edits: list[str] = field(default_factory=list)
    deleted: bool = False
    date: int = field(default_factory=lambda: int(time.time()))
    edit_date: int | None = None
    reply_to_message_id: int | None = None

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]] | None:
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            keyboard: list[list[dict[str, Any]]] = self.reply_markup["inline_keyboard"]
            return keyboard
        return None

    def to_api(self, chat: dict[str, Any]) -> dict[str, Any]:
        """The Bot API ``Message`` object."""
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": chat,
            "from": self.sender,
        }
        text_key, entities_key = "text", "entities"
        if self.kind != "text":
            text_key, entities_key = "caption", "caption_entities"
        if self.text:
            data[text_key] = self.text
        if self.entities:
            data[entities_key] = self.entities
        if self.file is not None:
            if self.kind == "photo":
                data["photo"] = self.file.photo_sizes()
            else:
                data["document"] = self.file.document()
        if self.inline_keyboard is not None:
            data["reply_markup"] = {"inline_keyboard": self.inline_keyboard}
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        return data

    def to_control(self) -> dict[str, Any]:
        """The sandbox control view (what a simulated user sees)."""
        return {
            "seq": self.seq,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "date": self.date,
            "from_bot": self.from_bot,
            "kind": self.kind,
            "text": self.text,
            "raw_text": self.raw_text,
            "parse_mode": self.parse_mode,
            "entities": self.entities,
            "reply_markup": self.reply_markup,
            "file_id": self.file.file_id if self.file else None,
            "file_name": self.file.file_name if self.file else None,
            "mime_type": self.file.mime_type if self.file else None,
            "edits": list(self.edits),
            "deleted": self.deleted,
            "edit_date": self.edit_date,
            "reply_to_message_id": self.reply_to_message_id,
        }


@dataclass
class CallbackRecord:
    """A callback query sent by a user, and the bot's answer once given."""

    id: str
    user_id: int
    data: str | None
    message_id: int | None
    answered: bool = False
    answer: dict[str, Any] | None = None


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class Fault:
    """An injected failure for the next ``times`` calls of ``method`` (optionally one chat).

    ``kind`` "status" answers an error; "hang" holds the answer ``seconds`` (a client's read
    timeout); "drop" closes the connection with no answer. With ``deliver`` the method is
    carried out first (the message exists: the failure is ambiguous for the client).
    """

    method: str
    status: int
    description: str
    chat_id: int | None = None
    times: int = 1
    retry_after: int | None = None
    kind: str = "status"
    seconds: float = 0.0
    deliver: bool = False


@dataclass
class BotState:
    """Everything Telegram keeps for one bot token."""

    token: str
    bot_id: int
    username: str
    first_name: str
    users: dict[int, UserInfo] = field(default_factory=dict)
    chats: dict[int, dict[int, StoredMessage]] = field(default_factory=dict)
    next_message_id: dict[int, int] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)
    allowed_updates: list[str] | None = None
    polls: set[PollContext] = field(default_factory=set)
    current_poll: PollContext | None = None
    webhook: WebhookConfig | None = None
    webhook_task: asyncio.Task[None] | None = None
    webhook_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    callbacks: dict[str, CallbackRecord] = field(default_factory=dict)
    chat_actions: list[tuple[int, str]] = field(default_factory=list)
    log: list[StoredMessage] = field(default_factory=list)

    def user_dict(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def allocate_message_id(self, chat_id: int) -> int:
        message_id = self.next_message_id.get(chat_id, 0) + 1
        self.next_message_id[chat_id] = message_id
        return message_id
