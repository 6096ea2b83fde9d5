"""Inbound webhook → engine → outbox → dispatcher → fake provider, against a bare endpoint.

Usage:
    python benchmarks/channels_pipeline.py [--db sqlite|postgres] [--count 1200]
        [--rates 100,200,300] [--workers N] [--nlu real|keyword] [--per-sender 4]

PostgreSQL uses TEST_DATABASE_URL. Everything runs on 127.0.0.1, bounded in count and
time (every wait has a deadline; the script stops its own processes by pid).

Processes (as in production, so the load generator does not share a GIL with the app):
- the load generator (this process): asyncio + aiohttp, HTTP keep-alive;
- the app: uvicorn (uvloop, httptools) with `--workers` processes (default 1 on SQLite,
  2 on PostgreSQL), each with the in-process dispatcher woken right after each commit
  (on PostgreSQL several dispatchers share the outbox through `FOR UPDATE SKIP LOCKED`);
- the fake Graph API (tests/fakes/graph.py) in its own uvicorn process; it stamps each
  send with `time.monotonic()` (CLOCK_MONOTONIC, one clock for all processes);
- the bare endpoint: the same uvicorn settings and worker count, a FastAPI route that
  only verifies the signature and decodes the same Cloud API payload.

Measured: (1) throughput: `count` signed webhooks with 32 in flight, bare endpoint vs
full pipeline (until the last reply reached the fake provider); (2) latency at fixed
offered rates: webhook POST start → the fake provider received the reply, p50/p99.
Senders: each sends `--per-sender` messages (the first one creates the contact).
NLU: the real model by default (`--nlu keyword` for the keyword stand-in).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET, PHONE_ID = "bench-secret", "106540352242922"
TEXTS = ("danke", "Danke schön", "vielen Dank")


def payload(i: int, run: str, per_sender: int = 1, count: int = 1) -> tuple[bytes, str, str]:
    """Signed Cloud API body for message `i`; senders take turns (i mod number of senders)."""
    senders = max(1, count // max(1, per_sender))
    wa_id = f"49151{run}{i % senders:05d}"
    raw, signature = cloud_api_body(wa_id, f"wamid.{run}{i}", TEXTS[i % len(TEXTS)], SECRET)
    return raw, signature, wa_id


def cloud_api_body(wa_id: str, message_id: str, text: str, secret: str,
                   phone_id: str = PHONE_ID) -> tuple[bytes, str]:
    """A Cloud API text-message webhook body and its X-Hub-Signature-256 header."""
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_id},
            "contacts": [{"profile": {"name": "Bench"}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": message_id, "timestamp": "1749416383",
                          "type": "text", "text": {"body": text}}]}}]}]}
    raw = json.dumps(body).encode()
    return raw, "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


# --- the server processes (started by this script as `python this.py _serve KIND`) ------


def bare_app() -> FastAPI:
    from bot.channels.whatsapp import decode_events, signature_valid

    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict:
        return {"ok": True}

    @app.post("/webhooks/whatsapp")
    async def parse(request: Request) -> dict:
        raw = await request.body()
        if not signature_valid(SECRET, raw, request.headers.get("X-Hub-Signature-256")):
            raise HTTPException(403)
        return {"messages": len(decode_events(json.loads(raw)).messages)}

    return app


def fake_graph_app():  # type: ignore[no-untyped-def]
    from tests.fakes.graph import create_fake_graph
    from tests.fakes.server import Recorder

    recorder = Recorder()
    app = create_fake_graph(recorder, PHONE_ID)

    @app.get("/healthz")
    def healthz() -> dict:
        return {"ok": True}

    @app.get("/_sent")
    def sent(clear: bool = False) -> list:
        with recorder.lock:
            items = [{"to": m.get("to"), "t": m["t"]} for m in recorder.sent]
            if clear:
                recorder.sent.clear()
        return items

    @app.get("/_count")
    def count() -> int:
        return len(recorder.sent)

    return app


def stadtbot_app():  # type: ignore[no-untyped-def]
    """The real app (create_app) plus its in-process dispatcher, configured by env."""
    import atexit

    from api.app import create_app
    from bot.channels.registry import build_adapters
    from bot.core.db import make_engine
    from bot.core.settings import Settings
    from bot.dispatcher import Dispatcher
    from bot.engine import Engine
    from bot.runtime import build_engine
    from flows.dialogue import Dialogue

    env = json.loads(os.environ["BENCH_CONFIG"])
    settings = Settings(_env_file=None, database_url=env["url"],  # type: ignore[call-arg]
                        whatsapp_token="graph-token", whatsapp_phone_number_id=PHONE_ID,
                        whatsapp_app_secret=SECRET, whatsapp_api_base_url=env["graph"],
                        whatsapp_mps=100000, dispatch_poll_seconds=0.25)
    if env["nlu"] == "keyword":
        from tests.support import keyword_nlu

        engine = Engine(make_engine(settings.database_url), settings, keyword_nlu,
                        Dialogue(threshold=0.5))
    else:
        engine = build_engine(settings)
    app = create_app(settings, engine)
    dispatcher = Dispatcher(engine.db, settings, build_adapters(settings, engine.db))
    app.state.dispatcher = dispatcher
    dispatcher.start()
    atexit.register(dispatcher.stop)
    return app


def _serve(kind: str, port: int, workers: int) -> None:
    import uvicorn

    factory = {"bare": "bare_app", "graph": "fake_graph_app", "app": "stadtbot_app"}[kind]
    os.chdir(ROOT)
    uvicorn.run(f"benchmarks.channels_pipeline:{factory}", factory=True, host="127.0.0.1",
                port=port, workers=workers if workers > 1 else None, loop="uvloop",
                http="httptools", log_level="warning", access_log=False, lifespan="off",
                timeout_keep_alive=120)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """A server subprocess on a free port; stopped by its own pid."""

    def __init__(self, kind: str, workers: int = 1, env: dict | None = None,
                 script: Path = Path(__file__).resolve()) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, str(script), "_serve", kind, str(self.port), str(workers)],
            env={**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)},
        )

    async def ready(self, session, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                async with session.get(self.url + "/healthz") as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            await asyncio.sleep(0.1)
        raise RuntimeError("server did not start")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of the server and its worker processes so far."""
        pids, total = {self.proc.pid}, 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                pids.add(int(stat.parent.name))
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


# --- load ---------------------------------------------------------------------------


async def fire(session, url: str, bodies: list, rate: float | None,  # type: ignore[no-untyped-def]
               in_flight: int = 32) -> tuple[list[float], list[float], float]:
    """POST every body: at `rate`/s (open loop), or as fast as `in_flight` senders can.
    Returns each request's start, its round-trip time, and the elapsed time."""
    starts = [0.0] * len(bodies)
    rtts = [0.0] * len(bodies)
    import aiohttp

    limit = asyncio.Semaphore(in_flight if not rate else 1000)
    t0 = time.monotonic()

    async def one(i: int) -> None:
        if rate:
            delay = t0 + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        raw, sig, _ = bodies[i]
        async with limit:
            starts[i] = time.monotonic()
            for attempt in range(3):  # a provider redelivers too; the webhook dedupes
                try:
                    async with session.post(url + "/webhooks/whatsapp", data=raw, headers={
                            "X-Hub-Signature-256": sig, "Content-Type": "application/json"}) as r:
                        await r.read()
                        if r.status != 200:
                            raise RuntimeError(f"webhook answered {r.status}")
                    break
                except aiohttp.ClientConnectionError:
                    if attempt == 2:
                        raise
            rtts[i] = time.monotonic() - starts[i]

    await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(len(bodies)))), 300)
    return starts, rtts, time.monotonic() - t0


async def wait_sent(session, graph: str, count: int, timeout: float = 120) -> int:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    n = 0
    while time.monotonic() < deadline:
        async with session.get(graph + "/_count") as r:
            n = int(await r.text())
        if n >= count:
            break
        await asyncio.sleep(0.02)
    return n


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000


def fresh_postgres(url: str) -> str:
    """A new, empty database next to TEST_DATABASE_URL's (rows left by tests or earlier
    runs would be sent too and counted)."""
    import psycopg

    base, _, _ = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS stadtbot_bench_channels")
        conn.execute("CREATE DATABASE stadtbot_bench_channels")
    return f"{base}/stadtbot_bench_channels"


async def run(args: argparse.Namespace) -> dict:
    import aiohttp

    from bot.migrate import upgrade

    url = (fresh_postgres(os.environ["TEST_DATABASE_URL"]) if args.db == "postgres"
           else f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    upgrade(url)
    workers = args.workers or (2 if args.db == "postgres" else 1)
    graph = Process("graph")
    config = {"url": url, "graph": graph.url + "/v21.0", "nlu": args.nlu}
    app = Process("app", workers, {"BENCH_CONFIG": json.dumps(config)})
    bare = Process("bare", workers)
    results: dict = {"db": args.db, "count": args.count, "workers": workers, "nlu": args.nlu,
                     "per_sender": args.per_sender}
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=30)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            for p in (graph, app, bare):
                await p.ready(session)
            n = args.count

            def bodies() -> list:
                run_id = f"{uuid.uuid4().int % 10000:04d}"
                return [payload(i, run_id, args.per_sender, n) for i in range(n)]

            # Warm-up (connections, statement caches), not measured.
            await fire(session, bare.url, bodies()[:50], None)
            await fire(session, app.url, bodies()[:50], None)
            await wait_sent(session, graph.url, 50, 30)
            async with session.get(graph.url + "/_sent?clear=true") as r:
                await r.read()

            # Throughput.
            cpu = bare.cpu_seconds()
            _, _, elapsed_bare = await fire(session, bare.url, bodies(), None)
            results["bare_cpu_ms_per_msg"] = round((bare.cpu_seconds() - cpu) / n * 1000, 2)
            cpu = app.cpu_seconds()
            start = time.monotonic()
            await fire(session, app.url, bodies(), None)
            delivered = await wait_sent(session, graph.url, n)
            elapsed_full = time.monotonic() - start
            results["full_cpu_ms_per_msg"] = round((app.cpu_seconds() - cpu) / n * 1000, 2)
            results["bare_msgs_per_s"] = round(n / elapsed_bare)
            results["full_msgs_per_s"] = round(delivered / elapsed_full)
            results["full_delivered"] = delivered
            results["ratio"] = round(results["full_msgs_per_s"] / results["bare_msgs_per_s"], 3)
            async with session.get(graph.url + "/_sent?clear=true") as r:
                await r.read()

            # Latency at fixed offered rates.
            for rate in args.rates:
                batch = bodies()
                starts, rtts, _ = await fire(session, app.url, batch, rate)
                await wait_sent(session, graph.url, n, 60)
                async with session.get(graph.url + "/_sent?clear=true") as r:
                    sent = await r.json()
                arrivals: dict[str, list[float]] = {}
                for m in sorted(sent, key=lambda m: m["t"]):
                    arrivals.setdefault(m["to"], []).append(m["t"])
                by_sender: dict[str, list[float]] = {}
                for i, (_, _, wa_id) in enumerate(batch):
                    by_sender.setdefault(wa_id, []).append(starts[i])
                latencies = []
                for wa_id, sender_starts in by_sender.items():
                    for s, t in zip(sorted(sender_starts), arrivals.get(wa_id, []), strict=False):
                        latencies.append(t - s)
                _, bare_rtts, _ = await fire(session, bare.url, bodies(), rate)
                results[f"at_{rate:g}"] = {
                    "bare_p50_ms": round(pct(bare_rtts, 0.5), 1),
                    "bare_p99_ms": round(pct(bare_rtts, 0.99), 1),
                    "webhook_p50_ms": round(pct(rtts, 0.5), 1),
                    "webhook_p99_ms": round(pct(rtts, 0.99), 1),
                    "delivered": len(latencies),
                    "p50_ms": round(pct(latencies, 0.5), 1),
                    "p99_ms": round(pct(latencies, 0.99), 1),
                    "max_ms": round(max(latencies) * 1000, 1),
                }
    finally:
        for p in (app, bare, graph):
            p.stop()
    return results


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_serve":
        _serve(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        sys.exit(0)
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--count", type=int, default=1200)
    parser.add_argument("--rates", default="200",
                        type=lambda s: [float(x) for x in s.split(",") if x])
    parser.add_argument("--workers", type=int, default=0,
                        help="app and bare processes (default: 1 on SQLite, 2 on PostgreSQL)")
    parser.add_argument("--nlu", choices=["real", "keyword"], default="real")
    parser.add_argument("--per-sender", type=int, default=4,
                        help="messages per sender (the first creates the contact)")
    args = parser.parse_args()
    args.count = max(100, min(args.count, 5000))
    print(json.dumps(asyncio.run(run(args)), indent=2))
