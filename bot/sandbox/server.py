"""Local Telegram Bot API server (tornado) for tests and the offline demo.

PTB talks to it over real HTTP exactly as to api.telegram.org (``base_url``/``base_file_url``),
and simulated users drive it through the ``/sandbox/...`` JSON control endpoints.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import socket
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from typing import Any, ClassVar, TypeVar

import tornado.web
from tornado.http1connection import HTTP1Connection
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from .core import Params, Sandbox, UploadedFile
from .state import Abandoned, ApiError, PollContext, RateLimit

__all__ = ["RateLimit", "SandboxServer", "SandboxThread"]

T = TypeVar("T")
_JSON = "application/json"


def _quiet_log(handler: tornado.web.RequestHandler) -> None:
    """Access logs would cost more than the requests themselves in benchmarks."""


class _BaseHandler(tornado.web.RequestHandler):
    sandbox: Sandbox

    def initialize(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def check_xsrf_cookie(self) -> None:  # pragma: no cover - xsrf is off; keep explicit
        return None

    def send_json(self, status: int, payload: Any) -> None:
        reason = "Error" if status >= 600 else None
        self.set_status(status, reason=reason)
        self.set_header("Content-Type", _JSON)
        self.finish(json.dumps(payload, ensure_ascii=False))

    def json_body(self) -> dict[str, Any]:
        if not self.request.body:
            return {}
        try:
            body = json.loads(self.request.body)
        except json.JSONDecodeError as exc:
            raise ApiError(400, "Bad Request: invalid JSON body") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: JSON body must be an object")
        return body


class ApiHandler(_BaseHandler):
    """``/bot<token>/<method>``: the Bot API itself (GET or POST, JSON/form/multipart)."""

    ctx: PollContext | None = None

    def _params(self) -> Params:
        values: dict[str, Any] = {
            k: v[-1].decode("utf-8", "replace") for k, v in self.request.query_arguments.items()
        }
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith(_JSON):
            values.update(self.json_body())
        else:
            for key, raw in self.request.body_arguments.items():
                values[key] = raw[-1].decode("utf-8", "replace")
        files: dict[str, UploadedFile] = {}
        for key, parts in self.request.files.items():
            if parts:
                part = parts[0]
                files[key] = (part.filename, part.body, part.content_type or None)
        return Params(values, files)

    async def _handle(self, token: str, method: str) -> None:
        self.ctx = PollContext()
        try:
            params = self._params()
        except ApiError as exc:
            self.send_json(exc.status, exc.payload())
            return
        try:
            status, payload = await self.sandbox.call(token, method, params, self.ctx)
        except Abandoned:
            # The client has gone: drop the socket without writing any response.
            connection = self.request.connection
            if isinstance(connection, HTTP1Connection) and not connection.stream.closed():
                connection.stream.close()
            return
        self.send_json(status, payload)

    async def get(self, token: str, method: str) -> None:
        await self._handle(token, method)

    async def post(self, token: str, method: str) -> None:
        await self._handle(token, method)

    def on_connection_close(self) -> None:
        if self.ctx is not None:
            self.ctx.close()


class FileHandler(_BaseHandler):
    """``/file/bot<token>/<file_path>``: downloads for ``File.download_*``."""

    async def get(self, token: str, path: str) -> None:
        stored = self.sandbox.file_by_path(path)
        if stored is None:
            self.send_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self.set_header("Content-Type", stored.mime_type or "application/octet-stream")
        self.finish(stored.data)


_ControlFn = Callable[["ControlHandler", re.Match[str]], Awaitable[Any]]


class ControlHandler(_BaseHandler):
    """``/sandbox/...``: JSON endpoints so simulated users can act from any process."""

    routes: ClassVar[list[tuple[str, re.Pattern[str], str]]] = [
        ("POST", re.compile(r"updates"), "_updates"),
        ("GET", re.compile(r"chats/(-?\d+)/messages"), "_chat_messages"),
        ("GET", re.compile(r"chats/(-?\d+)/callback_answers"), "_callback_answers"),
        ("GET", re.compile(r"messages"), "_all_messages"),
        ("GET", re.compile(r"files/([^/]+)"), "_file"),
        ("POST", re.compile(r"fail"), "_fail"),
        ("POST", re.compile(r"block"), "_block"),
        ("POST", re.compile(r"hold"), "_hold"),
        ("POST", re.compile(r"rate_limit"), "_rate_limit"),
        ("GET", re.compile(r"stats"), "_stats"),
        ("GET", re.compile(r"deliveries/(\d+)"), "_deliveries"),
        ("GET", re.compile(r"commands"), "_commands"),
        ("GET", re.compile(r"webhook"), "_webhook"),
        ("POST", re.compile(r"reset"), "_reset"),
    ]

    async def _dispatch(self, verb: str, path: str) -> None:
        for route_verb, pattern, name in self.routes:
            match = pattern.fullmatch(path.strip("/"))
            if match and route_verb == verb:
                try:
                    result = await getattr(self, name)(match)
                except ApiError as exc:
                    self.send_json(exc.status, exc.payload())
                    return
                if not self._finished:
                    self.send_json(200, {"ok": True, "result": result})
                return
        self.send_json(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    async def get(self, path: str) -> None:
        await self._dispatch("GET", path)

    async def post(self, path: str) -> None:
        await self._dispatch("POST", path)

    def _bot_token(self) -> str | None:
        return self.get_query_argument("token", None)

    async def _updates(self, match: re.Match[str]) -> Any:
        body = self.json_body()
        bot = self.sandbox.default_bot(self._bot_token() or body.get("token"))
        return self.sandbox.user_action(bot, body)

    async def _chat_messages(self, match: re.Match[str]) -> Any:
        bot = self.sandbox.default_bot(self._bot_token())
        include_user = self.get_query_argument("include_user", "0") in {"1", "true"}
        return self.sandbox.chat_messages(bot, int(match.group(1)), include_user=include_user)

    async def _callback_answers(self, match: re.Match[str]) -> Any:
        bot = self.sandbox.default_bot(self._bot_token())
        return self.sandbox.callback_answers(bot, int(match.group(1)))

    async def _all_messages(self, match: re.Match[str]) -> Any:
        bot = self.sandbox.default_bot(self._bot_token())
        include_user = self.get_query_argument("include_user", "1") in {"1", "true"}
        return self.sandbox.all_messages(bot, include_user=include_user)

    async def _file(self, match: re.Match[str]) -> Any:
        stored = self.sandbox.files.get(match.group(1))
        if stored is None:
            raise ApiError(404, "Not Found")
        self.set_header("Content-Type", stored.mime_type or "application/octet-stream")
        if stored.file_name:
            self.set_header("X-File-Name", base64.b64encode(stored.file_name.encode()).decode())
        self.finish(stored.data)
        return None

    async def _fail(self, match: re.Match[str]) -> Any:
        body = self.json_body()
        self.sandbox.fail_next(
            str(body["method"]),
            status=int(body.get("status", 500)),
            description=str(body.get("description", "Internal Server Error")),
            chat_id=None if body.get("chat_id") is None else int(body["chat_id"]),
            times=int(body.get("times", 1)),
            retry_after=None if body.get("retry_after") is None else int(body["retry_after"]),
            kind=str(body.get("kind", "status")),
            seconds=float(body.get("seconds") or 0.0),
            deliver=bool(body.get("deliver", False)),
        )
        return True

    async def _block(self, match: re.Match[str]) -> Any:
        body = self.json_body()
        if body.get("blocked", True):
            self.sandbox.block_user(int(body["user_id"]))
        else:
            self.sandbox.unblock_user(int(body["user_id"]))
        return True

    async def _hold(self, match: re.Match[str]) -> Any:
        self.sandbox.set_hold(bool(self.json_body().get("on", True)))
        return True

    async def _rate_limit(self, match: re.Match[str]) -> Any:
        body = self.json_body()
        if body.get("global_per_second") is None and body.get("per_chat_per_second") is None:
            self.sandbox.rate_limit = None
        else:
            self.sandbox.rate_limit = RateLimit(
                int(body.get("global_per_second") or 0), int(body.get("per_chat_per_second") or 0)
            )
        return True

    async def _stats(self, match: re.Match[str]) -> Any:
        return self.sandbox.stats()

    async def _deliveries(self, match: re.Match[str]) -> Any:
        update_id = int(match.group(1))
        return {"update_id": update_id, "count": self.sandbox.delivery_count(update_id)}

    async def _commands(self, match: re.Match[str]) -> Any:
        return self.sandbox.commands_view(self.sandbox.default_bot(self._bot_token()))

    async def _webhook(self, match: re.Match[str]) -> Any:
        bot = self.sandbox.default_bot(self._bot_token())
        return await self.sandbox.api_getWebhookInfo(bot, Params({}), PollContext())

    async def _reset(self, match: re.Match[str]) -> Any:
        self.sandbox.reset()
        return True


class SandboxServer:
    """A fake Telegram Bot API server bound to ``host:port`` (port 0 = any free port)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bot_username: str = "passerelle_bot",
        rate_limit: RateLimit | None = None,
        bot_first_name: str = "Passerelle",
    ) -> None:
        self.host = host
        self.port = port
        self.sandbox = Sandbox(
            bot_username=bot_username, bot_first_name=bot_first_name, rate_limit=rate_limit
        )
        self._http: HTTPServer | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Bind and start serving on the running event loop."""
        options = {"sandbox": self.sandbox}
        app = tornado.web.Application(
            [
                (r"/bot([^/]+)/([A-Za-z_]+)/?", ApiHandler, options),
                (r"/file/bot([^/]+)/(.+)", FileHandler, options),
                (r"/sandbox/(.*)", ControlHandler, options),
            ],
            log_function=_quiet_log,
        )
        self._http = HTTPServer(app, max_body_size=200 * 1024 * 1024, idle_connection_timeout=60)
        sockets = bind_sockets(self.port, self.host, family=socket.AF_INET)
        self._http.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening, release parked requests and close every connection."""
        if self._http is None:
            return
        self._http.stop()
        await self.sandbox.close()
        await asyncio.sleep(0)
        await self._http.close_all_connections()
        self._http = None

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def run_in_thread(self) -> SandboxThread:
        """Serve from a daemon thread with its own loop (for synchronous callers)."""
        return SandboxThread(self)

    # ------------------------------------------------------------------ addresses
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url(...)``: PTB appends the token."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url(...)``: PTB appends the token."""
        return f"{self.url}/file/bot"

    # ------------------------------------------------------------------ fault injection
    @property
    def rate_limit(self) -> RateLimit | None:
        return self.sandbox.rate_limit

    @rate_limit.setter
    def rate_limit(self, value: RateLimit | None) -> None:
        self.sandbox.rate_limit = value

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
        """Answer the next ``times`` calls of ``method`` (to ``chat_id`` if given) with an error.

        ``kind="hang"`` holds the answer ``seconds`` instead, ``kind="drop"`` closes the
        connection with no answer; with ``deliver`` the call is carried out first.
        """
        self.sandbox.fail_next(
            method,
            status=status,
            description=description,
            chat_id=chat_id,
            times=times,
            retry_after=retry_after,
            kind=kind,
            seconds=seconds,
            deliver=deliver,
        )

    def block_user(self, user_id: int) -> None:
        """Every send to this user's chat now answers 403 (bot blocked)."""
        self.sandbox.block_user(user_id)

    def unblock_user(self, user_id: int) -> None:
        self.sandbox.unblock_user(user_id)

    def hold_confirmations(self, on: bool) -> None:
        """While on, getUpdates calls that would confirm pending updates are parked."""
        self.sandbox.set_hold(on)

    def delivery_count(self, update_id: int) -> int:
        """How many times an update was handed out (getUpdates answers + webhook attempts)."""
        return self.sandbox.delivery_count(update_id)

    def stats(self) -> dict[str, Any]:
        return self.sandbox.stats()

    def reset(self) -> None:
        self.sandbox.reset()

    def messages(self, chat_id: int, token: str | None = None) -> list[dict[str, Any]]:
        """Bot messages in a private chat (control view), for in-process assertions."""
        return self.sandbox.chat_messages(self.sandbox.default_bot(token), chat_id)

    def commands(self, token: str | None = None) -> list[dict[str, Any]]:
        """Recorded setMyCommands calls: ``[{scope, language_code, commands}]``."""
        return self.sandbox.commands_view(self.sandbox.default_bot(token))


class SandboxThread:
    """Handle on a SandboxServer running in a daemon thread."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        started: Future[None] = Future()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            try:
                self.loop.run_until_complete(server.start())
            except BaseException as exc:  # reported to the starting thread
                started.set_exception(exc)
                return
            started.set_result(None)
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, name="sandbox-server", daemon=True)
        self.thread.start()
        started.result(timeout=10)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def base_file_url(self) -> str:
        return self.server.base_file_url

    def submit(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a plain server method (fail_next, hold_confirmations...) on the server's loop.

        The sandbox is single-loop by design; this hops threads safely instead of locking.
        """

        async def run() -> T:
            return fn(*args, **kwargs)

        return self.submit(run())

    def stop(self) -> None:
        if not self.loop.is_running():
            return
        self.submit(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
