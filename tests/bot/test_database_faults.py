"""Database faults and secrets: an unreachable or read-only database stops start-up with one
French line naming the variable (exit code 2, no traceback), nothing is damaged, and a
database password is never printed."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.config import UNREACHABLE_DATABASE, masked_url
from bot.i18n import Translator
from tests.conftest import TEST_DATABASE_URL, TOKEN
from tests.helpers.process import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-Pa55"
needs_postgres = pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="PASSERELLE_TEST_DATABASE_URL (PostgreSQL) is not set"
)


def cli_environment(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    """This process's environment without our variables, plus the test's and a data folder."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PASSERELLE_")}
    return {**clean, "PASSERELLE_DATA_DIR": str(tmp_path / "data"), **env, "PYTHONPATH": str(ROOT)}


def run_cli(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=cli_environment(tmp_path, env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def refused(url: str, variable: str = "PASSERELLE_DATABASE_URL") -> str:
    """The start of the French line for a database that cannot be used (before the reason)."""
    _ = Translator.for_language("fr")
    marker = "\x00"
    line = _.plain(
        "Configuration error: {variable}: expected {expected}.",
        variable=variable,
        expected=_.plain(UNREACHABLE_DATABASE, url=masked_url(url), reason=marker),
    )
    return line.partition(marker)[0]


def assert_one_clear_line(result: subprocess.CompletedProcess[str], url: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(refused(url)), lines[0]
    assert SECRET not in result.stderr + result.stdout


def test_masked_url_hides_only_the_password() -> None:
    assert masked_url(f"postgresql+asyncpg://bot:{SECRET}@db.example:5432/passerelle") == (
        "postgresql+asyncpg://bot:***@db.example:5432/passerelle"
    )
    assert masked_url("postgresql+asyncpg://bot@db/passerelle") == (
        "postgresql+asyncpg://bot@db/passerelle"
    )
    assert masked_url("sqlite+aiosqlite:///data/passerelle.sqlite3") == (
        "sqlite+aiosqlite:///data/passerelle.sqlite3"
    )


@pytest.mark.parametrize("command", [("db", "upgrade"), ("run",)])
def test_postgresql_down_stops_with_one_line(tmp_path: Path, command: tuple[str, ...]) -> None:
    # Nothing listens on this port: the server is down.
    url = f"postgresql+asyncpg://bot:{SECRET}@127.0.0.1:{free_port()}/passerelle"
    env = {"PASSERELLE_DATABASE_URL": url}
    if command == ("run",):
        env["PASSERELLE_TOKEN"] = TOKEN  # online: the real start-up path
        env["PASSERELLE_API_URL"] = "http://127.0.0.1:9"  # never reached
    assert_one_clear_line(run_cli(tmp_path, env, *command), url)


def test_a_bad_database_address_stops_with_one_line(tmp_path: Path) -> None:
    url = f"postgres+nodriver://bot:{SECRET}@127.0.0.1/passerelle"
    assert_one_clear_line(run_cli(tmp_path, {"PASSERELLE_DATABASE_URL": url}, "db", "upgrade"), url)


def test_a_read_only_sqlite_file_is_refused_and_left_intact(tmp_path: Path) -> None:
    path = tmp_path / "data" / "passerelle.sqlite3"
    created = run_cli(tmp_path, {}, "db", "upgrade")
    assert created.returncode == 0, created.stderr
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    # SQLite opens the file read-only, as it does for a file the bot may not write to (a
    # plain `chmod` would not do: CI runs as root, which may write anyway).
    url = f"sqlite+aiosqlite:///file:{path.as_posix()}?mode=ro&uri=true"
    for command in (("db", "upgrade"), ("run",)):
        env = {"PASSERELLE_DATABASE_URL": url, "PASSERELLE_TOKEN": TOKEN}
        assert_one_clear_line(run_cli(tmp_path, env, *command), url)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("pragma integrity_check").fetchall() == [("ok",)]
    assert run_cli(tmp_path, {}, "db", "upgrade").returncode == 0


@needs_postgres
def test_db_upgrade_shows_the_address_without_its_password(tmp_path: Path) -> None:
    # The test server trusts local connections: any password is accepted.
    url = make_url(TEST_DATABASE_URL).set(password=SECRET).render_as_string(hide_password=False)
    result = run_cli(tmp_path, {"PASSERELLE_DATABASE_URL": url}, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    _ = Translator.for_language("fr")
    assert _.plain("Database up to date: {url}", url=masked_url(url)) in result.stdout
    assert SECRET not in result.stdout + result.stderr


def start_demo(tmp_path: Path, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "demo"],
        cwd=tmp_path,
        env=cli_environment(
            tmp_path,
            {
                "PYTHONUNBUFFERED": "1",
                "PASSERELLE_DEMO_QUICK": "1",
                "PASSERELLE_DATABASE_URL": url,
            },
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def read_until_banner(process: subprocess.Popen[str], url: str) -> list[str]:
    """What the demo printed, up to the line naming its database."""
    assert process.stdout is not None
    banner = Translator.for_language("fr").plain(
        "Demo database: {url}, from PASSERELLE_DATABASE_URL (it was empty).", url=masked_url(url)
    )
    seen: list[str] = []
    for line in process.stdout:
        seen.append(line)
        if line.strip() == banner:
            return seen
    raise AssertionError("".join(seen))


def test_the_demo_plays_on_the_database_it_is_given(tmp_path: Path) -> None:
    own = tmp_path / "mine.sqlite3"
    url = f"sqlite+aiosqlite:///{own.as_posix()}"
    process = start_demo(tmp_path, url)
    try:
        read_until_banner(process, url)

        def events() -> int:
            with closing(sqlite3.connect(own, timeout=30)) as connection:
                return int(connection.execute("select count(*) from events").fetchone()[0])

        deadline = time.monotonic() + 60
        while events() == 0 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        assert events() >= 1, "the demo created no event in the database it was given"
    finally:
        process.kill()
        process.wait(30)
    assert not (tmp_path / "data" / "demo.sqlite3").exists()  # its own file is not used


def test_the_demo_refuses_a_database_that_holds_people(tmp_path: Path) -> None:
    own = tmp_path / "mine.sqlite3"
    url = f"sqlite+aiosqlite:///{own.as_posix()}"
    assert run_cli(tmp_path, {"PASSERELLE_DATABASE_URL": url}, "db", "upgrade").returncode == 0
    with closing(sqlite3.connect(own)) as connection, connection:
        connection.execute(
            "insert into people (telegram_id, chat_id, first_name, language, created_at,"
            " updated_at) values (42, 42, 'Amina', 'fr', '2026-01-01', '2026-01-01')"
        )
    before = hashlib.sha256(own.read_bytes()).hexdigest()
    result = run_cli(tmp_path, {"PASSERELLE_DATABASE_URL": url}, "demo")
    assert result.returncode == 2, result.stdout + result.stderr
    _ = Translator.for_language("fr")
    refusal = _.plain(
        "The demo needs an empty database, and {url} (PASSERELLE_DATABASE_URL) already "
        "holds people or events. Give it a new database, or unset the variable to use "
        "the demo's own file.",
        url=masked_url(url),
    )
    assert refusal in result.stderr
    assert "Traceback" not in result.stderr
    assert hashlib.sha256(own.read_bytes()).hexdigest() == before


@needs_postgres
def test_demo_banner_shows_the_address_without_its_password(
    tmp_path: Path, database_url: str | None
) -> None:
    assert database_url is not None
    url = make_url(database_url).set(password=SECRET).render_as_string(hide_password=False)
    process = start_demo(tmp_path, url)
    try:
        seen = read_until_banner(process, url)
    finally:
        process.kill()
        process.wait(30)
    assert masked_url(url) in seen[-1]
    assert SECRET not in "".join(seen)
