"""A tiny append-only file that remembers "Telegram accepted row N" the instant it answers.

Committing to the database takes a few milliseconds (more on a busy machine), and a crash in
that gap would resend a message Telegram already has. `os.write` to this file is synchronous
and survives `kill -9` (the data is in the kernel's page cache), so the dispatcher writes a
line here right after each accepted send, before anything else runs, and replays the file into
the table when it starts. Once the table holds everything the file says, the file is emptied.

It also says which rows were handed to Telegram at all: "row id -" is written just before a
request goes out. A row left `sending` without that line was only claimed (it sat in the
queue), so it is simply sent again; only rows with it need the dispatcher's probe.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

FILE_NAME = "outbox-sent.journal"


class SentJournal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self.started: set[int] = set()

    def open(self) -> list[tuple[int, int]]:
        """Open for appending; returns the (row id, message id) pairs left by the last run."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        entries: list[tuple[int, int]] = []
        self.started = set()
        if self.path.exists():
            for line in self.path.read_text(encoding="ascii", errors="ignore").splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
                    entries.append((int(parts[0]), int(parts[1])))
                elif len(parts) == 2 and parts[0].isdigit() and parts[1] == "-":
                    self.started.add(int(parts[0]))
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return entries

    def record_start(self, row_id: int) -> None:
        """The request for this row is about to go out (see the module docstring)."""
        if self._fd is not None:
            os.write(self._fd, f"{row_id} -\n".encode("ascii"))

    def record(self, row_id: int, message_id: int) -> None:
        if self._fd is not None:
            os.write(self._fd, f"{row_id} {message_id}\n".encode("ascii"))

    def clear(self, in_flight: Iterable[int] = ()) -> None:
        """Forget what is committed, keeping the start lines of requests still out.

        With requests out, the new content is written aside and renamed over the file, so a
        crash at any instant leaves either the old lines or the new ones, never neither.
        """
        if self._fd is None:
            return
        keep = "".join(f"{row_id} -\n" for row_id in in_flight)
        if not keep:
            os.ftruncate(self._fd, 0)
            return
        aside = self.path.with_suffix(".tmp")
        aside.write_text(keep, encoding="ascii")
        os.replace(aside, self.path)
        os.close(self._fd)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
