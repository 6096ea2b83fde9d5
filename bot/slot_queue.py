"""The dispatcher's queue of sends, by the time of their rate-limit slot.

A sender thread takes the earliest job once its slot has come, and waits otherwise; a
job with an earlier slot that arrives meanwhile (another channel's claim) is taken
first. So no thread sleeps on a later slot while an earlier one is due: a plain FIFO
with a sleep per job would let a send wait behind another channel's future slot and
then go out late, bunched with the next ones, above the provider's limit.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from typing import Generic, TypeVar

T = TypeVar("T")


class SlotQueue(Generic[T]):
    """Items by due time (epoch seconds); `get` blocks until the earliest is due."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, T | None]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()

    def put(self, due: float, item: T | None) -> None:
        """Add `item`, due at `due` (0: now); None tells one taker to stop."""
        with self._changed:
            heapq.heappush(self._heap, (due, next(self._order), item))
            self._changed.notify()

    def get(self) -> T | None:
        """The earliest item, as soon as it is due."""
        with self._changed:
            while True:
                if not self._heap:
                    self._changed.wait()
                    continue
                wait = self._heap[0][0] - time.time()
                if wait <= 0:
                    return heapq.heappop(self._heap)[2]
                self._changed.wait(wait)
