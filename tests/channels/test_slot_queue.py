"""The senders' queue: the earliest slot first, nothing before its time."""

from __future__ import annotations

import threading
import time

import pytest

from bot.slot_queue import SlotQueue


@pytest.mark.parametrize("takers", [1, 4])
def test_an_earlier_slot_arriving_later_is_taken_first_and_none_early(takers: int) -> None:
    """With one taker or several waiting for a later slot, an earlier one put meanwhile
    (another channel's claim) is taken first, on time, and neither before its slot."""
    slots: SlotQueue[str] = SlotQueue()
    start = time.time()
    slots.put(start + 0.30, "late")
    taken: list[tuple[str | None, float]] = []

    def take() -> None:
        while (item := slots.get()) is not None:
            taken.append((item, time.time()))

    threads = [threading.Thread(target=take) for _ in range(takers)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)  # the takers now wait for 'late'
    slots.put(start + 0.10, "early")
    stop_when_taken(slots, taken, 2, threads)
    assert [item for item, _ in taken] == ["early", "late"]
    assert taken[0][1] >= start + 0.10 and taken[1][1] >= start + 0.30
    assert taken[0][1] < start + 0.25  # not held up behind the later slot


def test_none_stops_a_taker_at_once() -> None:
    slots: SlotQueue[str] = SlotQueue()
    slots.put(time.time() + 60, "much later")
    slots.put(float("-inf"), None)
    assert slots.get() is None


def test_many_takers_take_every_item_once_and_none_early() -> None:
    """Items put out of order from two threads, some of them new heads, are all taken
    by eight takers, each once, none before its time, and one stop per taker ends them
    all."""
    slots: SlotQueue[tuple[int, float]] = SlotQueue()
    start = time.time() + 0.05
    taken: list[tuple[int, float, float]] = []
    lock = threading.Lock()

    def take() -> None:
        while (item := slots.get()) is not None:
            with lock:
                taken.append((item[0], item[1], time.time()))

    def put(numbers: range) -> None:
        for n in numbers:
            due = start + ((n * 37) % 200) / 400  # spread over 0.5 s, not in order
            slots.put(due, (n, due))

    takers = [threading.Thread(target=take) for _ in range(8)]
    for taker in takers:
        taker.start()
    producers = [threading.Thread(target=put, args=(range(k, 200, 2),)) for k in (0, 1)]
    for producer in producers:
        producer.start()
    for producer in producers:
        producer.join()
    stop_when_taken(slots, taken, 200, takers)
    assert sorted(n for n, _, _ in taken) == list(range(200))
    assert all(at >= due for _, due, at in taken)
    assert not any(taker.is_alive() for taker in takers)


def stop_when_taken(
    slots: SlotQueue, taken: list, count: int, takers: list[threading.Thread]
) -> None:
    """Wait (10 s at most) until `count` items are taken, then stop every taker."""
    deadline = time.time() + 10
    while len(taken) < count and time.time() < deadline:
        time.sleep(0.01)
    for _ in takers:
        slots.put(float("-inf"), None)
    for taker in takers:
        taker.join(5)
