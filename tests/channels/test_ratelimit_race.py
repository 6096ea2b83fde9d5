"""Two workers reserving send slots from one bucket at the same moment, on the real
databases: the bucket's lock (PostgreSQL's `FOR UPDATE` on its row; on SQLite the write
transaction, `BEGIN IMMEDIATE`, which threads of one process take in turn, bot/core/db.py)
is all that keeps them from handing out the same slots twice or slots closer than 1/rate.

The test_ratelimit.py tests take turns on one connection with a made-up clock; here two
threads with their own engines (their own connections) claim concurrently on the wall
clock, as two `stadtbot worker` processes do. The PostgreSQL run needs
TEST_DATABASE_URL and is skipped without it (the skip reason says so)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

from bot import ratelimit
from bot.core.db import make_engine, transaction
from bot.ratelimit import Rate

# 200/s with 50 ms ahead: a claim gets up to 11 slots, 5 ms apart.
RATE = Rate.of("telegram", 200.0, 0.05)
ROUNDS = 150
# Slots are epoch seconds (about 1.8e9): a double resolves them to about 2.4e-7 s.
EPSILON = 1e-6


def _claims(url: str, start: threading.Barrier) -> list[float]:
    """One saturated worker: `ROUNDS` claims, each taking every free slot, with a
    millisecond between `available` and `take` where the dispatcher queries its due
    rows (the window in which an unlocked bucket would let the other worker in)."""
    engine = make_engine(url)
    slots: list[float] = []
    try:
        start.wait(timeout=30)
        for _ in range(ROUNDS):
            with transaction(engine) as session:
                free = ratelimit.available(session, RATE)
                time.sleep(0.001)
                slots += ratelimit.take(session, RATE, free)
    finally:
        engine.dispose()
    return slots


def test_two_workers_never_share_or_crowd_a_slot(db_url: str) -> None:
    start = threading.Barrier(2)
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(_claims, db_url, start) for _ in range(2)]
        per_worker = [future.result() for future in futures]
    # Both workers got slots many times over, so their claims did meet.
    assert all(len(slots) > RATE.ahead * RATE.per_second for slots in per_worker)
    slots = sorted(per_worker[0] + per_worker[1])
    assert len(set(slots)) == len(slots), "a slot was handed out twice"
    closest = min(b - a for a, b in pairwise(slots))
    assert closest >= 1 / RATE.per_second - EPSILON, (
        f"two slots {closest * 1000:.3f} ms apart (limit {1000 / RATE.per_second:.1f} ms)"
    )
