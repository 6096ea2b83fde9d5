"""Soak: steady load over every channel against two `stadtbot serve` and two `stadtbot
worker` processes on PostgreSQL, with fake providers that fail 1 % of the sends.

Usage:
    TEST_DATABASE_URL=postgresql://… python benchmarks/soak.py [--rate 100]
        [--minutes 30] [--error-rate 0.01] [--senders 200] [--ramp 60]
        [--series FILE]

What runs (all on 127.0.0.1, every process started and stopped by this script by pid):
- a fresh PostgreSQL database next to TEST_DATABASE_URL's, migrated once;
- one fake-provider process serving the Telegram Bot API, Twilio's Messages resource and
  the WhatsApp Cloud API (tests/fakes), over real sockets; each send fails with the
  provider's own 5xx error with probability `--error-rate` (the dispatcher retries);
- two `stadtbot serve --no-migrate` and two `stadtbot worker` processes, the real
  commands with the real NLU, configured only by environment;
- this process, the load generator (asyncio + aiohttp): open loop at `--rate` messages
  per second, round robin over Telegram webhooks, Twilio webhooks, Cloud API webhooks
  and web chat (`POST /api/chat`), alternating between the two serve processes, each
  message from one of `--senders` people per channel, each with a unique id.

Reported: error responses (non-2xx or transport errors) per channel, offered vs.
achieved rate, how late the generator offered its messages (`offer_lag_s`; the
generator and the fakes run at nice -10 when permitted, so on shared cores they are not
what falls behind), each process's resident memory at the start of the steady phase
(after a warm-up minute or a tenth of the run) and at the end, the oldest open outbox
row (`max_outbox_age_s`) and per channel (`outbox_age`, sampled every 0.5 s by a thread
of its own: the oldest open row's age and status and the open rows; the largest age
and when, in seconds into the run, p50/p99 of the samples, seconds above 5 s; the whole
series goes to `--series FILE`), and, after the load stops and the outbox drains: per
channel `sent_at - created_at` of the rows created after the ramp and the sends each
provider accepted per second (busiest one-second window, mean over the steady phase;
the fakes' arrival times), inbound messages lost
(accepted with 2xx but not in the transcript), outbox rows never sent, and sends the
providers accepted more than once for a row (accepted sends minus rows marked sent; a
reply sent in several parts would count here too, the soak's texts get one-part
replies). The thresholds of issue 14: no error response, memory growth ≤ 5 %, outbox
never older than 5 s, nothing lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.channels_pipeline import _free_port, cloud_api_body  # noqa: E402

TOKEN, SECRET = "123456:SOAK-token", "soak-webhook-secret"
TWILIO_SID, TWILIO_TOKEN = "AC" + "5" * 32, "soak-twilio-token"
PHONE_ID, APP_SECRET = "106540352242922", "soak-app-secret"
PUBLIC = "https://stadtbot.example.org"
TEXTS = ("danke", "Hallo", "Wann hat der Wertstoffhof geöffnet?", "vielen Dank")
CHANNELS = ("telegram", "twilio", "whatsapp", "web")
PROVIDERS = CHANNELS[:3]  # the channels sent through the outbox
SEND_PATHS = ("/sendmessage", "/sendphoto", "/messages.json", "/messages")


# --- the fake providers (started as `python soak.py _fakes PORT ERROR_RATE`) ----------


def fakes_app(error_rate: float):  # type: ignore[no-untyped-def]
    """Telegram, Twilio and Graph fakes on one server; 1 % of sends answer 5xx."""
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    from tests.fakes.graph import create_fake_graph, graph_error
    from tests.fakes.server import Recorder
    from tests.fakes.telegram import SERVER_ERROR, create_fake_telegram
    from tests.fakes.twilio import create_fake_twilio, twilio_error

    recorders = {name: Recorder() for name in ("telegram", "twilio", "whatsapp")}
    app = FastAPI()
    for fake in (create_fake_telegram(recorders["telegram"], TOKEN),
                 create_fake_twilio(recorders["twilio"], TWILIO_SID),
                 create_fake_graph(recorders["whatsapp"], PHONE_ID)):
        app.router.routes.extend(fake.router.routes)
    errors = {"telegram": SERVER_ERROR, "twilio": twilio_error(500, 20500, "Internal error"),
              "whatsapp": graph_error(2, "Service temporarily unavailable")}
    failed = dict.fromkeys(recorders, 0)

    @app.middleware("http")
    async def provider_errors(request: Request, call_next):  # type: ignore[no-untyped-def]
        path = request.url.path.lower()
        if path.endswith(SEND_PATHS) and random.random() < error_rate:
            channel = ("telegram" if path.startswith("/bot") else
                       "twilio" if path.startswith("/2010") else "whatsapp")
            failed[channel] += 1
            return JSONResponse(errors[channel], 500)
        return await call_next(request)

    @app.get("/_counts")
    def counts() -> dict:
        return {"accepted": {k: len(r.sent) for k, r in recorders.items()}, "failed": failed}

    @app.get("/_send_times")
    def send_times() -> dict:
        """When each accepted send arrived: `time.monotonic()`, one clock for every
        process on the machine, so the load generator can place them in its run."""
        return {k: [item["t"] for item in r.sent] for k, r in recorders.items()}

    @app.get("/healthz")
    def healthz() -> dict:
        return {"ok": True}

    return app


def _fakes(port: int, error_rate: float) -> None:
    import uvicorn

    uvicorn.run(fakes_app(error_rate), host="127.0.0.1", port=port, log_level="warning",
                access_log=False, lifespan="off", timeout_keep_alive=120)


# --- processes ------------------------------------------------------------------------


def fresh_database(url: str) -> str:
    import psycopg

    base, _, _ = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS stadtbot_soak")
        conn.execute("CREATE DATABASE stadtbot_soak")
    return f"{base}/stadtbot_soak"


def stadtbot_env(url: str, fakes: str) -> dict[str, str]:
    return {
        **os.environ, "DATABASE_URL": url, "HOST": "127.0.0.1", "LOG_LEVEL": "WARNING",
        "PUBLIC_BASE_URL": PUBLIC,
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": fakes,
        "TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_WHATSAPP_FROM": "+14155238886", "TWILIO_API_BASE_URL": fakes,
        "WHATSAPP_TOKEN": "graph-token", "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
        "WHATSAPP_APP_SECRET": APP_SECRET, "WHATSAPP_API_BASE_URL": fakes + "/v21.0",
        # One load generator is many citizens behind one address: the chat's per-address
        # limits are off (0); the per-chat provider limits stay as in production.
        "CHAT_IP_MESSAGES_PER_MINUTE": "0", "CHAT_NEW_SESSIONS_PER_IP_PER_HOUR": "0",
        "CHAT_SESSION_MESSAGES_PER_MINUTE": "0",
        "DISPATCH_BACKOFF_SECONDS": "0.2",
    }


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def wait_healthy(session, url: str, process: subprocess.Popen, seconds: float = 300) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {process.returncode}")
        try:
            async with session.get(url + "/healthz") as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} not healthy within {seconds} s")


# --- the load -------------------------------------------------------------------------


class Load:
    """Builds one signed request per message; counts answers per channel."""

    def __init__(self, run: str, senders: int) -> None:
        self.run, self.senders = run, senders
        self.accepted = {c: 0 for c in CHANNELS}
        self.errors = {c: 0 for c in CHANNELS}
        self.examples: list[str] = []
        self.sessions: dict[int, str] = {}

    def request(self, i: int, channel: str) -> tuple[str, dict, bytes | None, dict | None]:
        # Each person cycles through the texts (with `i % len(TEXTS)` alone, every person
        # would say the same thing each time: the senders are a multiple of 4).
        person = i % self.senders
        text = TEXTS[(person + i // self.senders) % len(TEXTS)]
        if channel == "telegram":
            from tests.fakes.telegram import message_update

            body = json.dumps(message_update(i, 7_000_000 + person, text)).encode()
            return ("/webhooks/telegram", {"X-Telegram-Bot-Api-Secret-Token": SECRET,
                                           "Content-Type": "application/json"}, body, None)
        if channel == "twilio":
            from twilio.request_validator import RequestValidator

            params = {"MessageSid": f"SM{self.run}{i:024d}"[:34], "AccountSid": TWILIO_SID,
                      "From": f"whatsapp:+49152{person:07d}", "To": "whatsapp:+14155238886",
                      "Body": text, "NumMedia": "0", "ProfileName": "Soak"}
            signature = RequestValidator(TWILIO_TOKEN).compute_signature(
                PUBLIC + "/webhooks/twilio", params)
            return ("/webhooks/twilio", {"X-Twilio-Signature": signature, "Content-Type":
                                         "application/x-www-form-urlencoded"},
                    urlencode(params).encode(), None)
        if channel == "whatsapp":
            raw, signature = cloud_api_body(f"49153{person:07d}", f"wamid.{self.run}{i}", text,
                                            APP_SECRET, PHONE_ID)
            return ("/webhooks/whatsapp", {"X-Hub-Signature-256": signature,
                                           "Content-Type": "application/json"}, raw, None)
        body = {"text": text, "message_id": f"{self.run}-{i}"}
        if person in self.sessions:
            body["session_id"] = self.sessions[person]
        return "/api/chat", {}, None, body

    async def send(self, session, base: str, i: int) -> None:  # type: ignore[no-untyped-def]
        channel = CHANNELS[i % len(CHANNELS)]
        path, headers, data, body = self.request(i // len(CHANNELS), channel)
        try:
            async with session.post(base + path, headers=headers, data=data, json=body) as r:
                answer = await r.read()
                ok = 200 <= r.status < 300
                if ok and channel == "web":
                    self.sessions.setdefault((i // len(CHANNELS)) % self.senders,
                                             json.loads(answer)["session_id"])
                if not ok and len(self.examples) < 10:
                    self.examples.append(f"{channel} {r.status} {answer[:200]!r}")
        except Exception as exc:  # a transport error or timeout: counted, shown
            ok = False
            if len(self.examples) < 10:
                self.examples.append(f"{channel} {type(exc).__name__}: {exc}")
        (self.accepted if ok else self.errors)[channel] += 1


SAMPLE_SECONDS = 0.5
OLDEST = ("SELECT DISTINCT ON (channel) channel, status, "
          "EXTRACT(EPOCH FROM now() - created_at), count(*) OVER (PARTITION BY channel) "
          "FROM outbox WHERE status IN ('pending', 'sending') ORDER BY channel, created_at")


class Sampler(threading.Thread):
    """Every 0.5 s, per channel: the oldest open (pending or sending) row's age and
    status, and how many rows are open. A thread of its own with its own connection,
    so neither the load's event loop nor the query delays the other."""

    def __init__(self, db, began: float) -> None:  # type: ignore[no-untyped-def]
        super().__init__(name="outbox-sampler", daemon=True)
        self.db, self.began = db, began
        self.stop = threading.Event()
        # (seconds into the run, {channel: (age s, status, open rows)}); a channel
        # missing from a sample had no open row.
        self.samples: list[tuple[float, dict[str, tuple[float, str, int]]]] = []
        self.error: str | None = None

    def run(self) -> None:
        from sqlalchemy import text

        query, tick = text(OLDEST), self.began
        try:
            with self.db.connect() as conn:
                while not self.stop.is_set():
                    at = time.monotonic() - self.began
                    rows = conn.execute(query).all()
                    conn.commit()  # a fresh snapshot (and `now()`) for the next sample
                    self.samples.append((round(at, 3), {
                        c: (round(float(age), 3), status, int(n)) for c, status, age, n in rows}))
                    tick = max(tick + SAMPLE_SECONDS, time.monotonic())
                    self.stop.wait(tick - time.monotonic())
        except Exception as exc:  # reported with the result: its samples end here
            self.error = f"{type(exc).__name__}: {exc}"

    def report(self) -> dict:
        """Per channel: the largest sampled age and when, p50/p99 of the samples, the
        seconds during which the oldest row was older than 5 s (each sample stands for
        the time until the next) and that row's status in those samples (`pending`:
        not claimed yet; `sending`: leased, not yet recorded as sent)."""
        times = [t for t, _ in self.samples]
        spans = [b - a for a, b in pairwise(times)] + [SAMPLE_SECONDS]
        result = {}
        for channel in PROVIDERS if self.samples else ():
            oldest = [sample.get(channel, (0.0, "-", 0)) for _, sample in self.samples]
            ages = [age for age, _, _ in oldest]
            worst = max(range(len(ages)), key=ages.__getitem__)
            late = [(status, span) for (age, status, _), span in zip(oldest, spans, strict=True)
                    if age > 5.0]
            result[channel] = {
                "max_age_s": ages[worst], "max_at_s": times[worst],
                "status_at_max": oldest[worst][1], "open_rows_at_max": oldest[worst][2],
                "p50_age_s": quantile(ages, 0.5), "p99_age_s": quantile(ages, 0.99),
                "seconds_over_5s": round(sum(span for _, span in late), 1),
                "status_over_5s": {status: round(sum(span for s, span in late if s == status), 1)
                                   for status in sorted({s for s, _ in late})},
                "max_open_rows": max(n for _, _, n in oldest),
            }
        return result


def quantile(values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least `q` of the values at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else 0.0


def prioritise(pid: int) -> str:
    """Raise a process above the system under test (nice -10, needs root): the load
    generator and the fake providers stand for citizens and providers whose CPU is not
    ours, so on the shared cores they must not be what falls behind."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, -10)
    except PermissionError:
        return "normal (not permitted)"
    return f"nice {os.getpriority(os.PRIO_PROCESS, pid)}"


async def run(args: argparse.Namespace) -> dict:
    import aiohttp

    from bot.core.db import make_engine
    from bot.migrate import upgrade

    url = fresh_database(os.environ["TEST_DATABASE_URL"])
    upgrade(url)
    fake_port = _free_port()
    fakes = start([sys.executable, __file__, "_fakes", str(fake_port), str(args.error_rate)],
                  {**os.environ, "PYTHONPATH": str(ROOT)})
    fake_url = f"http://127.0.0.1:{fake_port}"
    env = stadtbot_env(url, fake_url)
    stadtbot = [sys.executable, "-m", "bot"]
    ports = [_free_port(), _free_port()]
    serves = [start([*stadtbot, "serve", "--no-migrate"], {**env, "PORT": str(p)}) for p in ports]
    workers = [start([*stadtbot, "worker"], env) for _ in range(2)]
    processes = {"serve-1": serves[0], "serve-2": serves[1],
                 "worker-1": workers[0], "worker-2": workers[1], "fakes": fakes}
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    db = make_engine(url)
    load = Load(uuid.uuid4().hex[:8], args.senders)
    total = int(args.rate * args.minutes * 60)
    # Memory is compared from here: the first minute or tenth of the run, or the ramp.
    warmup = max(args.ramp, min(60.0, args.minutes * 6))
    result: dict = {"rate": args.rate, "minutes": args.minutes, "ramp_s": args.ramp,
                    "error_rate": args.error_rate,
                    "messages": total, "machine": f"{platform.node()} {os.cpu_count()} CPUs",
                    "load_before": os.getloadavg(),
                    "priority": {"load generator": prioritise(os.getpid()),
                                 "fakes": prioritise(fakes.pid)}}
    sampler = None
    try:
        timeout = aiohttp.ClientTimeout(total=30)
        connector = aiohttp.TCPConnector(limit=400)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            await wait_healthy(session, fake_url, fakes)
            for base, serve in zip(bases, serves, strict=True):
                await wait_healthy(session, base, serve)
            await asyncio.sleep(3)  # the workers load their adapters
            tasks, rss_start = set(), {}
            lags: list[float] = []  # how late each message was offered, seconds
            in_flight = 0
            began, began_at = time.monotonic(), datetime.now(UTC)
            sampler = Sampler(db, began)
            sampler.start()
            for i in range(total):
                due = began + offset(i, args.rate, args.ramp)
                if not rss_start and time.monotonic() - began >= warmup:
                    rss_start = {n: rss_mb(p.pid) for n, p in processes.items()}
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                lags.append(time.monotonic() - due)
                # Every channel alternates between the two serve processes, as a proxy
                # in front of them would spread it (`i % 2` pinned Telegram and the
                # Cloud API to the first one, Twilio and the web chat to the second).
                base = bases[(i // len(CHANNELS)) % len(bases)]
                task = asyncio.create_task(load.send(session, base, i))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                in_flight = max(in_flight, len(tasks))
            offered_seconds = time.monotonic() - began
            if tasks:
                await asyncio.wait(tasks, timeout=60)
            answered_seconds = time.monotonic() - began
            rss_end = {n: rss_mb(p.pid) for n, p in processes.items()}
            result["load_during"] = os.getloadavg()
            drain_deadline = time.monotonic() + 120
            while time.monotonic() < drain_deadline:
                if await asyncio.to_thread(open_rows, db) == 0:
                    break
                await asyncio.sleep(1)
            sampler.stop.set()
            await asyncio.to_thread(sampler.join)
            async with session.get(fake_url + "/_counts") as r:
                counts = await r.json()
            async with session.get(fake_url + "/_send_times") as r:
                send_times = await r.json()
        if args.series:
            Path(args.series).write_text(json.dumps({
                "began_utc": began_at.isoformat(), "ramp_s": args.ramp,
                "sample_s": SAMPLE_SECONDS, "fields": ["age_s", "status", "open_rows"],
                "samples": [{"t": t, **s} for t, s in sampler.samples]}))
            result["series"] = args.series
        steady = began_at + timedelta(seconds=args.ramp)
        result.update(
            offered_per_s=round(total / offered_seconds, 1),
            achieved_per_s=round(sum(load.accepted.values()) / answered_seconds, 1),
            offer_lag_s={"p50": round(quantile(lags, 0.5), 4),
                         "p99": round(quantile(lags, 0.99), 4),
                         "max": round(max(lags, default=0.0), 4)},
            max_in_flight=in_flight,
            accepted=load.accepted, error_responses=load.errors, error_examples=load.examples,
            rss_mb={n: f"{rss_start[n]:.1f} -> {rss_end[n]:.1f} MB "
                       f"({(rss_end[n] / rss_start[n] - 1) * 100:+.1f} %)"
                    for n in processes if rss_start.get(n)},
            max_outbox_age_s=round(max((a for _, s in sampler.samples for a, _, _ in s.values()),
                                       default=0.0), 2),
            outbox_age=sampler.report(), sampler_error=sampler.error,
            send_latency_after_ramp_s=await asyncio.to_thread(send_latency, db, steady),
            sends_per_s={c: send_rate(times, began + args.ramp, began + offered_seconds)
                         for c, times in send_times.items()},
            provider_errors=counts["failed"],
            **await asyncio.to_thread(bookkeeping, db, load, counts["accepted"]),
        )
    finally:
        if sampler is not None:
            sampler.stop.set()
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        db.dispose()
    return result


def offset(i: int, rate: float, ramp: float) -> float:
    """When message `i` is offered, in seconds from the start: the rate climbs linearly
    from 0 to `rate` over `ramp` seconds, then holds. Without a ramp, all `--senders`
    Telegram people write their first message within seconds, and each first contact
    is answered with two messages (the privacy notice, then the answer): twice the
    Telegram share of the load against Telegram's own 30 msg/s, a backlog no sender can
    avoid; a city's contacts do not all arrive in the same eight seconds."""
    ramped = rate * ramp / 2  # messages offered during the ramp
    if i < ramped:
        return (2 * ramp * i / rate) ** 0.5
    return ramp + (i - ramped) / rate


def open_rows(db) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with db.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')")).scalar() or 0)


def send_latency(db, since: datetime) -> dict:  # type: ignore[no-untyped-def]
    """After the drain, per provider channel (the web chat's rows are written as sent):
    `sent_at - created_at` (sent_at: when the send's result was recorded) of the rows
    created after the ramp, p50, p99 and max."""
    from sqlalchemy import text

    with db.connect() as conn:
        rows = conn.execute(text(
            "SELECT channel, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY d), "
            "percentile_cont(0.99) WITHIN GROUP (ORDER BY d), max(d) FROM ("
            "SELECT channel, EXTRACT(EPOCH FROM sent_at - created_at)::float8 AS d FROM outbox "
            "WHERE status = 'sent' AND channel <> 'web' AND created_at >= :since) AS s "
            "GROUP BY channel"), {"since": since}).all()
    return {c: {"rows": n, "p50": round(p50, 3), "p99": round(p99, 3), "max": round(top, 3)}
            for c, n, p50, p99, top in rows}


def send_rate(times: list[float], since: float, until: float) -> dict:
    """Sends the provider accepted per second: the busiest one-second window of the run
    (any window, as the providers count) and the mean over the steady phase (from the
    ramp's end to the last offer)."""
    times = sorted(times)
    busiest, first = 0, 0
    for last, t in enumerate(times):
        while t - times[first] >= 1.0:
            first += 1
        busiest = max(busiest, last - first + 1)
    steady = sum(1 for t in times if since <= t < until)
    return {"busiest_1s": busiest, "mean_steady": round(steady / max(1e-9, until - since), 1)}


def bookkeeping(db, load: Load, accepted_sends: dict[str, int]) -> dict:  # type: ignore[no-untyped-def]
    """Lost inbound messages, unsent rows and duplicate sends, from the database."""
    from sqlalchemy import text

    with db.connect() as conn:
        inbound = dict(conn.execute(text(
            "SELECT c.channel, count(*) FROM message m JOIN conversation v ON v.id = "
            "m.conversation_id JOIN contact c ON c.id = v.contact_id WHERE m.direction = 'in' "
            "GROUP BY c.channel")).all())
        rows = conn.execute(text(
            "SELECT channel, status, count(*) FROM outbox GROUP BY channel, status")).all()
    sent = {c: 0 for c in accepted_sends}
    by_status: dict[str, dict[str, int]] = {}
    for channel, status, count in rows:
        by_status.setdefault(channel, {})[status] = count
        if status == "sent" and channel in sent:
            sent[channel] = count
    return {
        "inbound_lost": {c: load.accepted[c] - inbound.get(c, 0) for c in CHANNELS},
        "outbox_rows": by_status,
        "outbox_unsent": {c: sum(n for s, n in v.items() if s != "sent")
                          for c, v in by_status.items()},
        "duplicate_sends": {c: accepted_sends[c] - sent[c] for c in accepted_sends},
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_fakes":
        _fakes(int(sys.argv[2]), float(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=100.0, help="messages per second")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--error-rate", type=float, default=0.01)
    parser.add_argument("--senders", type=int, default=200, help="people per channel")
    parser.add_argument("--ramp", type=float, default=60.0,
                        help="seconds over which the rate climbs from 0 (0: at once)")
    parser.add_argument("--series", metavar="FILE",
                        help="write the outbox sampler's time series here (JSON)")
    args = parser.parse_args()
    if "TEST_DATABASE_URL" not in os.environ:
        sys.exit("set TEST_DATABASE_URL (PostgreSQL) first")
    print(json.dumps(asyncio.run(run(args)), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
