"""Parse latency, training time and model size of the NLU.

    .venv/bin/python benchmarks/nlu_latency.py [--rounds 20]

Parses every held-out message plus entity-heavy messages (dates, times, amounts, codes,
phone numbers, fuzzy merchant and street names, a 4,000-character paste) `rounds` times
through the public `nlu.parse` (entity extraction included) and prints p50/p90/p99/max in
milliseconds, as wall-clock time and as the thread's CPU time (which leaves out the time
the process waited for a core while other jobs ran); then trains from scratch once and
prints the seconds and the model size.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import nlu
from nlu import model_store
from nlu.engine import train_dir
from nlu.heldout import load_heldout

EXTRA = [
    "Kann ich morgen um 3 ein Ruderboot für 2 Stunden mieten?",
    "next friday at 2pm a pedal boat for an hour and a half",
    "morgen om drie uur een roeiboot voor anderhalf uur",
    "Ich möchte 15,50 € mit Gutschein AHS-DEMO-0001 beim Eiscafe am Schlos bezahlen",
    "Schlagloch in der Marktstr. 12, Rückruf unter 0151 23456789 oder max@example.de",
    "Wie ist der Stand von AH-2026-004711? Die Laterne in der Wüllener Strasse ist noch aus",
    "Samstag 15 Uhr Tretboot, am 12.7. ginge auch",
    "kuil in de weg bij de Sümmermannplatz, bel me op 06 12345678",
    "in drei Tagen ein Kanu",
    "nächsten Monat ein Kanu (dateparser fallback)",
    "Gutschein " * 400,
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    texts = [c.text for c in load_heldout()] + EXTRA
    now = datetime.now(ZoneInfo("Europe/Berlin"))
    nlu.get_nlu()
    for text in texts:  # warm-up: imports, lazy regex compilation, dateparser's first load
        nlu.parse(text, now=now)
    times: list[float] = []
    cpu: list[float] = []
    for _ in range(args.rounds):
        for text in texts:
            started, started_cpu = time.perf_counter(), time.thread_time()
            nlu.parse(text, now=now)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"parse latency over {len(times)} parses ({len(texts)} distinct messages):")
    for label, values in (("wall", times), ("cpu ", cpu)):
        print(f"  {label}: p50 {statistics.median(values):.3f} ms  "
              f"p90 {percentile(values, 0.9):.3f} ms  p99 {percentile(values, 0.99):.3f} ms  "
              f"max {max(values):.3f} ms")
    print(f"  load average during the run: {os.getloadavg()[0]:.2f}")
    started = time.perf_counter()
    digest = model_store.data_hash()
    model = train_dir(model_store.DATA_DIR, digest)
    seconds = time.perf_counter() - started
    path = model_store.save(model, digest)
    print(f"training from scratch: {seconds:.1f} s; model file {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
