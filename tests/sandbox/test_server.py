"""The sandbox against the REAL python-telegram-bot stack, over real HTTP on 127.0.0.1.

If PTB can parse every answer and raises the right exceptions, the rest of the test suite
(and the offline demo) can trust the sandbox as a stand-in for Telegram.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.sandbox import RateLimit, SandboxClient, SandboxServer, User
from bot.sandbox.client import SandboxError
from tests.helpers.waiting import eventually

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

TOKEN = "123456:TEST"
ROOT = Path(__file__).resolve().parents[2]


def _png(width: int = 3, height: int = 2) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------------- a tiny real bot
async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    code = " ".join(context.args or [])
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Candidat·e", callback_data="role:cand")],
            [InlineKeyboardButton("Structure", callback_data="role:struct")],
        ]
    )
    await update.message.reply_text(
        f"Bienvenue <b>{code}</b>", parse_mode="HTML", reply_markup=keyboard
    )


async def _button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("ok")
    await query.edit_message_text(f"Choisi : {query.data}")


async def _photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    file = await update.message.photo[-1].get_file()
    data = bytes(await file.download_as_bytearray())
    await update.message.reply_text(f"photo {len(data)} octets")
    await update.message.reply_photo(photo=data, caption="<i>retour</i>", parse_mode="HTML")


async def _document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.document is not None
    file = await update.message.document.get_file()
    data = bytes(await file.download_as_bytearray())
    name = update.message.document.file_name or "x"
    await update.message.reply_document(document=data, filename=f"echo_{name}")


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


def _build(server: SandboxServer, builder: ApplicationBuilder | None = None) -> Application:
    builder = builder or ApplicationBuilder()
    app = builder.token(TOKEN).base_url(server.base_url).base_file_url(server.base_file_url).build()
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(CallbackQueryHandler(_button))
    app.add_handler(MessageHandler(filters.PHOTO, _photo))
    app.add_handler(MessageHandler(filters.Document.ALL, _document))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    return app


async def _run_polling(app: Application) -> None:
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)


async def _stop(app: Application) -> None:
    assert app.updater is not None
    if app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    async with SandboxServer() as sandbox:
        yield sandbox


@pytest.fixture
async def users(server: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(server.url, TOKEN) as sandbox_client:
        yield sandbox_client


@pytest.fixture
async def alice(users: SandboxClient) -> User:
    return users.user(1001, first_name="Alice", language_code="fr")


@pytest.fixture
async def polling_app(server: SandboxServer) -> AsyncIterator[Application]:
    app = _build(server)
    await _run_polling(app)
    try:
        yield app
    finally:
        await _stop(app)


@pytest.fixture
async def bot(server: SandboxServer) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url) as b:
        yield b


# ---------------------------------------------------------------------- round trips
async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.username == "passerelle_bot"
    assert me.is_bot


async def test_command_and_button_round_trip(
    polling_app: Application, alice: User, users: SandboxClient
) -> None:
    await alice.command("start", "ABC123")
    welcome = await alice.wait_for(lambda m: "Bienvenue" in m.text)
    assert welcome.text == "Bienvenue ABC123"
    assert welcome.raw_text == "Bienvenue <b>ABC123</b>"
    assert welcome.parse_mode == "HTML"
    assert welcome.entities == [{"type": "bold", "offset": 10, "length": 6}]
    assert welcome.buttons == [[("Candidat·e", "role:cand")], [("Structure", "role:struct")]]

    query_id = await alice.press("Candidat·e")
    edited = await alice.wait_for(lambda m: m.text.startswith("Choisi"))
    assert edited.message_id == welcome.message_id
    assert edited.text == "Choisi : role:cand"
    assert edited.edits == ["Bienvenue ABC123"]
    assert edited.buttons == []  # edit without reply_markup drops the keyboard, as Telegram
    answers = await alice.callback_answers()
    assert [(a["callback_query_id"], a["text"], a["show_alert"]) for a in answers] == [
        (query_id, "ok", False)
    ]
    with pytest.raises(AssertionError, match=r"(?i)no inline button 'Structure'"):
        await alice.press("Structure")
    everything = await users.all_messages()
    assert [m.from_bot for m in everything] == [False, True]


async def test_echo_and_message_ids(polling_app: Application, alice: User) -> None:
    await alice.send("bonjour")
    await alice.wait_for_count(1)
    await alice.send("ça va ?")
    messages = await alice.wait_for_count(2)
    assert [m.text for m in messages] == ["bonjour", "ça va ?"]
    # user and bot messages share the chat's increasing message_id sequence
    assert [m.message_id for m in messages] == [2, 4]
    assert (await alice.last()).text == "ça va ?"


async def test_photo_and_document_both_ways(polling_app: Application, alice: User) -> None:
    png = _png(3, 2)
    await alice.send_photo(png)
    back = await alice.wait_for(lambda m: m.kind == "photo")
    assert back.photo == png
    assert back.text == "retour"
    assert (await alice.received())[0].text == f"photo {len(png)} octets"

    await alice.send_document(b"%PDF-1.4 fake", filename="cv.pdf")
    doc = await alice.wait_for(lambda m: m.kind == "document")
    assert doc.document == b"%PDF-1.4 fake"
    assert doc.filename == "echo_cv.pdf"


async def test_photo_sizes_and_get_file(bot: Bot, alice: User, users: SandboxClient) -> None:
    await alice.send("hi")
    sent = await bot.send_photo(alice.id, photo=_png(7, 5))
    size = sent.photo[-1]
    assert (size.width, size.height) == (7, 5)
    resent = await bot.send_photo(alice.id, photo=size.file_id)  # a known file_id
    assert resent.photo[-1].file_id == size.file_id
    file = await bot.get_file(size.file_id)
    assert bytes(await file.download_as_bytearray()) == _png(7, 5)
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(alice.id, document="nope")


# ---------------------------------------------------------------------- validation
async def test_text_validation(bot: Bot, alice: User) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(alice.id, "hello")
    await alice.send("hi")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: Can't find end tag"):
        await bot.send_message(alice.id, "<b>oops", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r'(?i)Unsupported start tag "blink"'):
        await bot.send_message(alice.id, "<blink>x</blink>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)reserved and must be escaped"):
        await bot.send_message(alice.id, "Fin.", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(alice.id, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(alice.id, "   ")
    ok = await bot.send_message(alice.id, "a &lt; b &amp; <i>c</i>", parse_mode="HTML")
    assert ok.text == "a < b & c"
    assert ok.text_html == "a &lt; b &amp; <i>c</i>"
    md = await bot.send_message(alice.id, "*gras* et \\.", parse_mode="MarkdownV2")
    assert md.text == "gras et ."
    assert md.entities[0].type == "bold"
    legacy = await bot.send_message(
        alice.id, "_a_ [lien](https://example.org)", parse_mode="Markdown"
    )
    assert (legacy.text, legacy.entities[1].url) == ("a lien", "https://example.org")
    with pytest.raises(BadRequest, match=r"(?i)can't find end of the entity"):
        await bot.send_message(alice.id, "*a", parse_mode="Markdown")


async def test_callback_data_limit(bot: Bot, alice: User) -> None:
    await alice.send("hi")

    def markup(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("go", callback_data=data)]])

    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(alice.id, "x", reply_markup=markup("é" * 33))  # 66 bytes
    sent = await bot.send_message(alice.id, "x", reply_markup=markup("d" * 64))
    assert sent.reply_markup is not None
    keyboard = ReplyKeyboardMarkup([["Oui", "Non"]], one_time_keyboard=True)
    await bot.send_message(alice.id, "choix ?", reply_markup=keyboard)
    assert (await alice.last()).reply_keyboard == [["Oui", "Non"]]


async def test_edit_delete_and_answer_errors(bot: Bot, alice: User, server: SandboxServer) -> None:
    await alice.send("hi")
    sent = await bot.send_message(alice.id, "même")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("même", chat_id=alice.id, message_id=sent.message_id)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("a", callback_data="a")]])
    await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=keyboard)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=keyboard)
    query_id = await alice.press("a")
    assert await bot.answer_callback_query(query_id, text="vu")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    assert await bot.delete_message(alice.id, sent.message_id)
    assert (await alice.received())[-1].deleted
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=alice.id, message_id=sent.message_id)


# ---------------------------------------------------------------------- failures
async def test_rate_limit_retry_after(server: SandboxServer, bot: Bot, alice: User) -> None:
    await alice.send("hi")
    server.rate_limit = RateLimit(global_per_second=30, per_chat_per_second=1)
    await bot.send_message(alice.id, "un")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice.id, "deux")
    assert _seconds(caught.value.retry_after) == 1
    # answerCallbackQuery is exempt, other chats have their own budget
    bob = SandboxClient(server.url, TOKEN).user(1002)
    await bob.send("hi")
    await bot.send_message(bob.id, "un")
    await bob.client.aclose()
    stats = server.stats()
    assert stats["rate_limited"] == {"sendMessage": 1}
    assert stats["sends_per_chat"] == {"1001": 1, "1002": 1}

    limited = ApplicationBuilder().rate_limiter(AIORateLimiter(overall_max_rate=0, max_retries=3))
    app = _build(server, limited)
    async with app:
        await asyncio.gather(*(app.bot.send_message(alice.id, f"m{i}") for i in range(2)))
    texts = [m.text for m in await alice.received()]
    assert sorted(texts[-2:]) == ["m0", "m1"]
    assert server.stats()["rate_limited_total"] >= 2


async def test_blocked_user_forbidden(server: SandboxServer, bot: Bot, alice: User) -> None:
    await alice.send("hi")
    server.block_user(alice.id)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(alice.id, "coucou")
    server.unblock_user(alice.id)
    await bot.send_message(alice.id, "coucou")


async def test_fail_next(
    server: SandboxServer, bot: Bot, alice: User, users: SandboxClient
) -> None:
    await alice.send("hi")
    server.fail_next("sendMessage", status=500, chat_id=alice.id)
    with pytest.raises(NetworkError, match=r"(?i)Internal Server Error"):
        await bot.send_message(alice.id, "x")
    await bot.send_message(alice.id, "x")
    await users.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice.id, "y")
    assert _seconds(caught.value.retry_after) == 3
    await users.block(alice.id)
    with pytest.raises(Forbidden):
        await bot.send_chat_action(alice.id, "typing")


async def test_hang_and_drop_faults(server: SandboxServer, alice: User) -> None:
    """A read timeout or a closed connection, with the message sent or not: PTB sees
    `TimedOut` / `NetworkError`, and only a delivering fault leaves a message behind."""
    await alice.send("hi")
    request = HTTPXRequest(read_timeout=0.2)
    async with Bot(TOKEN, base_url=server.base_url, request=request) as slow:
        server.fail_next("sendMessage", kind="hang", seconds=1, deliver=True)
        with pytest.raises(TimedOut):
            await slow.send_message(alice.id, "held, delivered")
        server.fail_next("sendMessage", kind="hang", seconds=1, deliver=False)
        with pytest.raises(TimedOut):
            await slow.send_message(alice.id, "held, lost")
        server.fail_next("sendMessage", kind="drop", deliver=True, chat_id=alice.id)
        with pytest.raises(NetworkError, match="RemoteProtocolError"):
            await slow.send_message(alice.id, "dropped, delivered")
        server.fail_next("sendMessage", kind="drop", deliver=False)
        with pytest.raises(NetworkError, match="RemoteProtocolError"):
            await slow.send_message(alice.id, "dropped, lost")
        server.fail_next("sendMessage", kind="hang", seconds=0.05, deliver=True)
        await slow.send_message(alice.id, "slow but in time")
    texts = [m.text for m in await alice.received()]
    assert texts == ["held, delivered", "dropped, delivered", "slow but in time"]
    errors = server.stats()["errors"]
    assert (errors["sendMessage:hang"], errors["sendMessage:drop"]) == (3, 2)


async def test_get_updates_fault_needs_an_update_to_hand_out(
    server: SandboxServer, alice: User
) -> None:
    """A delivering getUpdates fault waits for an answer with updates in it (of its chat)."""
    server.fail_next("getUpdates", kind="drop", deliver=True, chat_id=alice.id)
    async with Bot(TOKEN, base_url=server.base_url) as bot:
        assert await bot.get_updates() == ()  # nothing to hand out: not taken
        update_id = await alice.send("bonjour")
        with pytest.raises(NetworkError):
            await bot.get_updates()
        assert server.delivery_count(update_id) == 1
        assert [u.update_id for u in await bot.get_updates()] == [update_id]
        assert server.delivery_count(update_id) == 2


async def test_unknown_fault_kind_is_refused(users: SandboxClient) -> None:
    with pytest.raises(SandboxError, match="unknown fault kind"):
        await users.fail_next("sendMessage", kind="explode")


# ---------------------------------------------------------------------- delivery
async def test_unconfirmed_update_is_delivered_again(server: SandboxServer, alice: User) -> None:
    """A crash between handling and confirming must not lose (nor skip) the update."""
    server.hold_confirmations(True)
    app = _build(server, ApplicationBuilder().get_updates_read_timeout(0.3))
    await _run_polling(app)
    update_id = await alice.send("bonjour")
    await alice.wait_for(lambda m: m.text == "bonjour")
    await asyncio.wait_for(_stop(app), timeout=10)  # its confirming getUpdates stays parked
    assert server.delivery_count(update_id) == 1
    assert not server.sandbox.held  # the dead client's parked requests were abandoned
    server.hold_confirmations(False)
    async with Bot(TOKEN, base_url=server.base_url) as fresh:
        again = await fresh.get_updates()
        assert [u.update_id for u in again] == [update_id]
        assert server.delivery_count(update_id) == 2
        await fresh.get_updates(offset=update_id + 1)
        assert await fresh.get_updates() == ()


def _long_polling(server: SandboxServer) -> bool:
    """A getUpdates request is parked on the server, waiting for an update."""
    return bool(server.sandbox.bot(TOKEN).polls)


async def test_get_updates_offset_and_long_poll(
    bot: Bot, alice: User, server: SandboxServer
) -> None:
    first = await alice.send("a")
    assert [u.update_id for u in await bot.get_updates()] == [first]
    waiting = asyncio.create_task(bot.get_updates(offset=first + 1, timeout=5))
    assert await eventually(lambda: _long_polling(server))
    second = await alice.send("b")
    updates = await asyncio.wait_for(waiting, 2)
    assert [u.update_id for u in updates] == [second]
    assert updates[0].message is not None and updates[0].message.text == "b"
    assert updates[0].message.from_user is not None
    assert updates[0].message.from_user.language_code == "fr"


async def test_second_poller_terminates_the_first(bot: Bot, server: SandboxServer) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    assert await eventually(lambda: _long_polling(server))
    async with Bot(TOKEN, base_url=server.base_url) as other:
        assert await other.get_updates() == ()
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates"):
        await asyncio.wait_for(first, 2)


async def test_webhook_mode(server: SandboxServer, alice: User, bot: Bot) -> None:
    port = _free_port()
    app = _build(server)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="hook",
        secret_token="s3cret-Token",
        webhook_url=f"http://127.0.0.1:{port}/hook",
    )
    try:
        info = await bot.get_webhook_info()
        assert info.url == f"http://127.0.0.1:{port}/hook"
        with pytest.raises(Conflict):
            await bot.get_updates()
        update_id = await alice.send("par webhook")
        await alice.wait_for(lambda m: m.text == "par webhook")
        assert server.delivery_count(update_id) == 1
        await alice.command("start")
        await alice.wait_for(lambda m: "Bienvenue" in m.text)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    # an unreachable webhook: the sandbox keeps the update, retries and records the error
    await bot.set_webhook(f"http://127.0.0.1:{_free_port()}/nobody", secret_token="other")
    await alice.send("perdu")

    async def failed() -> bool:
        return bool((await bot.get_webhook_info()).last_error_message)

    await eventually(failed)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1 and info.last_error_message
    await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0


async def test_set_my_commands_recorded(bot: Bot, server: SandboxServer) -> None:
    commands = [BotCommand("start", "Démarrer"), BotCommand("aide", "Aide")]
    scope = BotCommandScopeAllPrivateChats()
    assert await bot.set_my_commands(commands, scope=scope, language_code="fr")
    assert await bot.get_my_commands(scope=scope, language_code="fr") == tuple(commands)
    assert await bot.get_my_commands() == ()
    assert server.commands() == [
        {
            "scope": {"type": "all_private_chats"},
            "language_code": "fr",
            "commands": [c.to_dict() for c in commands],
        }
    ]
    await bot.delete_my_commands(scope=scope, language_code="fr")
    assert server.commands() == []


async def test_http_surface(server: SandboxServer, users: SandboxClient, alice: User) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        missing = await http.post(f"/bot{TOKEN}/sendCarrierPigeon")
        assert missing.status_code == 404
        assert missing.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        assert (await http.get("/botnotatoken/getMe")).status_code == 401
        await alice.send("hi")
        form = await http.post(
            f"/bot{TOKEN}/sendMessage",
            data={"chat_id": "1001", "text": "123", "reply_markup": '{"remove_keyboard": true}'},
        )
        assert form.json()["result"]["text"] == "123"
        got = await http.get(f"/bot{TOKEN}/getChat", params={"chat_id": 1001})
        assert got.json()["result"]["first_name"] == "Alice"
    stats = await users.stats()
    assert stats["sends_per_chat"] == {1001: 1}
    assert stats["calls"]["sendCarrierPigeon"] == 1
    await users.reset()
    assert (await users.stats())["sends_total"] == 0
    assert await alice.received() == []


def test_run_in_thread_and_cli() -> None:
    handle = SandboxServer().run_in_thread()
    try:
        me = httpx.get(f"{handle.base_url}{TOKEN}/getMe").json()
        assert me["result"]["username"] == "passerelle_bot"
        handle.call(handle.server.fail_next, "getMe", status=502, description="Bad Gateway")
        assert httpx.get(f"{handle.base_url}{TOKEN}/getMe").status_code == 502
    finally:
        handle.stop()

    process = subprocess.Popen(
        [sys.executable, "-m", "bot.sandbox", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"http://\S+", line)
        assert match, line
        assert httpx.get(f"{match.group(0)}/bot{TOKEN}/getMe").json()["ok"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
