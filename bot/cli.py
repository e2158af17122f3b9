"""`passerelle` command line: commands only; the work is done by the modules they call."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot import runner
from bot.config import (
    UNREACHABLE_DATABASE,
    ConfigError,
    Settings,
    database_variable,
    load_settings,
    masked_url,
)
from bot.db.session import Database, unreachable
from bot.i18n import Translator
from matching.cli import Parser
from matching.cli import main as plan_main
from matching.i18n import translator

EXIT_CONFIG = 2


def _parser(_: Translator) -> argparse.ArgumentParser:
    parser = Parser(
        prog="passerelle",
        description=_.plain("Passerelle bot."),
        translate=translator(_.language),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar=_.plain("COMMAND"))
    run = commands.add_parser(
        "run", help=_.plain("Run the bot (offline demo when no token is set).")
    )
    run.add_argument(
        "--serve",
        action="store_true",
        help=_.plain("Offline: keep the local Bot API and the bot running after the demo."),
    )
    commands.add_parser("demo", help=_.plain("Run the offline demo and print the conversation."))
    database = commands.add_parser("db", help=_.plain("Database commands."))
    database_commands = database.add_subparsers(
        dest="db_command", required=True, metavar=_.plain("COMMAND")
    )
    database_commands.add_parser("upgrade", help=_.plain("Apply the migrations."))
    plan = commands.add_parser("plan", help=_.plain("Plan the rooms of an instance file."))
    plan.add_argument("arguments", nargs=argparse.REMAINDER, metavar=_.plain("ARGUMENTS"))
    return parser


def main(argv: list[str] | None = None) -> int:
    _ = Translator.for_language("fr")
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["plan"]:
        return plan_main(arguments[1:])
    options = _parser(_).parse_args(arguments)
    try:
        settings = load_settings()
        _check_database(settings, options.command)
    except ConfigError as error:
        print(
            _.plain(
                "Configuration error: {variable}: expected {expected}.",
                variable=error.variable,
                expected=_.plain(error.expected, **error.values),
            ),
            file=sys.stderr,
        )
        return EXIT_CONFIG
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if options.command == "db":

        async def upgrade() -> None:
            database = Database(settings.resolved_database_url)
            await database.migrate()
            await database.dispose()

        asyncio.run(upgrade())
        print(_.plain("Database up to date: {url}", url=masked_url(settings.resolved_database_url)))
        return 0
    if options.command == "demo" or settings.offline:
        return runner.run_offline(settings, serve=getattr(options, "serve", False))
    return runner.run_online(settings)


def _check_database(settings: Settings, command: str) -> None:
    """Stop with one line naming the variable when the database cannot be used."""
    if command != "db" and settings.offline and not settings.database_url:
        return  # the offline demo uses its own SQLite file, checked like the data folder
    url = settings.resolved_database_url
    reason = asyncio.run(unreachable(url))
    if reason is not None:
        raise ConfigError(
            database_variable(settings),
            UNREACHABLE_DATABASE,
            url=masked_url(url),
            reason=masked_url(reason),
        )


if __name__ == "__main__":
    raise SystemExit(main())
