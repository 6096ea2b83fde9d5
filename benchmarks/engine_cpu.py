"""CPU time of one `Engine.handle` call, in process, real NLU, one thread.

Usage:
    python benchmarks/engine_cpu.py [--db sqlite|postgres] [--count 300] [--runs 5]
        [--profile out.prof]

Three kinds of turn, each measured as `time.process_time()` over `--count` messages
after a warm-up, the median (and range) of `--runs` runs printed in ms per message:
- new: every message from a sender never seen before ("Hallo": the contact and
  conversation are created, the menu is the reply);
- returning: senders who wrote before ("danke": one reply);
- action: a returning sender asks for opening hours ("Hat das Rathaus heute offen?"):
  a one-step flow that calls the `info.opening_hours` action.

Also reported: the SQLite writer's hold, the wall time from `BEGIN IMMEDIATE` to the end
of COMMIT per message (median and p90), which is what other writers wait for.

PostgreSQL uses TEST_DATABASE_URL (a schema of its own, dropped afterwards). CPU time is
steadier than wall time on a shared machine, but still moves by ±10 % between runs.
`--profile` writes a cProfile of the returning and action turns (one run each).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bot.core.messages import InboundMessage  # noqa: E402
from bot.core.settings import Settings  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.runtime import build_engine  # noqa: E402

TEXTS = {"new": "Hallo", "returning": "danke", "action": "Hat das Rathaus heute offen?"}


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "postgres":
        from tests.support import pg_schema

        with pg_schema() as url:
            yield url
        return
    url = f"sqlite:///{tempfile.mkdtemp()}/engine_cpu.db"
    upgrade(url)
    yield url


class WriterHold:
    """Wall time of each write transaction: from before BEGIN (IMMEDIATE on SQLite) to
    after COMMIT. On SQLite, `bot.core.db` commits inside its own "commit" listener;
    this one is added after it, so it runs once the COMMIT is done."""

    def __init__(self, engine: Engine) -> None:
        self.holds: list[float] = []
        self._started: dict[int, float] = {}
        self.db = engine.db
        event.listen(self.db, "begin", self._begin, insert=True)
        event.listen(self.db, "commit", self._end)
        event.listen(self.db, "rollback", self._end)

    def _begin(self, conn) -> None:  # type: ignore[no-untyped-def]
        self._started[id(conn)] = time.perf_counter()

    def _end(self, conn) -> None:  # type: ignore[no-untyped-def]
        started = self._started.pop(id(conn), None)
        if started is not None:
            self.holds.append(time.perf_counter() - started)

    def remove(self) -> None:
        event.remove(self.db, "begin", self._begin)
        event.remove(self.db, "commit", self._end)
        event.remove(self.db, "rollback", self._end)


def inbound(kind: str, sender: str) -> InboundMessage:
    return InboundMessage(
        channel="whatsapp", sender_id=sender, text=TEXTS[kind],
        provider_message_id=f"wamid.{uuid.uuid4().hex}", sender_name="Bench",
    )


def measure(engine: Engine, kind: str, count: int, senders: list[str]) -> float:
    """ms of CPU per message for `count` messages of `kind`."""
    fresh = kind == "new"
    messages = [
        inbound(kind, f"new-{uuid.uuid4().hex[:12]}" if fresh else senders[i % len(senders)])
        for i in range(count)
    ]
    start = time.process_time()
    for message in messages:
        engine.handle(message)
    return (time.process_time() - start) / count * 1000


def run(args: argparse.Namespace) -> dict:
    with database(args.db) as url:
        settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
        engine = build_engine(settings)
        senders = [f"ret-{i:04d}" for i in range(50)]
        for sender in senders:  # they wrote before
            engine.handle(inbound("returning", sender))
        for kind in TEXTS:  # warm-up: statement caches, NLU paths, dateparser import
            measure(engine, kind, 30, senders)
        results: dict = {"db": args.db, "count": args.count, "runs": args.runs}
        for kind in TEXTS:
            hold = WriterHold(engine) if args.db == "sqlite" else None
            samples = [measure(engine, kind, args.count, senders) for _ in range(args.runs)]
            results[kind] = {
                "cpu_ms_median": round(statistics.median(samples), 3),
                "cpu_ms_range": [round(min(samples), 3), round(max(samples), 3)],
            }
            if hold is not None:
                hold.remove()
                holds = sorted(hold.holds)
                results[kind]["writer_hold_ms_median"] = round(statistics.median(holds) * 1000, 3)
                results[kind]["writer_hold_ms_p90"] = round(holds[int(0.9 * len(holds))] * 1000, 3)
        if args.profile:
            profile(engine, senders, args.profile)
        engine.db.dispose()
    return results


def profile(engine: Engine, senders: list[str], path: str) -> None:
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    for kind in ("returning", "action", "new"):
        measure(engine, kind, 300, senders)
    profiler.disable()
    profiler.dump_stats(path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", default="")
    args = parser.parse_args()
    args.count = max(10, min(args.count, 5000))
    args.runs = max(1, min(args.runs, 20))
    print(json.dumps(run(args), indent=2))
