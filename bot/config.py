"""Settings read from the environment and an optional `.env`, validated once at start-up.

Every variable is prefixed `PASSERELLE_`. A bad value must stop the process with one line that
names the variable, so `load_settings` turns pydantic's report into a `ConfigError`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.i18n import N_

TELEGRAM_API_URL = "https://api.telegram.org"
DEFAULT_DATA_DIR = Path("data")


class ConfigError(Exception):
    """A configuration value is missing or wrong; `variable` names it, `expected` says what fits.

    `expected` is a message id, translated with `values` when the error is printed.
    """

    def __init__(self, variable: str, expected: str, **values: object) -> None:
        super().__init__(f"{variable}: {expected.format(**values)}")
        self.variable = variable
        self.expected = expected
        self.values = values


class Settings(BaseSettings):
    """What an organisation configures; defaults run a local, offline bot on SQLite."""

    model_config = SettingsConfigDict(
        env_prefix="PASSERELLE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    token: str | None = None
    api_url: str = TELEGRAM_API_URL
    database_url: str | None = None
    data_dir: Path = DEFAULT_DATA_DIR
    staff_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    timezone: str = "Europe/Paris"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    # An unfinished sign-up or event is kept this long (then erased with a last message),
    # with one gentle reminder after `conversation_nudge_minutes` (0: none).
    conversation_timeout_minutes: float = Field(default=14 * 24 * 60, ge=1, le=60 * 24 * 60)
    conversation_nudge_minutes: float = Field(default=3 * 60, ge=0, le=60 * 24 * 60)
    programmes: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["COI", "Coaching+", "COFA", "RSA", "Autre"]
    )
    log_level: str = "INFO"
    # Messages per second the outbox may send (Telegram allows ~30; raised for local benches).
    outbox_rate_per_second: float = Field(default=30, gt=0, le=1000)
    # Seconds to wait for the Bot API's answer before a request counts as timed out (PTB's
    # default read timeout); a timed-out send may still have arrived (see the dispatcher).
    api_timeout_seconds: float = Field(default=5, ge=0.1, le=120)
    # Seconds between two runs of the after-event scheduler (questionnaires, reminders).
    aftercare_seconds: int = Field(default=60, ge=1, le=3600)
    # Personal data is erased this many months after a person's last event (notice a month before).
    retention_months: int = Field(default=24, ge=2, le=120)

    @field_validator("staff_ids", mode="before")
    @classmethod
    def _split_staff_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(re.fullmatch(r"-?[0-9]+", part) for part in parts):
                raise ValueError("staff ids")
            return [int(part) for part in parts]
        return value

    @field_validator("programmes", mode="before")
    @classmethod
    def _split_programmes(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("timezone") from exc
        return value

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: str | None) -> str | None:
        if value is None or value.strip() == "":
            return None
        bot_id, _, secret = value.strip().partition(":")
        if not re.fullmatch(r"[0-9]+", bot_id) or not secret:
            raise ValueError("token")
        return value.strip()

    @model_validator(mode="after")
    def _webhook_needs_token(self) -> Settings:
        if self.webhook_url and not self.token:
            raise ValueError("webhook without token")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def offline(self) -> bool:
        """No token: the bot runs against the local Bot API (demo mode)."""
        return self.token is None

    @property
    def bot_base_url(self) -> str:
        return f"{self.api_url.rstrip('/')}/bot"

    @property
    def bot_file_url(self) -> str:
        return f"{self.api_url.rstrip('/')}/file/bot"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'passerelle.sqlite3').as_posix()}"


# What each variable expects, in the words of the one-line start-up error (translated there).
EXPECTED = {
    "token": N_("a Telegram bot token such as 123456:ABC…"),
    "api_url": N_("an http(s) address of the Bot API"),
    "database_url": N_("a SQLAlchemy URL such as sqlite+aiosqlite:///data/passerelle.sqlite3"),
    "data_dir": N_("a writable folder"),
    "staff_ids": N_("numeric Telegram ids separated by commas, e.g. 111,222"),
    "timezone": N_("an IANA time zone such as Europe/Paris"),
    "webhook_url": N_("PASSERELLE_TOKEN is required with a webhook"),
    "webhook_port": N_("a port number between 1 and 65535"),
    "conversation_timeout_minutes": N_("a number of minutes between 1 and 86400"),
    "conversation_nudge_minutes": N_("a number of minutes between 0 and 86400"),
    "outbox_rate_per_second": N_("a number of messages per second between 1 and 1000"),
    "api_timeout_seconds": N_("a number of seconds between 0.1 and 120"),
    "aftercare_seconds": N_("a number of seconds between 1 and 3600"),
    "retention_months": N_("a number of months between 2 and 120"),
}
UNWRITABLE_FOLDER = N_("a writable folder ({folder} cannot be used)")
UNREACHABLE_DATABASE = N_("a database the bot can reach and write to ({url}: {reason})")
_PASSWORD = re.compile(r"(?P<head>://[^:/@\s]*:)[^@\s]*(?P<tail>@)")


def masked_url(url: str) -> str:
    """A database URL fit to print or log: its password, if any, replaced by ***."""
    return _PASSWORD.sub(r"\g<head>***\g<tail>", url)


def _variable(field: str) -> str:
    return f"PASSERELLE_{field.upper()}"


def load_settings(**overrides: Any) -> Settings:
    """Read and check the settings; raise `ConfigError` naming the first bad variable."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "webhook_url"
        raise ConfigError(_variable(field), EXPECTED.get(field, N_("a valid value"))) from None
    _check_database_reachable(settings)
    return settings


def _check_database_reachable(settings: Settings) -> None:
    """Fail early when the SQLite file cannot be created, rather than at the first update."""
    url = settings.resolved_database_url
    if not url.startswith("sqlite"):
        if "://" not in url:
            raise ConfigError(_variable("database_url"), EXPECTED["database_url"])
        return
    _, _, path_part = url.partition(":///")
    if not path_part or path_part == ":memory:" or path_part.startswith("file:"):
        return
    folder = Path(path_part).expanduser().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        raise ConfigError(_database_variable(settings), UNWRITABLE_FOLDER, folder=folder) from None
    if not os.access(folder, os.W_OK):
        raise ConfigError(_database_variable(settings), UNWRITABLE_FOLDER, folder=folder)


def database_variable(settings: Settings) -> str:
    """The variable that chose the database (the URL, or the data folder's SQLite file)."""
    return _database_variable(settings)


def _database_variable(settings: Settings) -> str:
    return _variable("database_url" if settings.database_url else "data_dir")
