"""Broadcast throughput on PostgreSQL with real `stadtbot worker` processes.

    unlimited   N subscribers on the WhatsApp Cloud API, a fake Graph API with no limit
                (a bare asyncio HTTP server in its own process, so the workers are what
                is measured): recipients materialised, then dispatched by W workers.
    limited     subscribers on Telegram (30/s), Twilio and Cloud API (80/s each); 10 %
                of recipients reply within two minutes of receiving, through the real
                webhooks of a `stadtbot serve` process; reports completion time against
                the theoretical minimum and the answer latency of the replies.

Usage (PostgreSQL from TEST_DATABASE_URL; a fresh database `stadtbot_bench_broadcasts`):

    python benchmarks/broadcast_throughput.py unlimited --subscribers 100000 --workers 2
    python benchmarks/broadcast_throughput.py limited --scale 1.0
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core.db import normalise_url  # noqa: E402

DB_NAME = "stadtbot_bench_broadcasts"
PHONE_ID = "106540352242922"
TOKEN = "123456:BENCH-token"
TWILIO_SID = "AC" + "0" * 32


# --- a bare fake provider: HTTP/1.1 keep-alive, JSON answers, arrival times ------------


def _answer(path: str, n: int) -> bytes:
    if "/bot" in path:  # Telegram sendMessage
        body = {"ok": True, "result": {"message_id": n, "date": int(time.time()),
                "chat": {"id": 1, "type": "private"}, "text": "x"}}
        if path.endswith("/getMe"):
            body = {"ok": True, "result": {"id": 4242, "is_bot": True, "first_name": "B",
                                           "username": "b_bot"}}
    elif "/Accounts/" in path:  # Twilio Messages
        body = {"sid": f"SM{n:032d}", "status": "queued", "account_sid": TWILIO_SID}
    else:  # Graph API
        body = {"messaging_product": "whatsapp", "messages": [{"id": f"wamid.B{n:010d}"}]}
    return json.dumps(body).encode()


def serve_fake(port: int, log_path: str | None) -> None:
    """Run the fake until killed; with `log_path`, append `time recipient` per send."""
    counter = [0]
    log = open(log_path, "a", buffering=1) if log_path else None  # noqa: SIM115

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                length = 0
                for line in lines[1:]:
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                body = await reader.readexactly(length) if length else b""
                counter[0] += 1
                if log is not None and not path.endswith("/getMe"):
                    log.write(f"{time.time():.4f} {_recipient(path, body)}\n")
                data = _answer(path, counter[0])
                status = "201 Created" if "/Accounts/" in path else "200 OK"
                writer.write(
                    f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n".encode() + data
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=512)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _recipient(path: str, body: bytes) -> str:
    from urllib.parse import parse_qs

    raw = body.decode("utf-8", "replace")
    if "/bot" in path:
        if raw.startswith("{"):
            return "telegram:" + str(json.loads(raw).get("chat_id"))
        return "telegram:" + parse_qs(raw).get("chat_id", ["?"])[0]
    if "/Accounts/" in path:
        return "twilio:" + parse_qs(raw).get("To", ["?"])[0].removeprefix("whatsapp:")
    return "whatsapp:+" + str(json.loads(raw).get("to"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_fake(log_path: str | None = None) -> tuple[multiprocessing.Process, str]:
    port = free_port()
    process = multiprocessing.Process(target=serve_fake, args=(port, log_path), daemon=True)
    process.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return process, f"http://127.0.0.1:{port}"


# --- database ----------------------------------------------------------------------------


def fresh_database() -> str:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        sys.exit("set TEST_DATABASE_URL (PostgreSQL)")
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    url = base.rsplit("/", 1)[0] + "/" + DB_NAME
    from bot.migrate import upgrade

    upgrade(url)
    return url


def add_subscribers(url: str, channel: str, count: int, first: int, language_cycle: bool) -> None:
    """Contacts, conversations and subscriptions in three set-based statements.

    Each subscriber has written once before (`message_count` 1): subscribing is a
    conversation on every channel (topic buttons, a typed name, a QR code's deep link
    opening the chat), and that first message got the privacy notice. So a reply to the
    broadcast is answered with one message, as in the city's real audience, not with the
    notice a first contact gets in front of the answer."""
    engine = create_engine(normalise_url(url))
    user_id = {
        "telegram": "(100000000 + g)::text",
        "twilio": "'+4915' || lpad(g::text, 9, '0')",
        "whatsapp": "'+4916' || lpad(g::text, 9, '0')",
    }[channel]
    lang = "(ARRAY['de','de','de','en','nl'])[1 + g % 5]" if language_cycle else "'de'"
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO contact (channel, channel_user_id, language, language_locked,"
            f" created_at, last_inbound_at) SELECT '{channel}', {user_id}, {lang}, true,"
            f" now(), now() FROM generate_series({first}, {first + count - 1}) AS g"
        ))
        conn.execute(text(
            "INSERT INTO conversation (contact_id, mode, state, message_count, updated_at)"
            " SELECT c.id, 'bot', '{}'::json, 1, now() FROM contact c"
            " WHERE NOT EXISTS (SELECT 1 FROM conversation v WHERE v.contact_id = c.id)"
        ))
        conn.execute(text(
            "INSERT INTO subscription (contact_id, topic, district, created_at)"
            f" SELECT id, 'warnungen', NULL, now() FROM contact WHERE channel = '{channel}'"
            " ON CONFLICT DO NOTHING"
        ))
    engine.dispose()


def start_workers(url: str, count: int, env: dict[str, str]) -> list[subprocess.Popen]:
    environment = {**os.environ, "DATABASE_URL": url, **env}
    return [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"], env=environment, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def stop(processes: list) -> None:  # type: ignore[type-arg]
    for process in processes:
        if isinstance(process, subprocess.Popen):
            process.send_signal(signal.SIGTERM)
        else:
            process.terminate()
    for process in processes:
        if isinstance(process, subprocess.Popen):
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        else:
            process.join(5)


def start_broadcast(url: str, channels: list[str]) -> tuple[int, float]:
    """Create and start a broadcast as the API does; returns its id and the seconds
    the start (materialising every recipient into the outbox) took."""
    from bot.broadcasts import compose, sending
    from bot.core.db import make_engine, transaction
    from bot.core.models import utcnow
    from bot.core.settings import Settings

    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    db = make_engine(url)
    texts = {"de": "Unwetterwarnung für Ahaus", "en": "Storm warning", "nl": "Stormwaarschuwing"}
    with transaction(db) as session:
        draft = compose.draft_from({"texts": texts, "topics": ["warnungen"], "channels": channels})
        broadcast, _ = compose.create(
            session, draft, author="bench", idempotency_key=None, settings=settings, now=utcnow()
        )
    started = time.perf_counter()
    with transaction(db) as session:
        sending.start(session, broadcast.id, utcnow(), settings)  # type: ignore[arg-type]
    took = time.perf_counter() - started
    db.dispose()
    return broadcast.id, took  # type: ignore[return-value]


def open_rows(url: str, broadcast_id: int) -> int:
    engine = create_engine(normalise_url(url))
    with engine.connect() as conn:
        n = conn.execute(text(
            "SELECT count(*) FROM outbox WHERE broadcast_id = :b"
            " AND status IN ('pending', 'sending')"
        ), {"b": broadcast_id}).scalar_one()
    engine.dispose()
    return int(n)


# --- the two benchmarks ------------------------------------------------------------------


def unlimited(args: argparse.Namespace) -> None:
    url = fresh_database()
    add_subscribers(url, "whatsapp", args.subscribers, 1, language_cycle=True)
    fake, fake_url = start_fake()
    env = {
        "WHATSAPP_TOKEN": "t", "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
        "WHATSAPP_API_BASE_URL": fake_url + "/v21.0", "WHATSAPP_MPS": "1000000",
        "DISPATCH_BATCH_SIZE": str(args.batch), "DISPATCH_CONCURRENCY": str(args.concurrency),
        "DISPATCH_POLL_SECONDS": "0.05", "LOG_LEVEL": "WARNING",
    }
    workers = start_workers(url, args.workers, env)
    time.sleep(args.warmup)  # let the workers import and connect
    try:
        t0 = time.perf_counter()
        broadcast_id, materialise = start_broadcast(url, ["whatsapp"])
        while open_rows(url, broadcast_id):
            time.sleep(0.5)
        total = time.perf_counter() - t0
    finally:
        stop([*workers, fake])
    dispatch = total - materialise
    print(json.dumps({
        "subscribers": args.subscribers, "workers": args.workers,
        "materialise_s": round(materialise, 2), "dispatch_s": round(dispatch, 2),
        "total_s": round(total, 2), "overall_msg_per_s": round(args.subscribers / total),
        "dispatch_msg_per_s": round(args.subscribers / dispatch),
    }, indent=2))


def limited(args: argparse.Namespace) -> None:
    """Provider limits, 10 % of recipients replying through the webhooks."""
    counts = {
        "telegram": int(args.scale * 30 * args.seconds),
        "twilio": int(args.scale * 80 * args.seconds),
        "whatsapp": int(args.scale * 80 * args.seconds),
    }
    url = fresh_database()
    first = 1
    for channel, n in counts.items():
        add_subscribers(url, channel, n, first, language_cycle=True)
        first += n
    log_dir = Path(f"/tmp/stadtbot-bench-{os.getpid()}")
    log_dir.mkdir(exist_ok=True)
    fakes = {ch: start_fake(str(log_dir / f"{ch}.log")) for ch in counts}
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": "bench-secret",
        "TELEGRAM_API_BASE_URL": fakes["telegram"][1],
        "TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": "bench-twilio",
        "TWILIO_WHATSAPP_FROM": "+14155238886", "TWILIO_API_BASE_URL": fakes["twilio"][1],
        "WHATSAPP_TOKEN": "t", "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
        "WHATSAPP_APP_SECRET": "bench-app-secret", "WHATSAPP_VERIFY_TOKEN": "v",
        "WHATSAPP_API_BASE_URL": fakes["whatsapp"][1] + "/v21.0",
        "PUBLIC_BASE_URL": app_url, "TELEGRAM_CHAT_BURST": "3",
        "DISPATCH_BATCH_SIZE": "100", "DISPATCH_CONCURRENCY": "16",
        "DISPATCH_POLL_SECONDS": "0.05", "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port), "--no-migrate"],
        env={**os.environ, "DATABASE_URL": url, **env}, cwd=ROOT,
        stdout=open(log_dir / "serve.log", "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )
    workers = start_workers(url, args.workers, env)
    replier = Replier(app_url, log_dir, env, fraction=0.10, window=args.reply_window)
    try:
        wait_healthy(app_url)
        time.sleep(args.warmup)
        replier.start()
        t0 = time.time()
        broadcast_id, materialise = start_broadcast(url, list(counts))
        while open_rows(url, broadcast_id):
            time.sleep(0.5)
        done = time.time()
        replier.finish(timeout=180)
    finally:
        stop([server, *workers, *(p for p, _ in fakes.values())])
    result = {"materialise_s": round(materialise, 2), "channels": {}}
    rates = {"telegram": 30, "twilio": 80, "whatsapp": 80}
    for channel, n in counts.items():
        times = [t for t, who in replier.sends(channel) if who in replier.recipients[channel]]
        first_send = {}
        for t, who in replier.sends(channel):
            first_send.setdefault(who, t)
        broadcast_done = max(first_send[w] for w in replier.recipients[channel] if w in first_send)
        # The bot's answers (a reply may be answered with more than one message, e.g.
        # the privacy notice first) share the limit: count every send up to the end.
        answers = sum(1 for t, _ in replier.sends(channel) if t <= broadcast_done) - len(first_send)
        minimum = n / rates[channel]
        minimum_with_answers = (n + answers) / rates[channel]
        took = broadcast_done - t0
        result["channels"][channel] = {
            "recipients": n, "sends": len(times),
            "replies_answered": replier.answered.get(channel, 0),
            "answer_messages_before_done": answers,
            "completion_s": round(took, 1), "minimum_s": round(minimum, 1),
            "over_minimum_pct": round(100 * (took / minimum - 1), 1),
            "minimum_with_answers_s": round(minimum_with_answers, 1),
            "over_minimum_with_answers_pct": round(100 * (took / minimum_with_answers - 1), 1),
            "max_rate_1s": max_rate(replier.sends(channel)),
        }
    latencies = sorted(replier.latencies)
    result["replies"] = {
        "sent": replier.sent_replies, "answered": len(latencies),
        "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "p99_s": round(latencies[int(0.99 * (len(latencies) - 1))], 3) if latencies else None,
        "max_s": round(latencies[-1], 3) if latencies else None,
    }
    result["broadcast_done_s"] = round(done - t0, 1)
    print(json.dumps(result, indent=2))


def max_rate(sends: list[tuple[float, str]]) -> int:
    """The most sends in any one-second window (checks the limit held)."""
    times = sorted(t for t, _ in sends)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] < t - 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


def wait_healthy(base: str) -> None:
    import httpx

    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("app did not come up")


class Replier:
    """Follows the fakes' logs; 10 % of broadcast recipients answer "danke" within the
    window through the real webhook; the answer's latency is from our POST to the fake
    receiving the bot's next message to that person."""

    def __init__(self, app: str, logs: Path, env: dict[str, str], fraction: float,
                 window: float) -> None:
        self.app, self.logs, self.env = app, logs, env
        self.fraction, self.window = fraction, window
        channels = ("telegram", "twilio", "whatsapp")
        self.recipients: dict[str, set[str]] = {ch: set() for ch in channels}
        self.pending: dict[str, float] = {}  # "channel:id" → when our reply was posted
        self.latencies: list[float] = []
        self.answered: dict[str, int] = {}
        self.sent_replies = 0
        self._sends: dict[str, list[tuple[float, str]]] = {ch: [] for ch in self.recipients}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._timers: list[tuple[float, str, str]] = []
        self._seq = 0

    def sends(self, channel: str) -> list[tuple[float, str]]:
        return self._sends[channel]

    def start(self) -> None:
        threading.Thread(target=self._follow, daemon=True).start()
        threading.Thread(target=self._reply_loop, daemon=True).start()

    def finish(self, timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline and (self._timers or self.pending):
            time.sleep(0.5)
        self._stop.set()

    def _follow(self) -> None:
        files = {ch: open(self.logs / f"{ch}.log") for ch in self.recipients}  # noqa: SIM115
        partial = dict.fromkeys(files, "")  # a line the fake is still writing
        while not self._stop.is_set():
            idle = True
            for channel, handle in files.items():
                *lines, partial[channel] = (partial[channel] + handle.read()).split("\n")
                for line in lines:
                    idle = False
                    stamp, who = line.split()
                    self._seen(channel, float(stamp), who.split(":", 1)[1])
            if idle:
                time.sleep(0.02)

    def _seen(self, channel: str, at: float, who: str) -> None:
        key = f"{channel}:{who}"
        with self._lock:
            self._sends[channel].append((at, who))
            posted = self.pending.pop(key, None)
            if posted is not None:
                self.latencies.append(at - posted)
                self.answered[channel] = self.answered.get(channel, 0) + 1
                return
            if who in self.recipients[channel]:
                return
            self.recipients[channel].add(who)
            if random.random() < self.fraction:
                self._timers.append((time.time() + random.uniform(1, self.window), channel, who))

    def _reply_loop(self) -> None:
        import httpx

        client = httpx.Client(base_url=self.app, timeout=10)
        while not self._stop.is_set():
            now = time.time()
            with self._lock:
                due = [t for t in self._timers if t[0] <= now]
                self._timers = [t for t in self._timers if t[0] > now]
            for _, channel, who in due:
                with self._lock:
                    self.pending[f"{channel}:{who}"] = time.time()
                self._post(client, channel, who)
                self.sent_replies += 1
            time.sleep(0.01)

    def _post(self, client, channel: str, who: str) -> None:  # type: ignore[no-untyped-def]
        self._seq += 1
        if channel == "telegram":
            update = {"update_id": self._seq, "message": {
                "message_id": self._seq, "date": int(time.time()), "text": "danke",
                "chat": {"id": int(who), "type": "private"},
                "from": {"id": int(who), "is_bot": False, "first_name": "A"}}}
            client.post("/webhooks/telegram", json=update,
                        headers={"X-Telegram-Bot-Api-Secret-Token": "bench-secret"})
        elif channel == "twilio":
            from urllib.parse import urlencode

            from twilio.request_validator import RequestValidator

            params = {"MessageSid": f"SMR{self._seq}", "From": f"whatsapp:{who}",
                      "To": "whatsapp:+14155238886", "Body": "danke", "NumMedia": "0",
                      "WaId": who.lstrip("+")}
            signature = RequestValidator("bench-twilio").compute_signature(
                self.app + "/webhooks/twilio", params)
            client.post("/webhooks/twilio", content=urlencode(params), headers={
                "X-Twilio-Signature": signature,
                "Content-Type": "application/x-www-form-urlencoded"})
        else:
            import hashlib
            import hmac

            body = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
                "field": "messages", "value": {"messaging_product": "whatsapp",
                    "metadata": {"phone_number_id": PHONE_ID},
                    "contacts": [{"wa_id": who.lstrip("+"), "profile": {"name": "A"}}],
                    "messages": [{"from": who.lstrip("+"), "id": f"wamid.R{self._seq}",
                                  "timestamp": str(int(time.time())), "type": "text",
                                  "text": {"body": "danke"}}]}}]}]}
            raw = json.dumps(body).encode()
            signature = hmac.new(b"bench-app-secret", raw, hashlib.sha256).hexdigest()
            client.post("/webhooks/whatsapp", content=raw, headers={
                "X-Hub-Signature-256": "sha256=" + signature,
                "Content-Type": "application/json"})


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="mode", required=True)
    a = sub.add_parser("unlimited")
    a.add_argument("--subscribers", type=int, default=100_000)
    a.add_argument("--workers", type=int, default=2)
    a.add_argument("--batch", type=int, default=500)
    a.add_argument("--concurrency", type=int, default=16)
    a.add_argument("--warmup", type=float, default=15.0)
    b = sub.add_parser("limited")
    b.add_argument("--scale", type=float, default=1.0, help="1.0: each channel SECONDS long")
    b.add_argument("--seconds", type=float, default=150.0)
    b.add_argument("--workers", type=int, default=2)
    b.add_argument("--warmup", type=float, default=15.0)
    b.add_argument("--reply-window", type=float, default=120.0, help="seconds")
    args = parser.parse_args()
    (unlimited if args.mode == "unlimited" else limited)(args)


if __name__ == "__main__":
    main()
