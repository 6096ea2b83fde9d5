"""One warning line per refused request, at most `LINES_PER_WINDOW` per minute.

A refused request is logged so an operator sees probing or a broken client, but a
flood of them must not flood the log: past the budget lines are counted, not
written, and the count is reported with the next line of a later window.
"""

from __future__ import annotations

import logging
import threading
import time

from starlette.types import Scope

log = logging.getLogger("stadtbot.rejected")
LINES_PER_WINDOW = 20
WINDOW_SECONDS = 60.0


class _Budget:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.window_start = 0.0
        self.used = 0
        self.suppressed = 0

    def take(self) -> tuple[bool, int]:
        """May a line be written now, and how many were suppressed before it."""
        now = time.monotonic()
        with self.lock:
            if now - self.window_start >= WINDOW_SECONDS:
                self.window_start, self.used = now, 0
            if self.used >= LINES_PER_WINDOW:
                self.suppressed += 1
                return False, 0
            self.used += 1
            suppressed, self.suppressed = self.suppressed, 0
            return True, suppressed


_budget = _Budget()


def log_line(message: str, *args: object, **extra: object) -> None:
    """A warning within the shared budget (`extra` fields go to the JSON log)."""
    allowed, suppressed = _budget.take()
    if not allowed:
        return
    if suppressed:
        message += " (%d similar lines suppressed)"
        args = (*args, suppressed)
    log.warning(message, *args, extra=extra)


def log_rejected(scope: Scope, status: int, reason: str) -> None:
    """The line for a request refused before (or instead of) its route."""
    method = scope.get("method", "WS")
    path = scope.get("path", "")[:120]
    log_line("refused %s %r %s: %s", method, path, status, reason, status=status)
