"""SIGTERM to real `stadtbot serve` and `stadtbot worker` processes finishes what is in
flight: a request being received completes with its reply and its rows committed; a
send waiting on a slow provider completes and is marked sent; after a restart nothing
is sent twice and nothing is lost.

A request is "in flight" here in the strictest sense uvicorn knows: its headers have
arrived, its body has not. The test holds the body back until the server has stopped
listening (shutdown has begun), then sends the rest.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import Session, select

from bot.core.db import make_engine, transaction
from bot.core.models import Contact, Message, Outbox
from tests.fakes.server import Recorder, ServerThread
from tests.fakes.telegram import create_fake_telegram, message_update
from tests.live.server import ROOT, STADTBOT, free_port, wait_until_healthy
from tests.support import queued_contact

TOKEN = "123456:TEST-token"
SECRET = "webhook-secret-0123"
STOP_SECONDS = 20  # below the units' TimeoutStopSec (deploy/systemd)


@pytest.fixture
def fake_telegram() -> Iterator[tuple[Recorder, str]]:
    recorder = Recorder()
    server = ServerThread(create_fake_telegram(recorder, TOKEN)).start()
    yield recorder, server.url
    server.stop()


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [*STADTBOT, *args], env={**os.environ, **env}, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )


def stopped(process: subprocess.Popen) -> int:
    """The exit code after SIGTERM; fails if the process needs longer than STOP_SECONDS."""
    try:
        return process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"no exit within {STOP_SECONDS} s of SIGTERM") from None


# --- serve -------------------------------------------------------------------------


class HeldRequest:
    """A POST over a raw socket whose body is sent in two parts, the second on demand."""

    def __init__(self, port: int, path: str, body: dict, headers: dict[str, str]) -> None:
        self.payload = json.dumps(body).encode()
        lines = [
            f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
            f"Content-Length: {len(self.payload)}", "Connection: close",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.half = len(self.payload) // 2
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + self.payload[: self.half])

    def finish(self) -> tuple[int, dict]:
        """Send the rest of the body; the response's status and JSON body."""
        self.sock.sendall(self.payload[self.half :])
        chunks = []
        while chunk := self.sock.recv(65536):
            chunks.append(chunk)
        self.sock.close()
        head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
        return int(head.split()[1]), json.loads(body)


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def test_sigterm_to_serve_finishes_requests_in_flight(db_url: str, fake_telegram) -> None:
    """On PostgreSQL the reply waits in the outbox for `stadtbot worker`; on SQLite the
    in-process dispatcher sends it before the process exits."""
    recorder, telegram_url = fake_telegram
    port = free_port()
    serve = start(["serve"], {
        "DATABASE_URL": db_url, "PORT": str(port), "HOST": "127.0.0.1",
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": telegram_url, "PRIVACY_NOTICE": "false",
    })
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, serve)
        sid = httpx.post(f"{base}/api/chat", json={}, timeout=30).json()["session_id"]
        chat = HeldRequest(
            port, "/api/chat", {"session_id": sid, "text": "Hallo", "message_id": "held-1"}, {}
        )
        webhook = HeldRequest(
            port, "/webhooks/telegram", message_update(501, 777001, "Hallo"),
            {"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        time.sleep(0.3)  # both requests' headers are in
        serve.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while listening(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not listening(port), "serve still accepts connections after SIGTERM"
        recorder.delay = 1.5  # SQLite: the reply's send is still out when uvicorn is done
        chat_status, chat_body = chat.finish()
        hook_status, hook_body = webhook.finish()
        assert stopped(serve) == 0
    finally:
        if serve.poll() is None:
            serve.kill()
    assert chat_status == 200 and chat_body["messages"], chat_body
    assert hook_status == 200 and hook_body == {"ok": True}
    db = make_engine(db_url)
    try:
        with Session(db) as session:
            by_user = {
                c.channel_user_id: c.id for c in session.exec(select(Contact)).all()
            }
            inbound = session.exec(
                select(Message).where(Message.direction == "in", Message.text == "Hallo")
            ).all()
            outbox = session.exec(
                select(Outbox).where(Outbox.contact_id == by_user["777001"])
            ).all()
    finally:
        db.dispose()
    assert any((m.provider_message_id or "").endswith("held-1") for m in inbound)
    assert len(inbound) == 2  # the web chat's and the Telegram message, each once
    if db_url.startswith("sqlite"):
        assert outbox and {r.status for r in outbox} == {"sent"}
        assert len([m for m in recorder.sent if m["method"] == "sendMessage"]) == len(outbox)
    else:
        assert outbox and {r.status for r in outbox} == {"pending"}  # committed for the worker


# --- worker ------------------------------------------------------------------------


def worker_env(db_url: str, telegram_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": db_url, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": telegram_url,
        "TELEGRAM_CHAT_BURST": "100", "DISPATCH_CONCURRENCY": "4", "DISPATCH_BATCH_SIZE": "4",
        "DISPATCH_POLL_SECONDS": "0.05", "DISPATCH_LEASE_SECONDS": "60",
    }


def rows(db) -> list[Outbox]:  # type: ignore[no-untyped-def]
    with Session(db) as session:
        return list(session.exec(select(Outbox).order_by(Outbox.id)).all())


def test_sigterm_to_worker_finishes_sends_in_flight(db_url: str, fake_telegram) -> None:
    recorder, telegram_url = fake_telegram
    db = make_engine(db_url)
    with transaction(db) as session:
        for c in range(6):
            queued_contact(session, "telegram", str(8100 + c), *(f"{c}-{i}" for i in range(3)))
    recorder.delay = 2.0  # the provider holds every send for two seconds
    worker = start(["worker"], worker_env(db_url, telegram_url))
    try:
        deadline = time.monotonic() + 60
        while not any(r.status == "sending" for r in rows(db)):
            assert time.monotonic() < deadline and worker.poll() is None, "nothing claimed"
            time.sleep(0.05)
        time.sleep(0.5)  # the HTTP calls are out, waiting on the provider
        in_flight = {r.id for r in rows(db) if r.status == "sending"}
        assert recorder.sent == []  # nothing has been answered yet
        worker.send_signal(signal.SIGTERM)
        assert stopped(worker) == 0
        after_stop = {r.id: r.status for r in rows(db)}
        # The sends in flight finished and were recorded; nothing is left leased.
        assert {after_stop[i] for i in in_flight} == {"sent"}
        assert "sending" not in after_stop.values()
        assert len(recorder.sent) == len(in_flight)

        recorder.delay = 0.0
        worker = start(["worker"], worker_env(db_url, telegram_url))
        deadline = time.monotonic() + 60
        while any(r.status != "sent" for r in rows(db)):
            assert time.monotonic() < deadline and worker.poll() is None, "not all sent"
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        assert stopped(worker) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
        db.dispose()
    texts = [m["text"] for m in recorder.sent if m["method"] == "sendMessage"]
    assert sorted(texts) == sorted(f"{c}-{i}" for c in range(6) for i in range(3))


def test_units_allow_the_graceful_stop() -> None:
    """systemd must not SIGKILL before the process's own drain timeout has run out."""
    units = ROOT / "deploy" / "systemd"
    for unit in ("stadtbot-serve@.service", "stadtbot-worker@.service"):
        text = (units / unit).read_text()
        stop = int(text.split("TimeoutStopSec=")[1].split()[0])
        assert stop >= STOP_SECONDS, unit
