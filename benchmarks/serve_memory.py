"""Does a `serve` process keep anything per message? tracemalloc snapshots of the real
app in process, diffed window after window of requests.

Usage:
    TEST_DATABASE_URL=postgresql://… python benchmarks/serve_memory.py
        [--warmup 1000] [--window 2000] [--windows 3] [--senders 200] [--top 8]
        [--frames 8] [--database stadtbot_memory]

The app is `api.app.create_app` as `stadtbot serve` builds it (the real NLU, the soak's
environment from benchmarks/soak.py, a fresh PostgreSQL database, `--database`; on
PostgreSQL the serve process only writes the outbox, the workers send), driven in
process through httpx's ASGI transport, eight requests in flight, with the soak's
requests (`benchmarks.soak.Load`: Telegram, Twilio and Cloud API webhooks and the web
chat in turn, `--senders` people per channel, every message with a unique id). With
`--senders` larger than the messages, every message comes from a new person: that
measures what is kept per person instead.

After the warm-up and after each window: a full garbage collection, a tracemalloc
snapshot (`--frames` deep), the process's RSS and tracemalloc's own share of it, and
the size of every per-key structure a serve process holds (the engine's language
hints, the chat limits' buckets, SQLAlchemy's compiled-statement cache, the metric
samples, the live objects). Printed
(JSON): per window the growth of the traced bytes per message and the allocation sites
that grew most, with the project's frames of each. Growth that repeats window after
window at the same site is kept per message (unbounded); warm-up stops growing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import threading
import time
import tracemalloc
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.soak import CHANNELS, Load, rss_mb, stadtbot_env  # noqa: E402

IN_FLIGHT = 8


def fresh_database(url: str, name: str) -> str:
    import psycopg

    base, _, _ = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def structures(app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The sizes of what a serve process keeps by key, and the live objects."""
    from prometheus_client import REGISTRY

    limits = app.state.chat_limits
    engine = app.state.engine
    return {
        "engine language hints": len(engine._languages),
        "chat limit buckets": sum(len(b._state) for b in
                                  (limits.per_session, limits.per_ip, limits.new_chats)),
        "sqlalchemy compiled cache": len(engine.db._compiled_cache or ()),
        "metric samples": sum(len(m.samples) for m in REGISTRY.collect()),
        "threads": threading.active_count(),
        "gc objects": len(gc.get_objects()),
    }


def project_frames(trace: tracemalloc.Traceback) -> list[str]:
    """The allocating frame, then the frames in this repository (not the venv), the
    most recent first."""
    newest_first = list(reversed(trace))
    frames = [f"{newest_first[0].filename.rsplit('site-packages/', 1)[-1]}:"
              f"{newest_first[0].lineno}"]
    for frame in newest_first:
        if frame.filename.startswith(str(ROOT)) and "/.venv/" not in frame.filename:
            frames.append(f"{Path(frame.filename).relative_to(ROOT)}:{frame.lineno}")
    return list(dict.fromkeys(frames))


def snapshot() -> tracemalloc.Snapshot:
    """The live traced blocks, less tracemalloc's own (the previous snapshot and its
    comparison are alive while the next is taken)."""
    gc.collect()
    return tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__, all_frames=True)])


def traced() -> dict[str, float]:
    """Traced Python memory, RSS, and tracemalloc's own bookkeeping (which is in the
    RSS: without tracemalloc the process would be that much smaller)."""
    return {"rss_mb": round(rss_mb(os.getpid()), 1),
            "traced_mb": round(tracemalloc.get_traced_memory()[0] / 2**20, 2),
            "tracemalloc_own_mb": round(tracemalloc.get_tracemalloc_memory() / 2**20, 1)}


async def drive(app, load: Load, first: int, count: int, errors: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    """Messages `first` … `first + count - 1`, eight in flight, counting non-2xx answers."""
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://soak.local") as client:
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def one(i: int) -> None:
            channel = CHANNELS[i % len(CHANNELS)]
            path, headers, data, body = load.request(i // len(CHANNELS), channel)
            async with gate:
                r = await client.post(path, headers=headers, content=data, json=body)
            if not 200 <= r.status_code < 300:
                errors[channel] = errors.get(channel, 0) + 1
            elif channel == "web":
                load.sessions.setdefault((i // len(CHANNELS)) % load.senders,
                                         r.json()["session_id"])

        await asyncio.gather(*(one(i) for i in range(first, first + count)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warmup", type=int, default=1000,
                        help="messages before the first snapshot")
    parser.add_argument("--window", type=int, default=2000, help="messages between snapshots")
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--senders", type=int, default=200, help="people per channel")
    parser.add_argument("--top", type=int, default=8, help="allocation sites shown per window")
    parser.add_argument("--frames", type=int, default=8, help="tracemalloc's traceback depth")
    parser.add_argument("--database", default="stadtbot_memory",
                        help="the database created (dropped first) next to TEST_DATABASE_URL's")
    args = parser.parse_args()
    if "TEST_DATABASE_URL" not in os.environ:
        sys.exit("set TEST_DATABASE_URL (PostgreSQL) first")

    from api.app import create_app, freeze_startup_heap
    from bot.core.settings import Settings
    from bot.migrate import upgrade

    url = fresh_database(os.environ["TEST_DATABASE_URL"], args.database)
    upgrade(url)
    os.environ.update(stadtbot_env(url, "http://127.0.0.1:9"))  # serve sends nothing
    app = create_app(Settings(_env_file=None))  # type: ignore[call-arg]
    freeze_startup_heap()
    load = Load(uuid.uuid4().hex[:8], args.senders)
    errors: dict[str, int] = {}
    tracemalloc.start(args.frames)
    began = time.monotonic()
    asyncio.run(drive(app, load, 0, args.warmup, errors))
    previous, sent = snapshot(), args.warmup
    report: dict = {"senders_per_channel": args.senders, "warmup": args.warmup,
                    "after_warmup": {**traced(), **structures(app)}, "windows": []}
    for _ in range(args.windows):
        asyncio.run(drive(app, load, sent, args.window, errors))
        sent += args.window
        current = snapshot()
        diff = current.compare_to(previous, "traceback")
        report["windows"].append({
            "messages": sent, **traced(),
            "traced_growth_bytes_per_message": round(
                sum(stat.size_diff for stat in diff) / args.window, 1),
            **structures(app),
            "top_growth": [
                {"kib": round(stat.size_diff / 1024, 1), "blocks": stat.count_diff,
                 "where": project_frames(stat.traceback)}
                for stat in sorted(diff, key=lambda s: s.size_diff, reverse=True)[:args.top]],
        })
        previous, diff = current, []
    report["error_responses"] = errors
    report["seconds"] = round(time.monotonic() - began, 1)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
