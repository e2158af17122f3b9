"""The database stops taking writes while the bot runs, then comes back (`bot.engine.outage`).

The bot runs as a real process. On SQLite the disk "fills up": the kernel refuses every
write that grows a file of the process (`prlimit RLIMIT_FSIZE`). On PostgreSQL the server
"goes away": a TCP proxy between the bot and the shared server cuts every connection and
refuses new ones. People write meanwhile. Staff get one message, the log one error line;
once the database is back, every message is answered once, in order, staff hear it is back,
and nothing is left half done (`PRAGMA integrity_check`, inbox, outbox).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from contextlib import closing
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.config import Settings
from bot.engine.outage import BACK, DOWN, describe, is_database_error
from bot.sandbox.client import SandboxClient, User
from bot.sandbox.server import SandboxServer
from tests.conftest import STAFF_ID, TEST_DATABASE_URL, Sql
from tests.helpers.outage import CuttableProxy, LoggedBot, limit_file_size, once_paused
from tests.helpers.texts import contains
from tests.helpers.waiting import due_messages, eventually

HELP = "Here is what you can do:"
UNKNOWN = "I do not know this command."
# What each person sends while the database is away, and the answer each message gets.
SENT = {
    "Amina": ["/aide", "/inconnue", "/aide"],
    "Bruno": ["/inconnue", "/aide"],
}
ANSWER = {"/aide": HELP, "/inconnue": UNKNOWN}
WARM_UP = 3  # updates before the outage: staff and each person say /aide
OTHER_STAFF = 700009  # a second staff member, in the stop-during-the-outage test
OUTAGE_SECONDS = 2.5  # how long the database stays down once everyone has written
needs_postgres = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="PASSERELLE_TEST_DATABASE_URL (PostgreSQL) is not set"
)


def sqlite_error(statement: str, path: str = ":memory:") -> sqlite3.Error:
    """The error SQLite itself gives for `statement`."""
    with closing(sqlite3.connect(path, timeout=0)) as connection:
        try:
            connection.executescript(statement)
        except sqlite3.Error as error:
            return error
    raise AssertionError(f"{statement!r} did not fail")


def test_the_database_failing_is_told_from_a_bug(tmp_path: Path) -> None:
    """Only the first is waited out and retried; a bug is rolled back with an apology."""
    (tmp_path / "ro.sqlite3").touch()
    read_only = f"file:{tmp_path / 'ro.sqlite3'}?mode=ro"
    with closing(sqlite3.connect(tmp_path / "locked.sqlite3")) as holder:
        holder.execute("create table t (x)")
        holder.execute("begin immediate")
        locked = sqlite_error("begin immediate", str(tmp_path / "locked.sqlite3"))
    outages = [
        OperationalError("insert", {}, locked),
        OperationalError("insert", {}, sqlite_error("create table t (x)", read_only)),
        ConnectionRefusedError(111, "Connection refused"),
        OSError(27, "File too large"),
        TimeoutError(),
    ]
    bugs = [
        OperationalError("select", {}, sqlite_error("select * from nowhere")),
        IntegrityError(
            "insert", {}, sqlite_error("create table t (x unique); insert into t values (1), (1)")
        ),
        FileNotFoundError(2, "No such file"),
        ValueError("a handler's own mistake"),
    ]
    for error in outages:
        assert is_database_error(error), error
    for error in bugs:
        assert not is_database_error(error), error
    # In a handler, a timeout may be the handler's own: only the driver's word counts there.
    assert not is_database_error(TimeoutError(), from_handler=True)
    assert is_database_error(outages[0], from_handler=True)
    secret = "postgresql+asyncpg://bot:s3cret@db:5432/passerelle"
    assert describe(OSError(f"cannot reach {secret}\nmore")) == (
        "OSError: cannot reach postgresql+asyncpg://bot:***@db:5432/passerelle"
    )


async def answers(user: User, since: int) -> list[str]:
    """Which of HELP / UNKNOWN each bot message after `since` is, in order."""
    found = []
    for message in await user.received():
        if message.message_id <= since:
            continue
        kinds = [kind for kind in (HELP, UNKNOWN) if contains(message.text, kind)]
        found.append(kinds[0] if kinds else message.text)
    return found


async def help_id(user: User) -> int:
    """The id of the answer to the /aide sent before the outage."""
    return max(m.message_id for m in await user.received() if contains(m.text, HELP))


def paused_at(moment: str) -> dict[str, str]:
    """The bot's settings for `moment`: it pauses (`bot.engine.failpoints`) for the fault to
    start right then: `arriving` once the last answer before the outage is handed to
    Telegram, not yet recorded as sent; `handled` once the first message of the outage is
    stored, not yet handled."""
    points = {"arriving": f"replied:{WARM_UP}", "handled": f"stored:{WARM_UP + 1}"}
    return {"failpoint": f"{points[moment]}:pause"} if moment in points else {}


async def outage(
    client: SandboxClient,
    sql: Sql,
    bot: LoggedBot,
    take_away: Callable[[], None],
    give_back: Callable[[], None],
    moment: str,
) -> None:
    """The whole story, the same on both databases; `take_away` and `give_back` the fault.

    `moment` "arriving": the database fails before the messages come, none can be stored
    (Telegram keeps them), and the last answer before is not recorded as sent yet (the
    outbox keeps trying: giving up would leave it to be sent again at the next start);
    "handled": it fails once the first is stored, before it is handled (it waits in the
    inbox, tried again by the engine); "webhook": as "arriving" but at once, webhook mode.
    """
    staff = client.user(STAFF_ID, first_name="Claire")
    people = {name: client.user(700001 + index, first_name=name) for index, name in enumerate(SENT)}
    await bot.start()
    pausing = None
    if paused_at(moment):
        pausing = asyncio.create_task(once_paused(bot.pid, take_away))
    for user in [staff, *people.values()]:  # everyone has a chat with the bot, all answered
        await user.command("aide")  # one at a time: one update per `getUpdates`, as counted
        assert await eventually(lambda u=user: _answered(u, 1), 20), bot.log()
    since = {user.id: await help_id(user) for user in [staff, *people.values()]}
    if pausing is None:
        take_away()
    elif moment == "arriving":  # the fault is on before anyone writes again
        await pausing
    sent = []
    for turn in range(max(len(texts) for texts in SENT.values())):
        for name, texts in SENT.items():
            if turn < len(texts):
                sent.append(await people[name].send(texts[turn]))
    assert await eventually(lambda: bool(bot.at("ERROR")), 30), bot.log()
    assert await eventually(lambda: _staff_told(staff, since[staff.id], 1), 20), bot.log()
    # Unanswered, Telegram keeps them: by webhook it calls again and again; in polling the
    # bot fetched the first ones and confirms nothing (its next `getUpdates` waits for them
    # to be stored). The outage lasts longer than the outbox's old give-up (five tries in 1.5 s).
    kept = partial(_kept_by_telegram, client, sql, sent, webhook=moment == "webhook")
    assert await eventually(kept, 20), bot.log()
    await asyncio.sleep(OUTAGE_SECONDS)
    assert await kept()
    for user in people.values():
        assert await answers(user, since[user.id]) == []
    stored = sql(
        f"select status from inbox where update_id in ({','.join('?' * len(sent))})", *sent
    )
    assert stored == ([("new",)] if moment == "handled" else []), stored

    if pausing is not None:
        await pausing
    give_back()
    for name, user in people.items():
        expected = [ANSWER[text] for text in SENT[name]]

        async def all_answered(user: User = user, expected: list[str] = expected) -> bool:
            return len(await answers(user, since[user.id])) >= len(expected)

        assert await eventually(all_answered, 45), bot.log()
        assert await answers(user, since[user.id]) == expected, name
    assert await eventually(lambda: _staff_told(staff, since[staff.id], 2), 20), bot.log()
    told = [m.text for m in await staff.received() if m.message_id > since[staff.id]]
    assert len(told) == 2 and contains(told[0], DOWN) and contains(told[1], BACK), told
    assert await eventually(lambda: not due_messages(sql), 20), due_messages(sql)

    assert await bot.stop() == 0, bot.log()
    errors = bot.at("ERROR")
    assert len(errors) == 1 and "Database unavailable" in errors[0], bot.log()
    assert len([line for line in bot.at("INFO") if "Database answers again" in line]) == 1
    assert "Traceback" not in "\n".join(bot.lines), bot.log()
    assert sql("select status, count(*) from inbox group by status") == [("done", WARM_UP + 5)]
    for user in people.values():  # still once each, after the stop
        assert len(await answers(user, since[user.id])) == len(SENT[user.first_name])


async def _answered(user: User, count: int) -> bool:
    return len(await user.received()) >= count


async def _staff_told(staff: User, since: int, count: int) -> bool:
    return len([m for m in await staff.received() if m.message_id > since]) >= count


async def _kept_by_telegram(
    client: SandboxClient, sql: Sql, updates: list[int], *, webhook: bool
) -> bool:
    """Whether Telegram still holds these updates: by webhook, it had to call again twice
    more for one of them; in polling, the bot fetched some and confirmed only those it had
    stored (it fetches no more until the others are stored)."""
    counts = [await client.delivery_count(update_id) for update_id in updates]
    if webhook:
        return max(counts) >= 3
    marks = ",".join("?" * len(updates))
    stored = sql.scalar(f"select count(*) from inbox where update_id in ({marks})", *updates)
    held = (await client.stats())["pending_updates"]
    return max(counts) >= 1 and held + int(stored or 0) >= len(updates)


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="the SQLite file (a PostgreSQL run)")
@pytest.mark.parametrize("moment", ["arriving", "handled", "webhook"])
async def test_a_full_disk_then_room_again(
    sandbox: SandboxServer, client: SandboxClient, settings: Settings, sql: Sql, moment: str
) -> None:
    """`webhook`: as `arriving`, with Telegram calling the bot's webhook (answered 500)."""
    data_dir = settings.data_dir
    settings_ = {"staff_ids": str(STAFF_ID), "log_level": "INFO", **paused_at(moment)}
    bot = LoggedBot(sandbox, client, data_dir, webhook=moment == "webhook", **settings_)

    def disk_full() -> None:
        # Past what the bot's other files hold: only the database's next write fails.
        others = [p.stat().st_size for p in data_dir.iterdir() if "sqlite" not in p.name]
        limit_file_size(bot.pid, max([64 * 1024, *others]))

    try:
        await outage(client, sql, bot, disk_full, lambda: limit_file_size(bot.pid, None), moment)
    finally:
        await bot.stop()
    with closing(sqlite3.connect(sql.path)) as connection:
        assert connection.execute("pragma integrity_check").fetchall() == [("ok",)]


@needs_postgres
@pytest.mark.parametrize("moment", ["arriving", "handled"])
async def test_postgresql_goes_away_and_comes_back(
    sandbox: SandboxServer, client: SandboxClient, settings: Settings, sql: Sql, moment: str
) -> None:
    server = make_url(settings.resolved_database_url)
    proxy = CuttableProxy(server.host or "127.0.0.1", server.port or 5432)
    await proxy.start()
    through_proxy = server.set(host="127.0.0.1", port=proxy.port)
    bot = LoggedBot(
        sandbox,
        client,
        settings.data_dir,
        staff_ids=str(STAFF_ID),
        log_level="INFO",
        database_url=through_proxy.render_as_string(hide_password=False),
        **paused_at(moment),
    )
    try:
        await outage(client, sql, bot, proxy.cut, proxy.restore, moment)
    finally:
        await bot.stop()
        await proxy.stop()
    assert proxy.refused > 0  # the bot did try, and was turned away


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="the SQLite file (a PostgreSQL run)")
async def test_a_stop_during_the_outage_leaves_the_message_for_the_next_start(
    sandbox: SandboxServer, client: SandboxClient, settings: Settings, sql: Sql
) -> None:
    """The update waits in the inbox for the next start; staff hear the database is back
    then, although the run that told them it was down ended before it came back."""
    data_dir = settings.data_dir
    common = {"staff_ids": f"{STAFF_ID},{OTHER_STAFF}", "log_level": "INFO"}
    # Paused once Amina's message is stored (the second update, after Odile's /start).
    bot = LoggedBot(sandbox, client, data_dir, failpoint="stored:2:pause", **common)
    amina = client.user(700001, first_name="Amina")
    other = client.user(OTHER_STAFF, first_name="Odile")
    await other.command("start")  # this staff member opened the bot, the root one did not
    await bot.start()
    since = (await other.wait_for(lambda m: True, 20)).message_id
    pausing = asyncio.create_task(once_paused(bot.pid, lambda: limit_file_size(bot.pid, 64 * 1024)))
    update_id = await amina.command("aide")
    await pausing
    try:
        assert await eventually(lambda: bool(bot.at("ERROR")), 30), bot.log()
        assert await bot.stop(timeout=15) == 0, bot.log()  # no hang on the waiting update
        # Staff never opened the bot: Telegram refuses the message, which is logged, no more.
        assert any("Could not tell staff" in line for line in bot.at("WARNING")), bot.log()
        assert await eventually(lambda: _staff_told(other, since, 1), 10), bot.log()
    finally:
        await bot.stop()
    assert await amina.received() == []
    assert sql("select status from inbox where update_id = ?", update_id) == [("new",)]

    again = LoggedBot(sandbox, client, data_dir, **common)
    try:
        await again.start()
        assert await eventually(lambda: _answered(amina, 1), 20), again.log()
        assert await answers(amina, 0) == [HELP]
        assert sql("select status from inbox where update_id = ?", update_id) == [("done",)]
        assert await eventually(lambda: _staff_told(other, since, 2), 10), again.log()
        told = [m.text for m in await other.received() if m.message_id > since]
        assert len(told) == 2 and contains(told[0], DOWN) and contains(told[1], BACK), told
    finally:
        await again.stop()
    assert again.at("ERROR") == [], again.log()
    assert any("Database answers again" in line for line in again.at("INFO")), again.log()
