"""Back-off for teacher-password guesses, per session and for the whole server.

After `FREE_TRIES` wrong guesses from one session, each further guess has to wait twice as long as the
one before (1 s, 2 s, 4 s … up to `MAX_WAIT_S`); the server as a whole gets `SERVER_FREE_TRIES`
before the same back-off applies to every session, so opening new tabs does not reset it. While a
wait runs, no password is compared at all. A correct password clears that session's count. Failures
are logged on the server (never the password itself). A count is forgotten after `FORGET_AFTER_S`
without a wrong guess, so a class's typos do not lock the teacher out for the day.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

FREE_TRIES = 5
SERVER_FREE_TRIES = 20
MAX_WAIT_S = 300.0
FORGET_AFTER_S = 900.0
SERVER = "*server*"
log = logging.getLogger("bert_explorer.security")


def backoff_seconds(failures: int, free: int = FREE_TRIES) -> float:
    """Wait before the next guess after `failures` wrong ones: 0 for the first `free`, then 1, 2, 4 … s."""
    return 0.0 if failures < free else min(MAX_WAIT_S, 2.0 ** (failures - free))


@dataclass
class _Count:
    failures: int = 0
    last: float = 0.0


@dataclass
class LoginGuard:
    """Thread-safe failure counts keyed by owner id (one shared instance per server process)."""

    clock: Callable[[], float] = time.monotonic
    _counts: dict[str, _Count] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_left(self, who: str) -> float:
        """Seconds `who` must still wait before a guess is checked (0: check it now)."""
        now = self.clock()
        with self._lock:
            waits = [self._wait(key, free, now) for key, free in ((who, FREE_TRIES), (SERVER, SERVER_FREE_TRIES))]
        return max(waits)

    def _wait(self, key: str, free: int, now: float) -> float:
        count = self._counts.get(key)
        if count is None or now - count.last > FORGET_AFTER_S:
            return 0.0
        return max(0.0, count.last + backoff_seconds(count.failures, free) - now)

    def failed(self, who: str) -> None:
        now = self.clock()
        with self._lock:
            for key in (who, SERVER):
                count = self._counts.setdefault(key, _Count())
                if now - count.last > FORGET_AFTER_S:
                    count.failures = 0
                count.failures += 1
                count.last = now
            mine, everyone = self._counts[who].failures, self._counts[SERVER].failures
        log.warning("wrong teacher password from session %s (%d from it, %d on this server)", who, mine, everyone)

    def succeeded(self, who: str) -> None:
        with self._lock:
            self._counts.pop(who, None)
        log.info("teacher mode entered by session %s", who)
