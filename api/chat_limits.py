"""Limits for anonymous chat traffic: per session, per client IP, new chats per IP.

The web chat needs no login, so without limits one script could send hundreds of
messages a second into a session, or open a new chat per request to guess voucher
codes past the per-chat limit. Each limit is a token bucket: `count` tokens, refilled
evenly over `period` seconds; a request that finds no token is refused with the
seconds until the next one (the 429's Retry-After).

Buckets live in the process (one app, one `ChatLimits`): a check costs no database
round trip on the hottest route. With several workers each one counts alone, so the
effective limit is the setting times the number of workers. A count of 0 switches a
limit off (benchmarks, load tests).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from bot.core.settings import Settings

MAX_BUCKETS = 50_000  # past this, full (idle) buckets are forgotten


@dataclass(frozen=True)
class Rate:
    """At most `count` per `period` seconds (0: unlimited)."""

    count: int
    period: float


class Buckets:
    """Token buckets by key, thread-safe (sync routes run in the threadpool)."""

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self._state: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated)
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float | None:
        """Spend one token for `key`: None if allowed, else seconds until one is back."""
        if self.rate.count <= 0:
            return None
        now = time.monotonic() if now is None else now
        per_second = self.rate.count / self.rate.period
        with self._lock:
            tokens, updated = self._state.get(key, (float(self.rate.count), now))
            tokens = min(float(self.rate.count), tokens + (now - updated) * per_second)
            if tokens < 1.0:
                self._state[key] = (tokens, now)
                return (1.0 - tokens) / per_second
            self._state[key] = (tokens - 1.0, now)
            if len(self._state) > MAX_BUCKETS:
                self._forget_idle(now, per_second)
        return None

    def _forget_idle(self, now: float, per_second: float) -> None:
        full = [
            key
            for key, (tokens, updated) in self._state.items()
            if tokens + (now - updated) * per_second >= self.rate.count
        ]
        for key in full:
            del self._state[key]


class ChatLimits:
    """The three chat limits, from settings."""

    def __init__(self, settings: Settings) -> None:
        self.per_session = Buckets(Rate(settings.chat_session_messages_per_minute, 60.0))
        self.per_ip = Buckets(Rate(settings.chat_ip_messages_per_minute, 60.0))
        self.new_chats = Buckets(Rate(settings.chat_new_sessions_per_ip_per_hour, 3600.0))

    def message(self, ip: str, session_id: str | None) -> int | None:
        """Retry-After seconds when this message is over a limit, else None.

        `session_id` None means the message opens a new chat.
        """
        waits = [self.per_ip.take(ip)]
        if session_id is None:
            waits.append(self.new_chats.take(ip))
        else:
            waits.append(self.per_session.take(session_id))
        wait = max((w for w in waits if w is not None), default=None)
        return None if wait is None else max(1, math.ceil(wait))
