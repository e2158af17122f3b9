"""A tiny append-only file that remembers "Telegram accepted row N" the instant it answers.

Committing to the database takes a few milliseconds (more on a busy machine), and a crash in
that gap would resend a message Telegram already has. `os.write` to this file is synchronous
and survives `kill -9` (the data is in the kernel's page cache), so the dispatcher writes a
line here right after each accepted send, before anything else runs, and replays the file into
the table when it starts. Once the table holds everything the file says, the file is emptied.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_NAME = "outbox-sent.journal"


class SentJournal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def open(self) -> list[tuple[int, int]]:
        """Open for appending; returns the (row id, message id) pairs left by the last run."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        entries: list[tuple[int, int]] = []
        if self.path.exists():
            for line in self.path.read_text(encoding="ascii", errors="ignore").splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
                    entries.append((int(parts[0]), int(parts[1])))
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return entries

    def record(self, row_id: int, message_id: int) -> None:
        if self._fd is not None:
            os.write(self._fd, f"{row_id} {message_id}\n".encode("ascii"))

    def clear(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
