"""A round-robin HTTP load balancer in front of several bot processes in webhook mode.

Telegram calls one webhook URL; a large structure puts a load balancer behind it that spreads
the calls over several bot processes. `Balancer` is that, minimal: each POST it receives is
forwarded, in turn, to the next backend (headers and body as they came), and the backend's
answer goes back. `served` counts the calls each backend answered.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter

import httpx


class Balancer:
    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.served: Counter[str] = Counter()
        self._turn = itertools.cycle(backends)
        self._server: asyncio.Server | None = None
        self._http = httpx.AsyncClient(timeout=30)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await self._http.aclose()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                method, path, _ = request_line.split(" ", 2)
                headers = {}
                for line in header_lines:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status, answer = await self._forward(method, path, headers, body)
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Length: {len(answer)}\r\n"
                    "Content-Type: application/json\r\n\r\n".encode()
                    + answer
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes]:
        """To the next backend; a backend that does not answer passes the call on."""
        kept = {
            name: value
            for name, value in headers.items()
            if name in ("content-type", "x-telegram-bot-api-secret-token")
        }
        for _ in self.backends:
            backend = next(self._turn)
            try:
                response = await self._http.request(
                    method, backend.rstrip("/") + path, headers=kept, content=body
                )
            except httpx.HTTPError:
                continue
            self.served[backend] += 1
            return response.status_code, response.content
        return 502, b""
