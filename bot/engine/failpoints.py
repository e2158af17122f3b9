"""Named points where a test can make the process die at once, as a power cut would.

`PASSERELLE_FAILPOINT=<point>:<n>` kills the process with SIGKILL the n-th time `<point>` is
reached (n = 1 when omitted); `<point>:<n>:pause` stops it there with SIGSTOP instead, for
a test to change its surroundings (e.g. fill its disk) before SIGCONT lets it go on. Unset
— always, outside the crash tests — it costs one dict lookup. The points, in the order an
update meets them:

- `stored`: the update is in the inbox, not yet handled (Telegram may not know yet);
- `handled`: its handlers ran, nothing is committed;
- `committed`: its changes and replies are committed, no reply has been sent;
- `replied`: its replies were handed to Telegram, their outcome not yet recorded.
"""

from __future__ import annotations

import os
import signal

ENVIRONMENT = "PASSERELLE_FAILPOINT"
POINTS = ("stored", "handled", "committed", "replied")


def _parse(value: str | None) -> tuple[str, int, signal.Signals] | None:
    if not value:
        return None
    name, _sep, rest = value.partition(":")
    count, _sep, action = rest.partition(":")
    if name not in POINTS or action not in ("", "pause"):
        raise ValueError(f"{ENVIRONMENT}: unknown point {value!r}")
    return name, int(count or "1"), signal.SIGSTOP if action else signal.SIGKILL


_armed = _parse(os.environ.get(ENVIRONMENT))
_seen: dict[str, int] = {}


def reach(point: str) -> None:
    """Die here if a test asked for it (see the module docstring)."""
    if _armed is None or _armed[0] != point:
        return
    _seen[point] = _seen.get(point, 0) + 1
    if _seen[point] == _armed[1]:  # SIGKILL: never reached again; a pause: once
        os.kill(os.getpid(), _armed[2])
