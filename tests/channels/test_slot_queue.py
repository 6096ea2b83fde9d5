"""The senders' queue: the earliest slot first, nothing before its time."""

from __future__ import annotations

import threading
import time

from bot.slot_queue import SlotQueue


def test_an_earlier_slot_arriving_later_is_taken_first_and_none_early() -> None:
    slots: SlotQueue[str] = SlotQueue()
    start = time.time()
    slots.put(start + 0.30, "late")
    taken: list[tuple[str | None, float]] = []

    def take_two() -> None:
        for _ in range(2):
            item = slots.get()
            taken.append((item, time.time()))

    taker = threading.Thread(target=take_two)
    taker.start()
    time.sleep(0.05)  # the taker now waits for 'late'
    slots.put(start + 0.10, "early")
    taker.join(2)
    assert [item for item, _ in taken] == ["early", "late"]
    assert taken[0][1] >= start + 0.10 and taken[1][1] >= start + 0.30
    assert taken[0][1] < start + 0.25  # not held up behind the later slot


def test_none_stops_a_taker_at_once() -> None:
    slots: SlotQueue[str] = SlotQueue()
    slots.put(time.time() + 60, "much later")
    slots.put(float("-inf"), None)
    assert slots.get() is None
