"""Transport-independent sandbox engine: Bot API methods, simulated users, faults, limits.

The tornado layer in ``server.py`` only decodes HTTP into ``Params`` and calls
:meth:`Sandbox.call`; keeping the logic here makes it fast and testable without sockets.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import mimetypes
import re
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from .formatting import ParseError, parse_text, utf16_len
from .state import (
    Abandoned,
    ApiError,
    BotState,
    CallbackRecord,
    Fault,
    PollContext,
    RateLimit,
    StoredFile,
    StoredMessage,
    UserInfo,
    WebhookConfig,
    image_size,
)

__all__ = ["Params", "Sandbox", "UploadedFile"]

_LOGGER = logging.getLogger(__name__)

UploadedFile = tuple[str, bytes, str | None]  # filename, content, content type
_TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")
_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_BOT_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_RATE_LIMITED = {
    "sendmessage",
    "sendphoto",
    "senddocument",
    "editmessagetext",
    "editmessagecaption",
    "editmessagereplymarkup",
}
_SENDS = {"sendmessage", "sendphoto", "senddocument"}
_FAULT_KINDS = {"status", "hang", "drop"}
_NOTHING: Any = object()
_PARSE_MODES = {"html", "markdown", "markdownv2"}
_CHAT_NOT_FOUND = "Bad Request: chat not found"
_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a content and reply markup of the current message"
)


class Params:
    """Request parameters: JSON values keep their type, form values arrive as strings.

    PTB sends non-string values JSON-encoded in form fields, so accessors decode per type.
    """

    def __init__(self, values: dict[str, Any], files: dict[str, UploadedFile] | None = None):
        self.values = values
        self.files = files or {}
        self.method = ""

    def has(self, name: str) -> bool:
        return self.values.get(name) is not None

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(float(value)) if isinstance(value, float) else int(str(value).strip())
        except ValueError as exc:
            raise ApiError(400, f"Bad Request: invalid {name} specified") from exc

    def get_float(self, name: str, default: float = 0.0) -> float:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, f"Bad Request: invalid {name} specified") from exc

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in {"true", "1", "yes"}

    def get_json(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from exc
        return value

    def chat_id(self) -> int:
        value = self.values.get("chat_id")
        if value is None or value == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise ApiError(400, _CHAT_NOT_FOUND) from exc

    def maybe_chat_id(self) -> int | None:
        try:
            return int(self.values["chat_id"])
        except (KeyError, TypeError, ValueError):
            return None


Handler = Callable[[BotState, Params, PollContext], Awaitable[Any]]


class Sandbox:
    """All Telegram-side state of the sandbox, across bot tokens."""

    def __init__(
        self,
        *,
        bot_username: str = "passerelle_bot",
        bot_first_name: str = "Passerelle",
        rate_limit: RateLimit | None = None,
    ) -> None:
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.rate_limit = rate_limit
        self.bots: dict[str, BotState] = {}
        self.files: dict[str, StoredFile] = {}
        self.faults: list[Fault] = []
        self.blocked: set[int] = set()
        self.holding = False
        self.held: set[PollContext] = set()
        self.deliveries: Counter[int] = Counter()
        self.next_update_id = 1
        self.next_seq = 1
        self.next_callback_id = 1
        self._global_times: deque[float] = deque()
        self._chat_times: dict[int, deque[float]] = {}
        self._http: httpx.AsyncClient | None = None
        self._reset_stats()
        self._methods: dict[str, Handler] = {
            name[len("api_") :].lower(): getattr(self, name)
            for name in dir(self)
            if name.startswith("api_")
        }

    # ------------------------------------------------------------------ lifecycle / stats
    def _reset_stats(self) -> None:
        self.calls: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.rate_limited: Counter[str] = Counter()
        self.sends_per_chat: Counter[int] = Counter()
        self.sends_total = 0
        self.updates_total = 0

    async def close(self) -> None:
        """Cancel webhook deliveries, wake parked requests and close the webhook client."""
        for bot in self.bots.values():
            self._stop_webhook(bot)
            for poll in list(bot.polls):
                poll.close()
        for poll in list(self.held):
            poll.close()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def reset(self) -> None:
        """Forget chats, users, files, faults and stats for a fresh scenario.

        Bots keep their webhook and running long polls (a live bot is not disturbed), and
        update ids keep growing so the bot's getUpdates offset stays valid.
        """
        for bot in self.bots.values():
            bot.users.clear()
            bot.chats.clear()
            bot.next_message_id.clear()
            bot.pending.clear()
            bot.commands.clear()
            bot.callbacks.clear()
            bot.chat_actions.clear()
            bot.log.clear()
        self.files.clear()
        self.faults.clear()
        self.blocked.clear()
        self.set_hold(False)
        self.deliveries.clear()
        self._global_times.clear()
        self._chat_times.clear()
        self._reset_stats()

    def stats(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "errors": dict(self.errors),
            "rate_limited": dict(self.rate_limited),
            "rate_limited_total": sum(self.rate_limited.values()),
            "sends_total": self.sends_total,
            "sends_per_chat": {str(k): v for k, v in self.sends_per_chat.items()},
            "updates_total": self.updates_total,
            "pending_updates": sum(len(b.pending) for b in self.bots.values()),
        }

    # ------------------------------------------------------------------ bots / faults
    def bot(self, token: str) -> BotState:
        """The bot for ``token``, created on first use (any well-formed token is valid)."""
        bot = self.bots.get(token)
        if bot is None:
            match = _TOKEN_RE.match(token)
            if match is None:
                raise ApiError(401, "Unauthorized")
            bot = BotState(token, int(match.group(1)), self.bot_username, self.bot_first_name)
            self.bots[token] = bot
        return bot

    def default_bot(self, token: str | None) -> BotState:
        """Control endpoints may omit the token when exactly one bot exists."""
        if token:
            return self.bot(token)
        if len(self.bots) == 1:
            return next(iter(self.bots.values()))
        raise ApiError(400, "Bad Request: token query parameter required")

    def fail_next(
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
        """The next ``times`` calls of ``method`` fail: see `Fault` for the kinds."""
        if kind not in _FAULT_KINDS:
            raise ApiError(400, f"Bad Request: unknown fault kind {kind!r}")
        if status == 429 and retry_after is None:
            retry_after = 1
        self.faults.append(
            Fault(
                method.lower(),
                status,
                description,
                chat_id,
                times,
                retry_after,
                kind=kind,
                seconds=float(seconds),
                deliver=bool(deliver) and kind != "status",
            )
        )

    def block_user(self, user_id: int) -> None:
        self.blocked.add(int(user_id))

    def unblock_user(self, user_id: int) -> None:
        self.blocked.discard(int(user_id))

    def set_hold(self, on: bool) -> None:
        self.holding = bool(on)
        if not self.holding:
            for poll in list(self.held):
                poll.wake()

    def delivery_count(self, update_id: int) -> int:
        return self.deliveries.get(int(update_id), 0)

    def _take_fault(
        self, method: str, params: Params, *, delivered: Any = _NOTHING
    ) -> Fault | None:
        """The fault this call meets: before the action (``delivered`` left out) a status
        fault or one that does not deliver; after it, one that does.

        getUpdates has no chat_id: a fault after the action needs a non-empty answer, and its
        ``chat_id`` (if any) must be the chat of one of the updates handed out.
        """
        after = delivered is not _NOTHING
        chat_id = params.maybe_chat_id()
        for fault in self.faults:
            if fault.method != method or fault.deliver != after:
                continue
            if method == "getupdates" and after:
                updates = delivered if isinstance(delivered, list) else []
                chats = {_update_chat(update) for update in updates}
                if not updates or (fault.chat_id is not None and fault.chat_id not in chats):
                    continue
            elif fault.chat_id is not None and fault.chat_id != chat_id:
                continue
            fault.times -= 1
            if fault.times <= 0:
                self.faults.remove(fault)
            return fault
        return None

    # ------------------------------------------------------------------ dispatch
    async def call(
        self, token: str, method: str, params: Params, ctx: PollContext | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Run one Bot API method; returns (HTTP status, JSON body). Raises Abandoned."""
        name = method.lower()
        self.calls[method] += 1
        params.method = method
        try:
            bot = self.bot(token)
            handler = self._methods.get(name)
            if handler is None:
                raise ApiError(404, "Not Found")
            ctx = ctx or PollContext()
            fault = self._take_fault(name, params)
            if fault is not None:
                await self._meet(method, fault, ctx)  # raises
            result = await handler(bot, params, ctx)
            fault = self._take_fault(name, params, delivered=result)
            if fault is not None:
                await self._meet(method, fault, ctx)  # raises unless a hang ends in time
        except ApiError as exc:
            self.errors[f"{method}:{exc.status}"] += 1
            return exc.status, exc.payload()
        return 200, {"ok": True, "result": result}

    async def _meet(self, method: str, fault: Fault, ctx: PollContext) -> None:
        """Apply a fault: an error answer, no answer at all, or an answer held back.

        A hang ends early when the client gives up; one that outlasts it (or ends without
        delivering) closes the connection with no answer, like a drop.
        """
        if fault.kind == "status":
            raise ApiError(fault.status, fault.description, fault.retry_after)
        self.errors[f"{method}:{fault.kind}"] += 1
        if fault.kind == "hang" and fault.seconds > 0:
            await ctx.sleep(fault.seconds)
            if fault.deliver and not ctx.closed:
                return  # a slow answer that still arrives in time
        raise Abandoned

    # ------------------------------------------------------------------ shared checks
    def _chat(self, bot: BotState, chat_id: int) -> UserInfo:
        user = bot.users.get(chat_id)
        if user is None:
            raise ApiError(400, _CHAT_NOT_FOUND)
        return user

    def _writable_chat(self, bot: BotState, params: Params) -> UserInfo:
        user = self._chat(bot, params.chat_id())
        if user.id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return user

    def _throttle(self, method: str, chat_id: int) -> None:
        """Sliding-window flood control; only accepted calls consume the budget."""
        limit = self.rate_limit
        if limit is None:
            return
        now = time.monotonic()
        horizon = now - 1.0
        window = self._global_times
        while window and window[0] <= horizon:
            window.popleft()
        chat_window = self._chat_times.setdefault(chat_id, deque())
        while chat_window and chat_window[0] <= horizon:
            chat_window.popleft()
        wait = 0.0
        if limit.global_per_second > 0 and len(window) >= limit.global_per_second:
            wait = window[-limit.global_per_second] + 1.0 - now
        if limit.per_chat_per_second > 0 and len(chat_window) >= limit.per_chat_per_second:
            wait = max(wait, chat_window[-limit.per_chat_per_second] + 1.0 - now)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            self.rate_limited[method] += 1
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        window.append(now)
        chat_window.append(now)

    def _formatted(
        self, params: Params, key: str, *, caption: bool
    ) -> tuple[str, str, str | None, list[dict[str, Any]]]:
        """Validate text/caption like Telegram; returns (plain, raw, parse_mode, entities)."""
        raw = params.get_str(key, "") or ""
        parse_mode = params.get_str("parse_mode")
        if parse_mode and parse_mode.strip().lower() not in _PARSE_MODES:
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        try:
            plain, entities = parse_text(raw, parse_mode)
        except ParseError as exc:
            raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from exc
        explicit = params.get_json("caption_entities" if caption else "entities")
        if not parse_mode and isinstance(explicit, list):
            entities = explicit
        if caption:
            if utf16_len(plain) > 1024:
                raise ApiError(400, "Bad Request: message caption is too long")
        else:
            if not plain.strip():
                raise ApiError(400, "Bad Request: message text is empty")
            if len(plain) > 4096:
                raise ApiError(400, "Bad Request: message is too long")
        return plain, raw, parse_mode, entities

    def _reply_markup(self, params: Params) -> dict[str, Any] | None:
        markup = params.get_json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button")
            for row in rows:
                for button in row:
                    _check_inline_button(button)
        elif "keyboard" in markup:
            if not isinstance(markup["keyboard"], list):
                raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        return markup

    def _reply_to(self, params: Params) -> int | None:
        reply = params.get_json("reply_parameters")
        if isinstance(reply, dict) and reply.get("message_id") is not None:
            return int(reply["message_id"])
        return params.get_int("reply_to_message_id")

    def _store(
        self,
        bot: BotState,
        chat_id: int,
        *,
        from_bot: bool,
        sender: dict[str, Any],
        kind: str,
        **fields: Any,
    ) -> StoredMessage:
        message = StoredMessage(
            seq=self.next_seq,
            chat_id=chat_id,
            message_id=bot.allocate_message_id(chat_id),
            from_bot=from_bot,
            sender=sender,
            kind=kind,
            **fields,
        )
        self.next_seq += 1
        bot.chats.setdefault(chat_id, {})[message.message_id] = message
        bot.log.append(message)
        if from_bot:
            self.sends_total += 1
            self.sends_per_chat[chat_id] += 1
        return message

    def _message(self, bot: BotState, params: Params, action: str) -> StoredMessage:
        if params.has("inline_message_id"):
            raise ApiError(400, "Bad Request: inline messages are not supported by the sandbox")
        chat_id = params.chat_id()
        self._chat(bot, chat_id)
        message_id = params.get_int("message_id")
        message = bot.chats.get(chat_id, {}).get(message_id or 0)
        if message is None or message.deleted:
            raise ApiError(400, f"Bad Request: message to {action} not found")
        return message

    def _input_file(self, params: Params, key: str, kind: str) -> StoredFile:
        """Resolve an uploaded part, an ``attach://`` reference or a known file_id."""
        value = params.get_str(key)
        part = params.files.get(key)
        if value and value.startswith("attach://"):
            part = params.files.get(value[len("attach://") :])
        if part is not None:
            filename, content, content_type = part
            return self.add_file(content, kind, filename=filename, mime_type=content_type)
        if not value:
            raise ApiError(400, f"Bad Request: there is no {key} in the request")
        if value.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: failed to get HTTP URL content")
        known = self.files.get(value)
        if known is None:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        return known

    def add_file(
        self,
        data: bytes,
        kind: str,
        *,
        filename: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        unique = uuid.uuid4().hex[:16]
        prefix = "AgAC" if kind == "photo" else "BQAC"
        if kind == "document" and (not mime_type or mime_type == "application/octet-stream"):
            guessed = mimetypes.guess_type(filename or "")[0]
            mime_type = guessed or mime_type or "application/octet-stream"
        width, height = image_size(data) if kind == "photo" else (0, 0)
        stored = StoredFile(
            file_id=f"{prefix}{uuid.uuid4().hex}",
            file_unique_id=f"AQAD{unique}",
            data=data,
            kind=kind,
            file_name=filename if kind == "document" else None,
            mime_type=mime_type if kind == "document" else None,
            width=width,
            height=height,
        )
        self.files[stored.file_id] = stored
        return stored

    def file_by_path(self, path: str) -> StoredFile | None:
        for stored in self.files.values():
            if stored.file_path == path:
                return stored
        return None

    # ------------------------------------------------------------------ updates
    def enqueue(self, bot: BotState, payload: dict[str, Any]) -> int:
        """Queue an update for getUpdates / webhook delivery; returns its update_id."""
        update_id = self.next_update_id
        self.next_update_id += 1
        bot.pending.append({"update_id": update_id, **payload})
        self.updates_total += 1
        for poll in list(bot.polls):
            poll.wake()
        bot.webhook_wakeup.set()
        return update_id

    @staticmethod
    def _allowed(update: dict[str, Any], allowed: list[str] | None) -> bool:
        if not allowed:
            return True
        return any(key in update for key in allowed)

    def _ensure_user(self, bot: BotState, user: dict[str, Any]) -> UserInfo:
        info = UserInfo(
            id=int(user["id"]),
            first_name=str(user.get("first_name") or f"User{user['id']}"),
            last_name=user.get("last_name"),
            username=user.get("username"),
            language_code=user.get("language_code"),
        )
        bot.users[info.id] = info
        return info

    def user_action(self, bot: BotState, body: dict[str, Any]) -> dict[str, Any]:
        """A simulated user does something: message/photo/document/callback_query."""
        if "user" not in body or "id" not in body["user"]:
            raise ApiError(400, "Bad Request: user.id is required")
        user = self._ensure_user(bot, body["user"])
        kind = body.get("kind", "message")
        if kind == "callback_query":
            return self._user_callback(bot, user, body)
        fields: dict[str, Any] = {}
        stored_kind = "text"
        if kind == "message":
            text = str(body.get("text", ""))
            if not text:
                raise ApiError(400, "Bad Request: message text is empty")
            fields.update(text=text, raw_text=text, entities=_command_entities(text))
        elif kind in ("photo", "document"):
            data = base64.b64decode(body.get("data_b64", ""))
            stored_kind = kind
            fields["file"] = self.add_file(
                data, kind, filename=body.get("filename"), mime_type=body.get("mime_type")
            )
            caption = body.get("caption") or ""
            fields.update(text=caption, raw_text=caption)
        elif kind in ("voice", "sticker"):
            fields.update(text="", raw_text="")
        else:
            raise ApiError(400, f"Bad Request: unknown user action kind {kind!r}")
        message = self._store(
            bot, user.id, from_bot=False, sender=user.user_dict(), kind=stored_kind, **fields
        )
        api = message.to_api(user.chat_dict())
        if kind in ("voice", "sticker"):
            # Enough of Telegram's Voice / Sticker objects for a bot to tell what it got.
            api.pop("text", None)
            unique = f"{kind}{message.message_id}"
            api[kind] = (
                {"file_id": unique, "file_unique_id": unique, "duration": 3}
                if kind == "voice"
                else {
                    "file_id": unique,
                    "file_unique_id": unique,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": "👍",
                }
            )
        update_id = self.enqueue(bot, {"message": api})
        result: dict[str, Any] = {"update_id": update_id, "message_id": message.message_id}
        if message.file is not None:
            result["file_id"] = message.file.file_id
        return result

    def _user_callback(self, bot: BotState, user: UserInfo, body: dict[str, Any]) -> dict[str, Any]:
        message_id = body.get("message_id")
        chat = bot.chats.get(user.id, {})
        if message_id is None:
            own = [m for m in chat.values() if m.from_bot and not m.deleted]
            message_id = own[-1].message_id if own else None
        query_id = f"{user.id}{self.next_callback_id:08d}"
        self.next_callback_id += 1
        data = body.get("data")
        query: dict[str, Any] = {
            "id": query_id,
            "from": user.user_dict(),
            "chat_instance": f"{bot.bot_id}{user.id}",
        }
        if data is not None:
            query["data"] = str(data)
        message = chat.get(int(message_id)) if message_id is not None else None
        if message is not None and not message.deleted:
            query["message"] = message.to_api(user.chat_dict())
        else:
            # Telegram sends an InaccessibleMessage (date 0) for deleted/unknown messages.
            query["message"] = {
                "chat": user.chat_dict(),
                "message_id": int(message_id or 0),
                "date": 0,
            }
        bot.callbacks[query_id] = CallbackRecord(
            query_id, user.id, query.get("data"), int(message_id) if message_id else None
        )
        update_id = self.enqueue(bot, {"callback_query": query})
        return {"update_id": update_id, "callback_query_id": query_id}

    # ------------------------------------------------------------------ Bot API: meta
    async def api_getMe(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        return {
            **bot.user_dict(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def api_close(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        return True

    async def api_logOut(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        return True

    async def api_getChat(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        user = self._chat(bot, params.chat_id())
        return {**user.chat_dict(), "accent_color_id": 0, "max_reaction_count": 11}

    async def api_sendChatAction(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        user = self._writable_chat(bot, params)
        bot.chat_actions.append((user.id, params.get_str("action", "") or ""))
        return True

    async def api_setMyCommands(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        commands = params.get_json("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: commands must be an array")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        for command in commands:
            if not _BOT_COMMAND_RE.match(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        if commands:
            bot.commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            bot.commands.pop(key, None)
        return True

    async def api_getMyCommands(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        return bot.commands.get(self._commands_key(params), [])

    async def api_deleteMyCommands(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        bot.commands.pop(self._commands_key(params), None)
        return True

    @staticmethod
    def _commands_key(params: Params) -> tuple[str, str]:
        scope = params.get_json("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get_str("language_code", "") or ""

    async def api_setMyDescription(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        return True

    async def api_setMyShortDescription(
        self, bot: BotState, params: Params, ctx: PollContext
    ) -> Any:
        return True

    async def api_setChatMenuButton(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        return True

    # ------------------------------------------------------------------ Bot API: updates
    async def api_getUpdates(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        if bot.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if params.has("allowed_updates"):
            allowed = params.get_json("allowed_updates")
            bot.allowed_updates = list(allowed) if allowed else None
        offset = params.get_int("offset")
        limit = max(1, min(100, params.get_int("limit", 100) or 100))
        timeout = max(0.0, params.get_float("timeout", 0.0))
        # A newer getUpdates terminates the previous one, as on Telegram.
        if bot.current_poll is not None and bot.current_poll is not ctx:
            bot.current_poll.superseded = True
            bot.current_poll.wake()
        bot.current_poll = ctx
        try:
            if offset is not None:
                await self._confirm(bot, offset, ctx)
            selected = self._select(bot, limit)
            if not selected and timeout > 0:
                bot.polls.add(ctx)
                deadline = time.monotonic() + timeout
                try:
                    while not selected and not ctx.closed and not ctx.superseded:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            break
                        await ctx.sleep(remaining)
                        selected = self._select(bot, limit)
                finally:
                    bot.polls.discard(ctx)
            if ctx.closed:
                raise Abandoned
            if ctx.superseded:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
        finally:
            if bot.current_poll is ctx:
                bot.current_poll = None
        for update in selected:
            self.deliveries[update["update_id"]] += 1
        return selected

    async def _confirm(self, bot: BotState, offset: int, ctx: PollContext) -> None:
        """Drop confirmed updates; park the request first while confirmations are held."""
        if offset < 0:
            keep = bot.pending[offset:]
            first = keep[0]["update_id"] if keep else self.next_update_id
        else:
            first = offset
        while self.holding and any(u["update_id"] < first for u in bot.pending):
            self.held.add(ctx)
            try:
                await ctx.sleep(None)
            finally:
                self.held.discard(ctx)
            if ctx.closed:
                raise Abandoned
        bot.pending = [u for u in bot.pending if u["update_id"] >= first]

    def _select(self, bot: BotState, limit: int) -> list[dict[str, Any]]:
        allowed = bot.allowed_updates
        return [u for u in bot.pending if self._allowed(u, allowed)][:limit]

    async def api_setWebhook(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        url = params.get_str("url", "") or ""
        if not url:
            return await self.api_deleteWebhook(bot, params, ctx)
        if not url.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        secret = params.get_str("secret_token")
        if secret is not None and not _SECRET_RE.match(secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if params.get_bool("drop_pending_updates"):
            bot.pending.clear()
        allowed = params.get_json("allowed_updates") if params.has("allowed_updates") else None
        self._stop_webhook(bot)
        bot.webhook = WebhookConfig(
            url=url,
            secret_token=secret,
            max_connections=max(1, min(100, params.get_int("max_connections", 40) or 40)),
            allowed_updates=list(allowed) if allowed else None,
        )
        if bot.current_poll is not None:
            bot.current_poll.superseded = True
            bot.current_poll.wake()
        bot.webhook_task = asyncio.get_running_loop().create_task(self._deliver(bot, bot.webhook))
        return True

    async def api_deleteWebhook(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        self._stop_webhook(bot)
        bot.webhook = None
        if params.get_bool("drop_pending_updates"):
            bot.pending.clear()
        return True

    async def api_getWebhookInfo(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        hook = bot.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(bot.pending),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.allowed_updates:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    def _stop_webhook(self, bot: BotState) -> None:
        if bot.webhook_task is not None:
            bot.webhook_task.cancel()
            bot.webhook_task = None

    async def _deliver(self, bot: BotState, hook: WebhookConfig) -> None:
        """POST pending updates to the webhook: in order per chat, chats in parallel."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=10.0)
        semaphore = asyncio.Semaphore(hook.max_connections)
        while bot.webhook is hook:
            bot.webhook_wakeup.clear()
            batch = [u for u in bot.pending if self._allowed(u, hook.allowed_updates)][:100]
            if not batch:
                # Updates the webhook does not want are confirmed immediately, as on Telegram.
                bot.pending.clear()
                await bot.webhook_wakeup.wait()
                continue
            groups: dict[int, list[dict[str, Any]]] = {}
            for update in batch:
                groups.setdefault(_update_chat(update), []).append(update)
            await asyncio.gather(
                *(self._post_group(bot, hook, group, semaphore) for group in groups.values())
            )
            # Everything up to the batch's end is delivered or unwanted: confirm it.
            last = batch[-1]["update_id"]
            bot.pending = [u for u in bot.pending if u["update_id"] > last]

    async def _post_group(
        self,
        bot: BotState,
        hook: WebhookConfig,
        group: list[dict[str, Any]],
        semaphore: asyncio.Semaphore,
    ) -> None:
        assert self._http is not None
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        for update in group:
            delay = 0.05
            while bot.webhook is hook:
                self.deliveries[update["update_id"]] += 1
                try:
                    async with semaphore:
                        response = await self._http.post(
                            hook.url, content=json.dumps(update), headers=headers
                        )
                    if 200 <= response.status_code < 300:
                        break
                    error = f"Wrong response from the webhook: {response.status_code}"
                except httpx.HTTPError as exc:
                    error = f"Connection failed: {exc!r}"
                hook.last_error_date = int(time.time())
                hook.last_error_message = error
                _LOGGER.debug("webhook delivery failed (%s), retrying in %.2fs", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    # ------------------------------------------------------------------ Bot API: messages
    async def api_sendMessage(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        user = self._writable_chat(bot, params)
        plain, raw, parse_mode, entities = self._formatted(params, "text", caption=False)
        markup = self._reply_markup(params)
        self._throttle("sendMessage", user.id)
        message = self._store(
            bot,
            user.id,
            from_bot=True,
            sender=bot.user_dict(),
            kind="text",
            text=plain,
            raw_text=raw,
            parse_mode=parse_mode,
            entities=entities,
            reply_markup=markup,
            reply_to_message_id=self._reply_to(params),
        )
        return message.to_api(user.chat_dict())

    async def _send_file(self, bot: BotState, params: Params, kind: str, method: str) -> Any:
        user = self._writable_chat(bot, params)
        plain, raw, parse_mode, entities = self._formatted(params, "caption", caption=True)
        markup = self._reply_markup(params)
        stored = self._input_file(params, kind, kind)
        self._throttle(method, user.id)
        message = self._store(
            bot,
            user.id,
            from_bot=True,
            sender=bot.user_dict(),
            kind=kind,
            text=plain,
            raw_text=raw,
            parse_mode=parse_mode,
            entities=entities,
            reply_markup=markup,
            file=stored,
            reply_to_message_id=self._reply_to(params),
        )
        return message.to_api(user.chat_dict())

    async def api_sendPhoto(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        return await self._send_file(bot, params, "photo", "sendPhoto")

    async def api_sendDocument(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        return await self._send_file(bot, params, "document", "sendDocument")

    async def api_editMessageText(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        user = self._writable_chat(bot, params)
        message = self._message(bot, params, "edit")
        if message.kind != "text":
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        plain, raw, parse_mode, entities = self._formatted(params, "text", caption=False)
        return self._apply_edit(bot, user, message, params, plain, raw, parse_mode, entities)

    async def api_editMessageCaption(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        user = self._writable_chat(bot, params)
        message = self._message(bot, params, "edit")
        if message.kind == "text":
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        plain, raw, parse_mode, entities = self._formatted(params, "caption", caption=True)
        return self._apply_edit(bot, user, message, params, plain, raw, parse_mode, entities)

    async def api_editMessageReplyMarkup(
        self, bot: BotState, params: Params, ctx: PollContext
    ) -> Any:
        user = self._writable_chat(bot, params)
        message = self._message(bot, params, "edit")
        return self._apply_edit(
            bot,
            user,
            message,
            params,
            message.text,
            message.raw_text,
            message.parse_mode,
            message.entities,
        )

    def _apply_edit(
        self,
        bot: BotState,
        user: UserInfo,
        message: StoredMessage,
        params: Params,
        plain: str,
        raw: str,
        parse_mode: str | None,
        entities: list[dict[str, Any]],
    ) -> Any:
        if not message.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        # Omitting reply_markup removes the inline keyboard, exactly like Telegram.
        markup = self._reply_markup(params)
        if markup is not None and "inline_keyboard" not in markup:
            raise ApiError(400, "Bad Request: inline keyboard expected")
        new_keyboard = markup["inline_keyboard"] if markup else None
        if (
            plain == message.text
            and entities == message.entities
            and new_keyboard == message.inline_keyboard
        ):
            raise ApiError(400, _NOT_MODIFIED)
        self._throttle(params.method, user.id)
        if plain != message.text:
            message.edits.append(message.text)
        message.text, message.raw_text, message.parse_mode = plain, raw, parse_mode
        message.entities = entities
        message.reply_markup = markup
        message.edit_date = int(time.time())
        return message.to_api(user.chat_dict())

    async def api_deleteMessage(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        message = self._message(bot, params, "delete")
        message.deleted = True
        return True

    async def api_answerCallbackQuery(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        record = bot.callbacks.get(params.get_str("callback_query_id", "") or "")
        if record is None or record.answered:
            raise ApiError(400, _QUERY_TOO_OLD)
        text = params.get_str("text")
        if text is not None and len(text) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        record.answered = True
        record.answer = {
            "callback_query_id": record.id,
            "text": text,
            "show_alert": params.get_bool("show_alert"),
            "url": params.get_str("url"),
            "cache_time": params.get_int("cache_time", 0),
        }
        return True

    async def api_getFile(self, bot: BotState, params: Params, ctx: PollContext) -> Any:
        stored = self.files.get(params.get_str("file_id", "") or "")
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return stored.file_object()

    # ------------------------------------------------------------------ control views
    def chat_messages(
        self, bot: BotState, chat_id: int, *, include_user: bool = False
    ) -> list[dict[str, Any]]:
        messages = bot.chats.get(chat_id, {}).values()
        return [m.to_control() for m in messages if include_user or m.from_bot]

    def all_messages(self, bot: BotState, *, include_user: bool = True) -> list[dict[str, Any]]:
        return [m.to_control() for m in bot.log if include_user or m.from_bot]

    def callback_answers(self, bot: BotState, user_id: int | None) -> list[dict[str, Any]]:
        return [
            {**(r.answer or {}), "data": r.data, "message_id": r.message_id, "user_id": r.user_id}
            for r in bot.callbacks.values()
            if r.answered and (user_id is None or r.user_id == user_id)
        ]

    def commands_view(self, bot: BotState) -> list[dict[str, Any]]:
        return [
            {"scope": json.loads(scope), "language_code": lang, "commands": commands}
            for (scope, lang), commands in bot.commands.items()
        ]


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not str(button.get("text", "")):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text is empty")
    actions = [
        k
        for k in (
            "url",
            "callback_data",
            "switch_inline_query",
            "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat",
            "web_app",
            "login_url",
            "pay",
            "callback_game",
            "copy_text",
        )
        if k in button
    ]
    if not actions:
        raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = str(button["callback_data"]).encode("utf-8")
        if not 1 <= len(data) <= 64:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    if "url" in button and not re.match(r"^(https?|tg)://\S+$", str(button["url"])):
        raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")


def _command_entities(text: str) -> list[dict[str, Any]]:
    """Telegram marks ``/commands`` in user text as bot_command entities (UTF-16 offsets)."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group(0)),
        }
        for match in _COMMAND_RE.finditer(text)
    ]


def _update_chat(update: dict[str, Any]) -> int:
    for key, value in update.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        chat = value.get("chat") or (value.get("message") or {}).get("chat")
        if chat:
            return int(chat["id"])
        sender = value.get("from")
        if sender:
            return int(sender["id"])
    return 0
