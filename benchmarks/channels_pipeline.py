"""Inbound webhook → engine → outbox → dispatcher → fake provider, against a bare endpoint.

Usage: python benchmarks/channels_pipeline.py [--db sqlite|postgres] [--count 600]
PostgreSQL uses TEST_DATABASE_URL. Everything runs on 127.0.0.1, bounded in count and
time. Measures (1) sustained throughput with 16 concurrent senders, (2) end-to-end
latency (webhook POST start → the fake Graph API received the reply) at a fixed
200 msg/s, and the same for a bare FastAPI endpoint that only verifies and parses
the same signed Cloud API payload.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from fastapi import FastAPI, HTTPException, Request

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.app import create_app
from bot.channels.registry import build_adapters
from bot.channels.whatsapp import decode_events, signature_valid
from bot.dispatcher import Dispatcher
from bot.migrate import upgrade
from bot.settings import Settings
from tests.fakes.graph import create_fake_graph
from tests.fakes.server import Recorder, ServerThread
from tests.support import keyword_engine

SECRET, PHONE_ID = "bench-secret", "106540352242922"


def payload(i: int, run: str) -> tuple[bytes, str]:
    wa_id = f"49151{run}{i:05d}"
    body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_ID},
            "contacts": [{"profile": {"name": "Bench"}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": f"wamid.{run}{i}", "timestamp": "1749416383",
                          "type": "text", "text": {"body": "danke"}}]}}]}]}
    raw = json.dumps(body).encode()
    return raw, "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.post("/webhooks/whatsapp")
    async def parse(request: Request) -> dict:
        raw = await request.body()
        if not signature_valid(SECRET, raw, request.headers.get("X-Hub-Signature-256")):
            raise HTTPException(403)
        return {"messages": len(decode_events(json.loads(raw)).messages)}

    return app


def fire(url: str, bodies: list[tuple[bytes, str]], rate: float | None) -> tuple[list, float]:
    """POST every body (at `rate`/s, or as fast as 16 senders can); returns start times."""
    starts: list[float] = [0.0] * len(bodies)
    client = httpx.Client(base_url=url, timeout=30)

    def one(i: int) -> None:
        if rate:
            delay = t0 + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        raw, sig = bodies[i]
        starts[i] = time.monotonic()
        r = client.post("/webhooks/whatsapp", content=raw, headers={
            "X-Hub-Signature-256": sig, "Content-Type": "application/json"})
        r.raise_for_status()

    t0 = time.monotonic()
    with ThreadPoolExecutor(32 if rate else 16) as pool:
        list(pool.map(one, range(len(bodies))))
    client.close()
    return starts, time.monotonic() - t0


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000


def run(db: str, count: int) -> dict:
    recorder = Recorder()
    graph = ServerThread(create_fake_graph(recorder, PHONE_ID)).start()
    url = (os.environ["TEST_DATABASE_URL"] if db == "postgres"
           else f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    upgrade(url)
    settings = Settings(_env_file=None, database_url=url, whatsapp_token="graph-token",  # type: ignore[call-arg]
                        whatsapp_phone_number_id=PHONE_ID, whatsapp_app_secret=SECRET,
                        whatsapp_api_base_url=graph.url + "/v21.0", whatsapp_mps=100000,
                        dispatch_poll_seconds=0.05, dispatch_concurrency=8)
    engine = keyword_engine(settings)
    app = create_app(settings, engine)
    dispatcher = Dispatcher(engine.db, settings, build_adapters(settings, engine.db))
    app.state.dispatcher = dispatcher
    dispatcher.start()
    server = ServerThread(app).start()
    bare = ServerThread(bare_app()).start()
    results: dict = {"db": db, "count": count}
    try:
        # Throughput: full pipeline (until every reply reached the fake) vs bare endpoint.
        bodies = [payload(i, f"{uuid.uuid4().int % 10000:04d}") for i in range(count)]
        _, elapsed_bare = fire(bare.url, bodies, None)
        start = time.monotonic()
        fire(server.url, bodies, None)
        recorder.wait_for(count, timeout=120)
        elapsed_full = time.monotonic() - start
        results["bare_msgs_per_s"] = count / elapsed_bare
        results["full_msgs_per_s"] = len(recorder.sent) / elapsed_full
        # Latency at 200 msg/s (bounded: `count` messages).
        recorder.sent.clear()
        run_id = f"{uuid.uuid4().int % 10000:04d}"
        bodies = [payload(i, run_id) for i in range(count)]
        starts, _ = fire(server.url, bodies, 200)
        sent = recorder.wait_for(count, timeout=120)
        arrived = {m["to"]: m["t"] for m in sent}
        latencies = [arrived[f"49151{run_id}{i:05d}"] - starts[i] for i in range(count)
                     if f"49151{run_id}{i:05d}" in arrived]
        results["delivered_at_200"] = len(latencies)
        results["p50_ms"] = pct(latencies, 0.5)
        results["p99_ms"] = pct(latencies, 0.99)
        results["mean_ms"] = statistics.mean(latencies) * 1000
        _bare_starts, _ = fire(bare.url, bodies, 200)  # bare latency = request round trip
    finally:
        dispatcher.stop()
        for s in (server, bare, graph):
            s.stop()
    results["ratio"] = results["full_msgs_per_s"] / results["bare_msgs_per_s"]
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--count", type=int, default=600)
    args = parser.parse_args()
    print(json.dumps(run(args.db, min(args.count, 3000)), indent=2))
