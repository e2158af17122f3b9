"""`python -m tests.helpers.shifted_bot run`: bots forked, on a word from the test, from one
process that imported the bot once, each on a clock and with a failpoint the test chooses.

Importing the bot takes a second or more on a busy machine, much longer than what a crash
test is about (what the bot does once it runs); twenty restarts would spend most of a test
there. This process imports everything (what the bot loads on first use too), then reads
its standard input. Each line is a JSON object,
`{"offset": <seconds>, "failpoint": <PASSERELLE_FAILPOINT or null>}`: it forks a bot for it
(`bot.clock` moved by that offset, e.g. to the day after an event; the failpoint armed;
output appended to `BOT_LOG_PATH`) and writes the bot's process id on its standard output.
The bot then runs `passerelle run` as a real start does, from reading the settings on. An
empty input (the test ended) stops this process. Test-only: no setting of the bot moves its
clock.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
from datetime import timedelta

import bot.services.aftercare.report_chart  # noqa: F401  (loaded on first use by the bot)
import matching.picture
import matching.replanning
import matching.solver  # noqa: F401
from bot import clock
from bot.cli import main
from bot.engine import failpoints

LOG_VARIABLE = "BOT_LOG_PATH"


def _bot(offset: float, failpoint: str | None, log_path: str) -> None:
    """In the forked child: the bot, as `python -m bot run` runs it, never returning."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    clock.set_offset(timedelta(seconds=offset))
    if failpoint:
        os.environ[failpoints.ENVIRONMENT] = failpoint
        importlib.reload(failpoints)  # it reads the variable when loaded
    code = 1
    try:
        code = main()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the bots are reaped as they die
    log_path = os.environ[LOG_VARIABLE]
    for line in sys.stdin:
        if not line.strip():
            break
        order = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _bot(float(order["offset"]), order.get("failpoint"), log_path)
        print(pid, flush=True)


if __name__ == "__main__":
    serve()
