"""User-simulating client for the sandbox: acts as Telegram users through ``/sandbox/...``.

It only speaks HTTP, so tests can drive a bot running in another process (or the demo can
script a conversation) exactly like in-process tests do.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["BotMessage", "SandboxClient", "SandboxError", "User"]


class SandboxError(RuntimeError):
    """A control endpoint answered with an error."""


@dataclass
class BotMessage:
    """A message as the user sees it (edits applied; ``text`` is the caption for media)."""

    message_id: int
    chat_id: int
    text: str
    kind: str  # "text" | "photo" | "document"
    from_bot: bool = True
    parse_mode: str | None = None
    raw_text: str = ""
    entities: list[dict[str, Any]] = field(default_factory=list)
    buttons: list[list[tuple[str, str | None]]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    photo: bytes | None = None
    document: bytes | None = None
    filename: str | None = None
    mime_type: str | None = None
    file_id: str | None = None
    edits: list[str] = field(default_factory=list)
    deleted: bool = False
    date: int = 0
    seq: int = 0

    @property
    def button_labels(self) -> list[str]:
        return [label for row in self.buttons for label, _ in row]

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Labels of a ReplyKeyboardMarkup sent with this message, if any."""
        if not self.reply_markup or "keyboard" not in self.reply_markup:
            return None
        return [
            [b if isinstance(b, str) else str(b.get("text", "")) for b in row]
            for row in self.reply_markup["keyboard"]
        ]

    def describe(self) -> str:
        flags = " (deleted)" if self.deleted else ""
        buttons = f" buttons={self.button_labels}" if self.buttons else ""
        who = "bot" if self.from_bot else "user"
        return f"#{self.message_id} [{who} {self.kind}]{flags} {self.text!r}{buttons}"


def _buttons(markup: dict[str, Any] | None) -> list[list[tuple[str, str | None]]]:
    if not markup or "inline_keyboard" not in markup:
        return []
    return [
        [(str(b.get("text", "")), b.get("callback_data", b.get("url"))) for b in row]
        for row in markup["inline_keyboard"]
    ]


class SandboxClient:
    """Async HTTP client for the sandbox control API, bound to one bot token."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)
        self._users: dict[int, User] = {}
        self._file_cache: dict[str, bytes] = {}

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------------ transport
    async def _request(
        self, verb: str, path: str, body: dict[str, Any] | None = None, **query: Any
    ) -> Any:
        params = {"token": self.token, **{k: v for k, v in query.items() if v is not None}}
        response = await self._http.request(verb, f"/sandbox/{path}", params=params, json=body)
        try:
            payload = response.json()
        except ValueError as exc:
            raise SandboxError(f"{verb} {path}: HTTP {response.status_code}") from exc
        if not payload.get("ok"):
            raise SandboxError(f"{verb} {path}: {payload.get('description')}")
        return payload["result"]

    async def file_bytes(self, file_id: str) -> bytes:
        """Raw bytes of any file the sandbox knows (cached: file contents never change)."""
        cached = self._file_cache.get(file_id)
        if cached is None:
            response = await self._http.get(f"/sandbox/files/{file_id}")
            if response.status_code != 200:
                raise SandboxError(f"file {file_id}: HTTP {response.status_code}")
            cached = self._file_cache[file_id] = response.content
        return cached

    async def _to_message(self, raw: dict[str, Any]) -> BotMessage:
        message = BotMessage(
            message_id=int(raw["message_id"]),
            chat_id=int(raw["chat_id"]),
            text=raw.get("text") or "",
            kind=raw["kind"],
            from_bot=bool(raw["from_bot"]),
            parse_mode=raw.get("parse_mode"),
            raw_text=raw.get("raw_text") or "",
            entities=raw.get("entities") or [],
            buttons=_buttons(raw.get("reply_markup")),
            reply_markup=raw.get("reply_markup"),
            filename=raw.get("file_name"),
            mime_type=raw.get("mime_type"),
            file_id=raw.get("file_id"),
            edits=list(raw.get("edits") or []),
            deleted=bool(raw.get("deleted")),
            date=int(raw.get("date") or 0),
            seq=int(raw.get("seq") or 0),
        )
        if message.file_id:
            data = await self.file_bytes(message.file_id)
            if message.kind == "photo":
                message.photo = data
            else:
                message.document = data
        return message

    async def _messages(self, path: str, **query: Any) -> list[BotMessage]:
        return await self.as_messages(await self._request("GET", path, **query))

    async def as_messages(self, raw: list[dict[str, Any]]) -> list[BotMessage]:
        """Messages as the sandbox's views give them (over HTTP, or in-process)."""
        return [await self._to_message(item) for item in raw]

    # ------------------------------------------------------------------ users
    def user(
        self,
        user_id: int,
        *,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "fr",
    ) -> User:
        """A simulated user (same object for the same id); chat id == user id."""
        existing = self._users.get(user_id)
        if existing is None:
            existing = User(self, user_id, first_name, last_name, username, language_code)
            self._users[user_id] = existing
        return existing

    async def user_action(self, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self._request("POST", "updates", body)
        return result

    # ------------------------------------------------------------------ server mirrors
    async def stats(self) -> dict[str, Any]:
        """Per-method calls, errors, 429 counts, sends total and per chat (keys as ints)."""
        stats: dict[str, Any] = await self._request("GET", "stats")
        stats["sends_per_chat"] = {int(k): v for k, v in stats["sends_per_chat"].items()}
        return stats

    async def fail_next(
        self,
        method: str,
        *,
        status: int = 500,
        description: str = "Internal Server Error",
        chat_id: int | None = None,
        times: int = 1,
        retry_after: int | None = None,
        kind: str = "status",
        seconds: float = 0.0,
        deliver: bool = False,
    ) -> None:
        """The next ``times`` calls of ``method`` fail: an error ``status`` (default), or
        ``kind="hang"`` (answer held ``seconds``) or ``kind="drop"`` (connection closed, no
        answer); with ``deliver`` the call is carried out first (see `SandboxServer`)."""
        body = {
            "method": method,
            "status": status,
            "description": description,
            "chat_id": chat_id,
            "times": times,
            "retry_after": retry_after,
            "kind": kind,
            "seconds": seconds,
            "deliver": deliver,
        }
        await self._request("POST", "fail", body)

    async def hang_next(
        self, method: str, seconds: float, *, deliver: bool, chat_id: int | None = None
    ) -> None:
        """The next call of ``method`` gets no answer for ``seconds`` (a read timeout)."""
        await self.fail_next(method, kind="hang", seconds=seconds, deliver=deliver, chat_id=chat_id)

    async def drop_next(self, method: str, *, deliver: bool, chat_id: int | None = None) -> None:
        """The next call of ``method`` has its connection closed with no answer."""
        await self.fail_next(method, kind="drop", deliver=deliver, chat_id=chat_id)

    async def block(self, user_id: int) -> None:
        await self._request("POST", "block", {"user_id": user_id, "blocked": True})

    async def unblock(self, user_id: int) -> None:
        await self._request("POST", "block", {"user_id": user_id, "blocked": False})

    async def hold_confirmations(self, on: bool) -> None:
        await self._request("POST", "hold", {"on": on})

    async def set_rate_limit(
        self, global_per_second: int | None, per_chat_per_second: int | None
    ) -> None:
        """Both None removes rate limiting."""
        body = {"global_per_second": global_per_second, "per_chat_per_second": per_chat_per_second}
        await self._request("POST", "rate_limit", body)

    async def delivery_count(self, update_id: int) -> int:
        result = await self._request("GET", f"deliveries/{update_id}")
        return int(result["count"])

    async def reset(self) -> None:
        await self._request("POST", "reset")
        self._file_cache.clear()

    async def commands(self) -> list[dict[str, Any]]:
        """Recorded setMyCommands: ``[{scope, language_code, commands}]``."""
        result: list[dict[str, Any]] = await self._request("GET", "commands")
        return result

    async def webhook_info(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._request("GET", "webhook")
        return result

    async def all_messages(self, *, include_user: bool = True) -> list[BotMessage]:
        """Every message of every chat in send order (bot and, by default, user messages)."""
        return await self._messages("messages", include_user=int(include_user))


class User:
    """One simulated Telegram user talking to the bot in a private chat."""

    def __init__(
        self,
        client: SandboxClient,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> None:
        self.client = client
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code

    @property
    def chat_id(self) -> int:
        return self.id

    def _user(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    async def _act(self, **body: Any) -> dict[str, Any]:
        return await self.client.user_action({"user": self._user(), **body})

    # ------------------------------------------------------------------ actions
    async def send(self, text: str) -> int:
        """Send a text message (``/commands`` get bot_command entities); returns update_id."""
        result = await self._act(kind="message", text=text)
        return int(result["update_id"])

    async def command(self, name: str, args: str | None = None) -> int:
        """Send ``/name args``; returns update_id."""
        text = f"/{name.lstrip('/')}"
        if args:
            text = f"{text} {args}"
        return await self.send(text)

    async def send_photo(self, data: bytes, caption: str | None = None) -> int:
        result = await self._act(
            kind="photo", data_b64=base64.b64encode(data).decode(), caption=caption
        )
        return int(result["update_id"])

    async def send_document(
        self,
        data: bytes,
        filename: str = "document.bin",
        *,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> int:
        result = await self._act(
            kind="document",
            data_b64=base64.b64encode(data).decode(),
            filename=filename,
            mime_type=mime_type,
            caption=caption,
        )
        return int(result["update_id"])

    async def send_voice(self) -> int:
        """A voice note (the bot cannot listen to it; it must still answer)."""
        return int((await self._act(kind="voice"))["update_id"])

    async def send_sticker(self) -> int:
        return int((await self._act(kind="sticker"))["update_id"])

    async def press(self, label: str) -> str:
        """Press the inline button ``label`` on the latest bot message showing it.

        Returns the callback query id. Raises AssertionError listing the available buttons.
        """
        messages = [m for m in await self.received() if not m.deleted]
        for wanted in (label, label.strip().casefold()):
            for message in reversed(messages):
                for row in (message.reply_markup or {}).get("inline_keyboard", []):
                    for button in row:
                        text = str(button.get("text", ""))
                        if text != wanted and text.strip().casefold() != wanted:
                            continue
                        if "callback_data" not in button:
                            raise AssertionError(
                                f"button {text!r} on message #{message.message_id} has no "
                                f"callback_data ({button})"
                            )
                        return await self.press_data(
                            str(button["callback_data"]), message_id=message.message_id
                        )
        available = [f"#{m.message_id}: {m.button_labels}" for m in messages if m.buttons]
        raise AssertionError(
            f"user {self.id}: no inline button {label!r}; available: {available or 'none'}"
        )

    async def press_data(self, data: str, message_id: int | None = None) -> str:
        """Send a callback query with arbitrary data (forged/stale presses).

        ``message_id`` None = the latest bot message; an unknown/deleted id yields an
        inaccessible message, as Telegram does.
        """
        result = await self._act(kind="callback_query", data=data, message_id=message_id)
        return str(result["callback_query_id"])

    # ------------------------------------------------------------------ observations
    async def received(self) -> list[BotMessage]:
        """Bot messages in this chat, oldest first (deleted ones flagged, edits applied)."""
        return await self.client._messages(f"chats/{self.id}/messages")

    async def conversation(self) -> list[BotMessage]:
        """Both sides of this chat, oldest first."""
        return await self.client._messages(f"chats/{self.id}/messages", include_user=1)

    async def last(self) -> BotMessage:
        """Latest non-deleted bot message; AssertionError if there is none."""
        messages = [m for m in await self.received() if not m.deleted]
        if not messages:
            raise AssertionError(f"user {self.id} has not received any message")
        return messages[-1]

    async def wait_for(
        self, predicate: Callable[[BotMessage], bool], timeout: float = 5.0
    ) -> BotMessage:
        """Poll until a non-deleted bot message matches; return the latest match.

        On timeout, raises AssertionError showing everything received, to make failures
        readable.
        """
        deadline = time.monotonic() + timeout
        while True:
            messages = await self.received()
            for message in reversed(messages):
                if not message.deleted and predicate(message):
                    return message
            if time.monotonic() >= deadline:
                listing = "\n".join(f"  {m.describe()}" for m in messages) or "  (nothing)"
                raise AssertionError(
                    f"user {self.id}: no matching message within {timeout}s; received:\n{listing}"
                )
            await asyncio.sleep(0.02)

    async def wait_for_count(self, count: int, timeout: float = 5.0) -> list[BotMessage]:
        """Poll until at least ``count`` bot messages were received; returns them all."""
        deadline = time.monotonic() + timeout
        while True:
            messages = await self.received()
            if len(messages) >= count:
                return messages
            if time.monotonic() >= deadline:
                listing = "\n".join(f"  {m.describe()}" for m in messages) or "  (nothing)"
                raise AssertionError(
                    f"user {self.id}: expected {count} messages within {timeout}s, got "
                    f"{len(messages)}:\n{listing}"
                )
            await asyncio.sleep(0.02)

    async def callback_answers(self) -> list[dict[str, Any]]:
        """answerCallbackQuery calls for this user's queries: text, show_alert, url, data."""
        result: list[dict[str, Any]] = await self.client._request(
            "GET", f"chats/{self.id}/callback_answers"
        )
        return result
