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
    """Items by due time (epoch seconds); `get` blocks until the earliest is due.

    Only one waiting taker (the leader) sleeps until the earliest item is due; the
    others sleep until woken. With every taker timing the same head, all sixteen
    sender threads woke for each slot under a saturated limit (a third of a
    millisecond of CPU per send, BENCHMARKS.md); so the leader, once it has taken the
    head, wakes the next taker to watch the new head, and an item that becomes the
    head wakes one taker to watch it instead."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, T | None]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._leader: int | None = None  # the thread timing the head, if any

    def put(self, due: float, item: T | None) -> None:
        """Add `item`, due at `due` (0: now); None tells one taker to stop."""
        with self._changed:
            entry = (due, next(self._order), item)
            heapq.heappush(self._heap, entry)
            if self._heap[0] is entry:  # a new head: one taker (re)times it
                self._leader = None
                self._changed.notify()

    def get(self) -> T | None:
        """The earliest item, as soon as it is due."""
        me = threading.get_ident()
        with self._changed:
            while True:
                if not self._heap:
                    self._changed.wait()
                    continue
                wait = self._heap[0][0] - time.time()
                if wait <= 0:
                    item = heapq.heappop(self._heap)[2]
                    if self._heap and self._leader is None:
                        self._changed.notify()  # the next taker watches the new head
                    return item
                if self._leader is not None:
                    self._changed.wait()  # the leader watches the head
                    continue
                self._leader = me
                try:
                    self._changed.wait(wait)
                finally:
                    if self._leader == me:
                        self._leader = None
