"""Bad configuration stops start-up with one French line naming the variable, exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings
from tests.helpers.texts import contains, pattern

ROOT = Path(__file__).resolve().parents[2]


def run_cli(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PASSERELLE_")}
    clean.update({"PASSERELLE_DATA_DIR": str(tmp_path / "data"), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *(args or ("run",))],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "variable", "expected", "detail"),
    [
        (
            {"PASSERELLE_WEBHOOK_URL": "https://example.org/hook"},
            "PASSERELLE_WEBHOOK_URL",
            "PASSERELLE_TOKEN is required with a webhook",
            None,
        ),
        (
            {"PASSERELLE_STAFF_IDS": "12,abc"},
            "PASSERELLE_STAFF_IDS",
            "numeric Telegram ids separated by commas, e.g. 111,222",
            None,
        ),
        (
            {"PASSERELLE_TIMEZONE": "Europe/Atlantide"},
            "PASSERELLE_TIMEZONE",
            "an IANA time zone such as Europe/Paris",
            None,
        ),
        (
            {"PASSERELLE_DATABASE_URL": "sqlite+aiosqlite:////proc/nope/x.sqlite3"},
            "PASSERELLE_DATABASE_URL",
            "a writable folder ({folder} cannot be used)",
            "/proc/nope",
        ),
        (
            {"PASSERELLE_TOKEN": "not-a-token"},
            "PASSERELLE_TOKEN",
            "a Telegram bot token such as 123456:ABC…",
            None,
        ),
    ],
)
def test_bad_configuration_is_one_line_and_exit_2(
    tmp_path: Path, env: dict[str, str], variable: str, expected: str, detail: str | None
) -> None:
    result = run_cli(tmp_path, env)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    error = "Configuration error: {variable}: expected {expected}."
    assert pattern(error, variable=variable).match(lines[0])
    assert contains(lines[0], expected)
    assert detail is None or detail in lines[0]
    assert "Traceback" not in result.stderr


def test_staff_ids_are_parsed_from_a_comma_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PASSERELLE_STAFF_IDS", " 11, 22 ,33")
    assert load_settings().staff_ids == [11, 22, 33]


def test_no_token_means_offline_on_sqlite(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "d")
    assert settings.offline
    assert settings.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert (tmp_path / "d").is_dir()


def test_config_error_names_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(timezone="Mars/Olympus")
    assert caught.value.variable == "PASSERELLE_TIMEZONE"


def test_db_upgrade_creates_the_tables(tmp_path: Path) -> None:
    result = run_cli(tmp_path, {}, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "passerelle.sqlite3") as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master")}
    assert {"people", "events", "registrations", "outbox", "alembic_version"} <= tables
