"""`POST /api/chat` of the real app against a bare FastAPI endpoint, alternated A B A B.

Usage:
    python benchmarks/chat_http.py [--db sqlite|postgres] [--kind new|returning]
        [--count 1500] [--rounds 3] [--connections 16] [--rates 200] [--seconds 10]
        [--workers N]

Two server processes on 127.0.0.1, both uvicorn (uvloop, httptools, no access log), each
with `--workers` processes (default 1 on SQLite, 2 on PostgreSQL):
- A, the bare endpoint: FastAPI, `POST /api/chat` with the same request and response
  models as the real route (`api.routes.chat.ChatRequest` / `ChatResponse`), a sync
  route like the real one, answering one fixed message: the floor of this stack;
- B, the project: `api.app.create_app` with the real NLU on a fresh database
  (SQLite file, or a fresh PostgreSQL database next to TEST_DATABASE_URL's).

The load generator (this process, asyncio + aiohttp, keep-alive) sends the same bodies
to both: `--kind new` opens a new conversation with each request (no `session_id`: the
greeting and the menu), `--kind returning` writes "danke" into one of 64 sessions the
app handed out before. Measured per round: closed-loop throughput with `--connections`
requests in flight (`--count` requests), and the servers' CPU time per request. Then,
open loop, each of `--rates` for `--seconds` (bounded: at most 5,000 requests): p50 /
p99 of the round trip, B after A. All load stays on 127.0.0.1; every wait has a deadline;
the script stops its own processes by pid.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.routes.chat import ChatMessage, ChatRequest, ChatResponse  # noqa: E402
from benchmarks.channels_pipeline import Process, fresh_postgres, pct  # noqa: E402

SCRIPT = Path(__file__).resolve()
SESSIONS = 64
OPEN_LOOP_TIMEOUT = 10.0  # seconds; a saturated server's requests count as this long


def bare_app():  # type: ignore[no-untyped-def]
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict:
        return {"ok": True}

    @app.post("/api/chat", response_model=ChatResponse, response_model_exclude_none=True)
    def chat(body: ChatRequest) -> ChatResponse:
        return ChatResponse(
            session_id=body.session_id or "0" * 32,
            messages=[ChatMessage(id=1, text="Gern geschehen!")],
        )

    return app


def stadtbot_app():  # type: ignore[no-untyped-def]
    from api.app import create_app, freeze_startup_heap
    from bot.core.settings import Settings

    env = json.loads(os.environ["BENCH_CONFIG"])
    # A load generator is one client sending thousands of messages: the chat limits
    # (per session, per address, new chats per address) are off, as 0.
    unlimited = {f"chat_{k}": 0 for k in ("session_messages_per_minute",
                 "ip_messages_per_minute", "new_sessions_per_ip_per_hour")}
    app = create_app(Settings(_env_file=None, database_url=env["url"], **unlimited))  # type: ignore[call-arg]
    freeze_startup_heap()  # as `stadtbot serve` does
    return app


def _serve(kind: str, port: int, workers: int) -> None:
    import uvicorn

    factory = {"bare": "bare_app", "app": "stadtbot_app"}[kind]
    os.chdir(ROOT)
    uvicorn.run(f"benchmarks.chat_http:{factory}", factory=True, host="127.0.0.1",
                port=port, workers=workers if workers > 1 else None, loop="uvloop",
                http="httptools", log_level="warning", access_log=False, lifespan="off",
                timeout_keep_alive=120)


async def post(session, url: str, body: dict) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    async with session.post(url + "/api/chat", json=body) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
    return time.monotonic() - started


def bodies(kind: str, count: int, sessions: list[str]) -> list[dict]:
    if kind == "new":
        return [{"text": "Hallo", "lang": "de"} for _ in range(count)]
    return [{"session_id": sessions[i % len(sessions)], "text": "danke"} for i in range(count)]


async def closed_loop(session, url: str, batch: list[dict], connections: int) -> float:  # type: ignore[no-untyped-def]
    """Requests per second with `connections` in flight."""
    queue = iter(batch)

    async def worker() -> None:
        for body in queue:
            await post(session, url, body)

    started = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(connections))), 300)
    return len(batch) / (time.monotonic() - started)


async def open_loop(session, url: str, batch: list[dict], rate: float) -> list[float]:  # type: ignore[no-untyped-def]
    """Round-trip times of `batch` sent at `rate` per second (start times fixed); a
    request that fails or takes longer than OPEN_LOOP_TIMEOUT counts as that long."""
    t0 = time.monotonic()

    async def one(i: int) -> float:
        delay = t0 + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            return await asyncio.wait_for(post(session, url, batch[i]), OPEN_LOOP_TIMEOUT)
        except (TimeoutError, OSError, RuntimeError):
            return OPEN_LOOP_TIMEOUT

    return await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(len(batch)))), 300)


async def run(args: argparse.Namespace) -> dict:
    import aiohttp

    from bot.migrate import upgrade

    url = (fresh_postgres(os.environ["TEST_DATABASE_URL"]) if args.db == "postgres"
           else f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    upgrade(url)
    workers = args.workers or (2 if args.db == "postgres" else 1)
    bare = Process("bare", workers, script=SCRIPT)
    app = Process("app", workers, {"BENCH_CONFIG": json.dumps({"url": url})}, script=SCRIPT)
    servers = {"A_bare": bare, "B_app": app}
    results: dict = {"db": args.db, "kind": args.kind, "workers": workers,
                     "connections": args.connections, "count": args.count, "rounds": []}
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=60)
    try:
        async with aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=30)
        ) as session:
            for server in servers.values():
                await server.ready(session, timeout=120)
            sessions = []
            for _ in range(SESSIONS):  # the app hands out the returning senders' sessions
                async with session.post(app.url + "/api/chat", json={"text": "Hallo"}) as r:
                    sessions.append((await r.json())["session_id"])
            for server in servers.values():  # warm-up, not measured
                await closed_loop(session, server.url, bodies(args.kind, 100, sessions), 4)
            for _ in range(args.rounds):
                row: dict = {}
                for name, server in servers.items():
                    cpu = server.cpu_seconds()
                    rate = await closed_loop(session, server.url,
                                             bodies(args.kind, args.count, sessions),
                                             args.connections)
                    row[name] = {"per_s": round(rate),
                                 "cpu_ms": round((server.cpu_seconds() - cpu)
                                                 / args.count * 1000, 3)}
                row["ratio"] = round(row["B_app"]["per_s"] / row["A_bare"]["per_s"], 3)
                results["rounds"].append(row)
            results["ratio_median"] = statistics.median(r["ratio"] for r in results["rounds"])
            print(json.dumps(results), file=sys.stderr, flush=True)  # kept if a rate fails
            for rate in args.rates:
                n = min(5000, int(rate * args.seconds))
                for name, server in servers.items():
                    rtts = await open_loop(session, server.url,
                                           bodies(args.kind, n, sessions), rate)
                    results[f"{name}_at_{rate:g}"] = {
                        "timed_out": sum(r >= OPEN_LOOP_TIMEOUT for r in rtts),
                        "p50_ms": round(pct(rtts, 0.5), 1),
                        "p99_ms": round(pct(rtts, 0.99), 1),
                        "max_ms": round(max(rtts) * 1000, 1),
                    }
    finally:
        for server in servers.values():
            server.stop()
    return results


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--kind", choices=["new", "returning"], default="new")
    parser.add_argument("--count", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rates", default="200",
                        type=lambda s: [float(x) for x in s.split(",") if x])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args()
    args.count = max(100, min(args.count, 5000))
    args.rounds = max(1, min(args.rounds, 10))
    args.connections = max(1, min(args.connections, 64))
    args.seconds = max(1.0, min(args.seconds, 30.0))
    return args


if __name__ == "__main__":
    if sys.argv[1:2] == ["_serve"]:  # a server process started by `Process`
        kind, port, workers = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        _serve(kind, port, workers)
    else:
        print(json.dumps(asyncio.run(run(arguments())), indent=2))
