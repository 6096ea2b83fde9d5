"""Staff inbox at size: queue and transcript load times, and how fast a citizen's message
shows up in an open inbox, on PostgreSQL.

Usage:
    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \
        python benchmarks/staff_inbox.py [--chats 500] [--messages 100000] [--loads 100]

Setup (in a schema of its own, dropped at the end): `--chats` web conversations waiting
for staff (spread over the three demo teams), `--messages` transcript lines spread evenly
over them (inbound lines with an NLU parse, outbound with a reply body, as the engine
writes them), one admin login that sees every team.

Processes: `stadtbot serve` (one uvicorn process, the real app and NLU) and this
process as the client (httpx, keep-alive, session cookie from /login).

Measured:
1. queue: `GET /api/staff/conversations` (all waiting chats), `--loads` times, p50/p95;
2. transcript: `GET /api/staff/conversations/{id}` of random waiting chats (each with
   its share of the lines, the newest 300 shown), `--loads` times, p50/p95;
3. live: with `GET /api/staff/events` open, a citizen writes through `POST /api/chat`
   into a chat with staff; time from the POST's start until the SSE `message` event with
   that text arrives, `--loads` samples, p50/p99.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.db import normalise_url  # noqa: E402
from bot.core.models import Contact, Conversation, Message  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.staff import add_user  # noqa: E402
from bot.staff_tables import Handoff  # noqa: E402

TEAMS = ("buergerbuero", "bauhof", "ordnungsamt")
LOGIN = ("bench-admin", "bench-admin-password")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def seed(url: str, chats: int, messages: int) -> list[str]:
    """Bulk-insert the chats and lines; returns the web session ids."""
    engine = create_engine(normalise_url(url))
    now = datetime.now(UTC)
    sessions = [f"bench-{uuid.uuid4().hex[:16]}" for _ in range(chats)]
    per_chat = max(1, messages // chats)
    with engine.begin() as conn:
        conn.execute(
            insert(Contact.__table__),
            [  # type: ignore[attr-defined]
                {
                    "channel": "web",
                    "channel_user_id": sid,
                    "language": "de",
                    "language_locked": True,
                    "consent_broadcasts": False,
                    "created_at": now,
                    "name": f"Bürger {n}",
                }
                for n, sid in enumerate(sessions)
            ],
        )
        contact_ids = [r[0] for r in conn.execute(text("SELECT id FROM contact ORDER BY id"))]
        conn.execute(
            insert(Conversation.__table__),
            [  # type: ignore[attr-defined]
                {
                    "contact_id": cid,
                    "mode": "human",
                    "state": {},
                    "message_count": per_chat,
                    "last_inbound_at": now,
                    "updated_at": now,
                }
                for cid in contact_ids
            ],
        )
        conversation_ids = [
            r[0] for r in conn.execute(text("SELECT id FROM conversation ORDER BY id"))
        ]
        conn.execute(
            insert(Handoff.__table__),
            [  # type: ignore[attr-defined]
                {
                    "conversation_id": cid,
                    "team": TEAMS[n % 3],
                    "status": "waiting",
                    "reason": "citizen_asked",
                    "channel": "web",
                    "language": "de",
                    "flow": {},
                    "created_at": now - timedelta(minutes=chats - n),
                    "updated_at": now,
                }
                for n, cid in enumerate(conversation_ids)
            ],
        )
        parse = {"intent": {"name": "human_handoff", "confidence": 0.93}, "entities": []}
        batch: list[dict] = []
        for cid in conversation_ids:
            for k in range(per_chat):
                inbound = k % 2 == 0
                batch.append(
                    {
                        "conversation_id": cid,
                        "direction": "in" if inbound else "out",
                        "channel": "web",
                        "text": f"Zeile {k} der Unterhaltung {cid}",
                        "data": {"parse": parse}
                        if inbound
                        else {"reply": {"text": "…"}, "kind": "reply"},
                        "author": "citizen" if inbound else "bot",
                        "created_at": now - timedelta(seconds=per_chat - k),
                    }
                )
                if len(batch) >= 5000:
                    conn.execute(insert(Message.__table__), batch)  # type: ignore[attr-defined]
                    batch = []
        if batch:
            conn.execute(insert(Message.__table__), batch)  # type: ignore[attr-defined]
        conn.execute(text("ANALYZE"))
    from sqlmodel import Session

    with Session(engine) as session:
        add_user(session, *LOGIN, ["admin"])
        session.commit()
    engine.dispose()
    return sessions


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "PORT": str(port), "LOG_LEVEL": "WARNING",
           # one load generator plays every citizen: the chat limits are off (0)
           "CHAT_SESSION_MESSAGES_PER_MINUTE": "0", "CHAT_IP_MESSAGES_PER_MINUTE": "0",
           "CHAT_NEW_SESSIONS_PER_IP_PER_HOUR": "0"}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--no-migrate"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("server did not start")


def timed(
    client: httpx.Client, path: str, loads: int, paths: list[str] | None = None
) -> list[float]:
    times = []
    for n in range(loads):
        start = time.perf_counter()
        response = client.get(paths[n % len(paths)] if paths else path)
        response.raise_for_status()
        times.append((time.perf_counter() - start) * 1000)
    return times


def live(client: httpx.Client, base: str, sessions: list[str], loads: int) -> list[float]:
    """POST a citizen message, wait for its SSE event; milliseconds per sample."""
    arrived: dict[str, float] = {}
    ready = threading.Event()
    stop = threading.Event()

    def listen() -> None:
        try:
            read_events()
        except httpx.HTTPError:
            if not stop.is_set():
                raise

    def read_events() -> None:
        with client.stream("GET", "/api/staff/events", timeout=None) as stream:
            ready.set()
            event = None
            for raw in stream.iter_lines():
                if stop.is_set():
                    return
                if raw.startswith("event: "):
                    event = raw[7:]
                elif raw.startswith("data: ") and event == "message":
                    line = json.loads(raw[6:])["message"]
                    arrived.setdefault(line["text"], time.perf_counter())

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    ready.wait(10)
    time.sleep(1.0)
    samples = []
    with httpx.Client(base_url=base, timeout=10) as citizen:
        for n in range(loads):
            body = f"Bench-Nachricht {n} {uuid.uuid4().hex[:6]}"
            start = time.perf_counter()
            citizen.post(
                "/api/chat", json={"session_id": sessions[n % len(sessions)], "text": body}
            )
            deadline = start + 5
            while body not in arrived and time.perf_counter() < deadline:
                time.sleep(0.002)
            samples.append(((arrived.get(body) or deadline) - start) * 1000)
            time.sleep(random.uniform(0.05, 0.3))  # not in step with the poll interval
    stop.set()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=500)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--loads", type=int, default=100)
    args = parser.parse_args()
    base_url = os.environ.get("TEST_DATABASE_URL")
    if not base_url:
        raise SystemExit("set TEST_DATABASE_URL (PostgreSQL)")
    schema = f"bench_staff_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(base_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    joiner = "&" if "?" in base_url else "?"
    url = f"{base_url}{joiner}options=-csearch_path%3D{schema}"
    process = None
    try:
        upgrade(url)
        started = time.perf_counter()
        sessions = seed(url, args.chats, args.messages)
        print(
            f"seeded {args.chats} waiting chats, {args.messages} lines in "
            f"{time.perf_counter() - started:.1f} s"
        )
        process, base = serve(url)
        with httpx.Client(base_url=base, timeout=30) as client:
            login = client.post("/login", data={"username": LOGIN[0], "password": LOGIN[1]})
            assert login.status_code in (200, 303), login.status_code
            queue = client.get("/api/staff/conversations").json()
            assert len(queue) == args.chats, len(queue)
            timed(client, "/api/staff/conversations", 5)  # warm-up
            q = timed(client, "/api/staff/conversations", args.loads)
            ids = [f"/api/staff/conversations/{row['id']}" for row in random.sample(queue, 50)]
            timed(client, "", 5, ids)
            t = timed(client, "", args.loads, ids)
            s = live(client, base, sessions, args.loads)
        print(
            f"queue ({args.chats} rows):   p50 {statistics.median(q):6.1f} ms  "
            f"p95 {percentile(q, 95):6.1f} ms"
        )
        print(
            f"transcript:          p50 {statistics.median(t):6.1f} ms  "
            f"p95 {percentile(t, 95):6.1f} ms"
        )
        print(
            f"live (POST → SSE):   p50 {statistics.median(s):6.1f} ms  "
            f"p99 {percentile(s, 99):6.1f} ms  max {max(s):6.1f} ms"
        )
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
