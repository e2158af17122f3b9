"""``python -m bot.sandbox --port 8081``: serve the sandbox until SIGINT/SIGTERM.

Used when the bot under test runs in a subprocess (restart/kill tests, benchmarks, demo).
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from .server import RateLimit, SandboxServer


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--bot-username", default="passerelle_bot")
    parser.add_argument("--rate-global", type=int, default=None, help="sends/s, all chats")
    parser.add_argument("--rate-chat", type=int, default=None, help="sends/s per chat")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Start the server, print its URL (callers parse it when --port 0), wait for a signal."""
    rate_limit = None
    if args.rate_global is not None or args.rate_chat is not None:
        rate_limit = RateLimit(args.rate_global or 0, args.rate_chat or 0)
    server = SandboxServer(
        args.host, args.port, bot_username=args.bot_username, rate_limit=rate_limit
    )
    await server.start()
    print(f"sandbox listening on {server.url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    asyncio.run(serve(_parse_args(argv)))


if __name__ == "__main__":
    main()
