"""The sender threads' queue under a saturated limit: CPU and lateness per slot.

A dispatcher's sender threads (DISPATCH_CONCURRENCY of them) all wait on one
`SlotQueue`; under a saturated rate limit every job is due in the future, one per
1/rate seconds. This drives the queue like that, with no sending, and reports the
process CPU per job taken and how late jobs were taken after their slot.

Usage:
    python benchmarks/slot_queue_wakeups.py [--threads 16] [--rate 80] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.slot_queue import SlotQueue


def run(threads: int, rate: float, seconds: float) -> dict:
    slots: SlotQueue[float] = SlotQueue()
    late: list[float] = []
    lock = threading.Lock()

    def sender() -> None:
        while (due := slots.get()) is not None:
            taken = time.time()
            with lock:
                late.append(taken - due)

    workers = [threading.Thread(target=sender) for _ in range(threads)]
    for worker in workers:
        worker.start()
    cpu, began = time.process_time(), time.time()
    count = int(rate * seconds)
    # As a saturated dispatcher claims: a block of a tenth of a second's slots at a
    # time, put 0.2 s (RATE_AHEAD_SECONDS) before the block's first slot is due.
    block = max(1, int(rate / 10))
    for start in range(0, count, block):
        first = began + 0.2 + start / rate
        time.sleep(max(0.0, first - 0.2 - time.time()))
        for n in range(start, min(count, start + block)):
            slots.put(began + 0.2 + n / rate, began + 0.2 + n / rate)
    time.sleep(max(0.0, began + 0.3 + count / rate - time.time()))  # all taken by now
    for _ in workers:
        slots.put(float("-inf"), None)
    for worker in workers:
        worker.join()
    used = time.process_time() - cpu
    late.sort()
    return {
        "threads": threads, "rate": rate, "jobs": len(late),
        "cpu_per_job_us": round(used / max(1, len(late)) * 1e6, 1),
        "cpu_share_of_one_core": round(used / (time.time() - began), 4),
        "late_ms": {
            "p50": round(late[len(late) // 2] * 1e3, 3),
            "p99": round(late[int(len(late) * 0.99)] * 1e3, 3),
            "max": round(late[-1] * 1e3, 3),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--rate", type=float, default=80.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    print(json.dumps(run(args.threads, args.rate, args.seconds)))


if __name__ == "__main__":
    main()
