"""Durable, ordered, rate-limited delivery of the outbox through the channel adapters.

One loop, any number of copies: `stadtbot worker` processes on PostgreSQL (claims use
`FOR UPDATE SKIP LOCKED`, so workers never wait for each other's rows) or one thread
inside `stadtbot serve` on SQLite (where `BEGIN IMMEDIATE` serialises claims).

Life of a row: `pending` → claimed as `sending` with a lease (`next_attempt_at` = now +
DISPATCH_LEASE_SECONDS, attempts + 1) → the adapter sends → `sent` with the provider's
id, or back to `pending` with backoff, or `failed` / `held`. A worker killed anywhere
loses nothing: an expired lease makes the row claimable again.

The duplicate window: a row is sent twice only if the process dies (or its lease runs
out) after the provider accepted the message and before the `sent` status commits.
Results are recorded as the HTTP calls return: the dispatcher thread waits for the
first finished send and writes every result that has finished by then in one short
transaction (group commit), then waits again; the batch's last group is written in
the transaction that claims the next batch, which starts at once (and on stop, in
one of its own). So a result waits at most for the commit already in progress plus
its own: the window is about two local commits (a few milliseconds on PostgreSQL and
SQLite) per message in flight; at most DISPATCH_CONCURRENCY rows are in flight per
worker. None of the three providers offers an idempotency key that would close it.

Order: a row is claimable only when no earlier row of the same contact and the same
or a more urgent priority is still `pending` or `sending`, so a citizen's messages go
out one at a time, in order, even across workers and retries. `failed` and `held` rows
do not block later ones. Rows are claimed by `priority` first (conversation replies 0,
urgent broadcasts 1, other broadcasts 2), so a chat stays responsive during a big
broadcast: a reply neither waits behind the broadcast's queue nor behind the contact's
own broadcast message still waiting in it.

Rate limits: the channel's send slots (bot/ratelimit.py) are reserved in the claim
transaction, one per claimed row, and a sender thread waits for its row's slot;
Telegram's per-chat limit is checked against the contact's recently sent rows (exact
across workers, because only one row per contact is ever in flight). Slots are reserved
at most RATE_AHEAD_SECONDS ahead, so under a saturated limit a claim holds only a few rows and a
reply waits behind at most those; a worker that found no free slot claims again when
the next one is due, not after the idle poll.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from prometheus_client import Counter
from sqlalchemy import ARRAY, Integer, and_, any_, bindparam, exists, func, literal, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import Session, select

from bot import ratelimit
from bot.channels.base import (
    ChannelAdapter,
    Delivery,
    HoldMessage,
    OutboundJob,
    PermanentError,
    TransientError,
)
from bot.core.db import transaction
from bot.core.models import Contact, Outbox, utcnow
from bot.core.settings import Settings
from bot.slot_queue import SlotQueue

log = logging.getLogger(__name__)

SENDS = Counter("stadtbot_outbox_sends_total", "Outbox send outcomes", ["channel", "outcome"])
OPEN = ("pending", "sending")


class Dispatcher:
    """Claims outbox rows of the channels it has adapters for and sends them."""

    def __init__(
        self, db: DbEngine, settings: Settings, adapters: dict[str, ChannelAdapter]
    ) -> None:
        self.db = db
        self.settings = settings
        self.adapters = adapters
        self._wake = threading.Event()
        self._stop = threading.Event()
        # Sender threads take (finished-queue, adapter, job) from `_jobs` when its slot
        # has come; None stops one.
        self._jobs: SlotQueue[_Send] = SlotQueue()
        self._senders: list[threading.Thread] = []
        self._thread: threading.Thread | None = None
        self._results: dict[str, list[_Outcome]] = {}
        self._by_name = {adapter.name: adapter for adapter in adapters.values()}
        # Set by a claim that found its channel's bucket empty: the next token is due
        # within this many seconds, so the idle wait is no longer than that.
        self._token_due: float | None = None

    # --- running -------------------------------------------------------------------

    def wake(self) -> None:
        """Look at the outbox now (called after a webhook committed new rows)."""
        self._wake.set()

    def run_forever(self) -> None:
        """Dispatch until `stop()`; waits DISPATCH_POLL_SECONDS (or a wake) when idle."""
        log.info("dispatcher started for %s", ", ".join(sorted(self.adapters)) or "no channel")
        while not self._stop.is_set():
            try:
                busy = self.run_once() > 0
            except Exception:  # the database may be briefly away; keep the loop alive
                log.exception("dispatcher iteration failed")
                busy = False
            if not busy:
                idle = self.settings.dispatch_poll_seconds
                self._wake.wait(idle if self._token_due is None else min(idle, self._token_due))
                self._wake.clear()
        self._flush_quietly()

    def _flush_quietly(self) -> None:
        try:
            self.flush_results()
        except Exception:  # the rows' leases run out and they are sent again
            log.exception("could not record the last results")

    def start(self) -> threading.Thread:
        """Run in a daemon thread (the in-process dispatcher of `serve`)."""
        self._thread = threading.Thread(target=self.run_forever, name="dispatcher", daemon=True)
        self._thread.start()
        return self._thread

    def request_stop(self) -> None:
        """Ask `run_forever` to return after the current batch (signal-handler safe)."""
        self._stop.set()
        self._wake.set()

    def stop(self, timeout: float = 15.0) -> None:
        """Finish the rows in flight, then stop; unclaimed rows stay for the next run."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for _ in self._senders:
            self._jobs.put(float("-inf"), None)
        for sender in self._senders:
            sender.join()
        self._senders = []
        self._flush_quietly()
        for adapter in self.adapters.values():
            adapter.close()

    def run_once(self) -> int:
        """One round: claim every channel's due rows, each channel's sends starting as
        soon as its claim commits (each at its rate limit's slot), then wait for them
        all, so one channel's slots never wait for another's; returns how many rows it
        sent or rescheduled.

        The results of a round's last sends are recorded in the transactions that claim
        the next round (one transaction per channel and round instead of two), which
        follow at once; only a failed claim transaction leaves them for the next try."""
        self._token_due = None
        finished: queue.SimpleQueue[_Outcome] = queue.SimpleQueue()
        claimed = 0
        for adapter in self.adapters.values():
            jobs = self.claim(adapter, self._results.get(adapter.name, []))
            self._results[adapter.name] = []
            self._start_sends(finished, adapter, jobs)
            claimed += len(jobs)
        if claimed:
            for outcome in self._collect(finished, claimed):
                self._results[outcome.job.channel].append(outcome)
        return claimed

    def flush_results(self) -> None:
        """Record results still held for the next claim (on stop)."""
        for adapter in self.adapters.values():
            results = self._results.get(adapter.name)
            if results:
                self._record(results)
                self._results[adapter.name] = []

    # --- claiming ------------------------------------------------------------------

    def claim(
        self, adapter: ChannelAdapter, results: list[_Outcome] | None = None
    ) -> list[OutboundJob]:
        """Lease up to one batch of due rows, at most one per contact, within the rate;
        first record `results` of earlier sends in the same transaction."""
        now = utcnow()
        with transaction(self.db) as session:
            done = self._record_in(session, results) if results else []
            jobs = self._claim_in(session, adapter, now)
        self._count(done)
        return jobs

    def _claim_in(self, session: Session, adapter: ChannelAdapter, now) -> list[OutboundJob]:  # type: ignore[no-untyped-def]
        limit = self.settings.dispatch_batch_size
        rate = adapter.rate()
        if rate is not None:
            limit = min(limit, ratelimit.available(session, rate))
            if limit <= 0:
                due = ratelimit.next_token_in(session, rate)
                self._token_due = due if self._token_due is None else min(self._token_due, due)
                return []
        rows = session.execute(
            _due_statement(session.get_bind().dialect.name),
            {"channel": adapter.name, "now": now, "limit": limit},
        ).all()
        rows = self._within_chat_limit(session, adapter, rows, now)
        if rows:
            lease = now + timedelta(seconds=self.settings.dispatch_lease_seconds)
            session.execute(
                _statements(session).lease, {"lease": lease, "ids": [r.id for r in rows]}
            )
        slots = ratelimit.take(session, rate, len(rows)) if rate is not None else []
        return [_job(r, slot) for r, slot in zip(rows, slots or [0.0] * len(rows), strict=True)]

    @staticmethod
    def _within_chat_limit(session: Session, adapter: ChannelAdapter, rows: list, now) -> list:  # type: ignore[no-untyped-def]
        """Defer rows whose chat already got its burst; the rest go out now."""
        limit = adapter.chat_limit()
        if limit is None or not rows:
            return rows
        burst, seconds = limit
        since = now - timedelta(seconds=seconds)
        contact_ids = [row.contact_id for row in rows]
        recent = dict(
            session.exec(
                select(Outbox.contact_id, func.count())
                .where(
                    Outbox.contact_id.in_(contact_ids),  # type: ignore[attr-defined]
                    Outbox.status == "sent",
                    Outbox.sent_at > since,  # type: ignore[operator]
                )
                .group_by(Outbox.contact_id)
            ).all()
        )
        ready, deferred = [], []
        for row in rows:
            (deferred if recent.get(row.contact_id, 0) >= burst else ready).append(row.id)
        if deferred:
            session.execute(
                _statements(session).defer,
                {"ids": deferred, "when": now + timedelta(seconds=seconds / burst)},
            )
        return [row for row in rows if row.id in set(ready)]

    # --- sending and recording -----------------------------------------------------

    def _start_sends(
        self, finished: queue.SimpleQueue[_Outcome], adapter: ChannelAdapter,
        jobs: list[OutboundJob],
    ) -> None:
        """Hand the claimed rows to the sender threads, each due at its slot.

        Long-lived sender threads take the jobs from a queue and report through
        another: no Future (with its Condition) per row, and no `wait()` walking every
        pending future on each call (quadratic in the batch)."""
        if jobs and not self._senders:
            self._senders = [
                threading.Thread(target=self._sender, name=f"send-{n}", daemon=True)
                for n in range(max(1, self.settings.dispatch_concurrency))
            ]
            for sender in self._senders:
                sender.start()
        for job in jobs:
            self._jobs.put(job.not_before, (finished, adapter, job))

    def _collect(self, finished: queue.SimpleQueue[_Outcome], left: int) -> list[_Outcome]:
        """Record the results as they come in, all results that finished meanwhile in
        one transaction (group commit); the last group is returned, to be recorded with
        the next claims."""
        while True:
            outcomes = [finished.get()]
            while True:
                try:
                    outcomes.append(finished.get_nowait())
                except queue.Empty:
                    break
            left -= len(outcomes)
            if not left:
                return outcomes
            self._record(outcomes)

    def _sender(self) -> None:
        while (item := self._jobs.get()) is not None:
            finished, adapter, job = item
            outcome = _Outcome(job, "retry", error=TransientError("send did not finish"))
            try:
                outcome = self._attempt(adapter, job)
            finally:  # always report, or `_send_all` would wait for this row forever
                finished.put(outcome)

    @staticmethod
    def _attempt(adapter: ChannelAdapter, job: OutboundJob) -> _Outcome:
        try:
            delivery = adapter.send(job)
        except TransientError as exc:
            return _Outcome(job, "retry", error=exc)
        except PermanentError as exc:
            return _Outcome(job, "failed", reason=exc.reason)
        except HoldMessage as exc:
            return _Outcome(job, "held", reason=exc.reason)
        except Exception as exc:  # an adapter bug must not lose the row: retry later
            log.exception("adapter %s crashed on outbox %s", adapter.name, job.id)
            return _Outcome(job, "retry", error=TransientError(f"{type(exc).__name__}: {exc}"))
        return _Outcome(job, "sent", delivery=delivery)

    def _record(self, outcomes: list[_Outcome]) -> None:
        """Write the outcomes of finished sends in one short transaction."""
        with transaction(self.db) as session:
            done = self._record_in(session, outcomes)
        self._count(done)

    def _record_in(
        self, session: Session, outcomes: list[_Outcome]
    ) -> list[tuple[OutboundJob, str, str | None]]:
        done: list[tuple[OutboundJob, str, str | None]] = []
        sent: list[tuple[int, str | None, str | None]] = []
        closed = []
        retries = [o for o in outcomes if o.status == "retry"]
        for o in outcomes:
            if o.status == "sent":
                delivery = o.delivery or Delivery(None)
                sent.append((o.job.id, delivery.provider_message_id, delivery.provider_status))
                done.append((o.job, "sent", None))
            elif o.status != "retry":
                closed.append({"b_id": o.job.id, "status": o.status, "error": o.reason})
                done.append((o.job, o.status, o.reason))
        if sent:
            _statements(session).record_sent(session, sent, utcnow())
        if closed:
            session.execute(_CLOSED, closed)
        if retries:
            rows = {
                row.id: row
                for row in session.exec(
                    select(Outbox).where(
                        Outbox.id.in_([o.job.id for o in retries])  # type: ignore[union-attr]
                    )
                ).all()
            }
            for outcome in retries:
                row = rows.get(outcome.job.id)
                if row is None:
                    continue
                assert outcome.error is not None
                adapter = self._by_name[outcome.job.channel]
                done.append(self._retry_in(session, adapter, row, outcome.job, outcome.error))
                session.add(row)
        return done

    @staticmethod
    def _count(done: list[tuple[OutboundJob, str, str | None]]) -> None:
        for job, status, reason in done:
            SENDS.labels(job.channel, status).inc()
            if status == "retry":
                log.info("outbox %s retry: %s", job.id, reason)
            elif reason:
                log.warning("outbox %s %s: %s", job.id, status, reason)

    @staticmethod
    def _finish_in(
        row: Outbox, status: str, delivery: Delivery | None, error: str | None
    ) -> None:
        row.status, row.last_error = status, error
        if delivery is not None:
            row.provider_message_id = delivery.provider_message_id
            row.provider_status = delivery.provider_status
            row.sent_at = utcnow()

    def _retry_in(
        self, session: Session, adapter: ChannelAdapter, row: Outbox, job: OutboundJob,
        exc: TransientError,
    ) -> tuple[OutboundJob, str, str | None]:
        if job.attempts >= self.settings.dispatch_max_attempts:
            reason = f"gave up after {job.attempts} attempts: {exc.reason}"
            self._finish_in(row, "failed", None, reason)
            return job, "failed", reason
        delay = self.backoff(job.attempts, exc.retry_after)
        row.status, row.last_error = "pending", exc.reason
        row.next_attempt_at = utcnow() + timedelta(seconds=delay)
        if exc.parts_done:
            row.body = {**row.body, "parts_done": exc.parts_done}
        rate = adapter.rate()
        if exc.retry_after and rate is not None:
            ratelimit.pause(session, rate, exc.retry_after)
        return job, "retry", f"in {delay:.1f}s: {exc.reason}"

    def backoff(self, attempts: int, retry_after: float | None = None) -> float:
        """Exponential backoff with full jitter in [½, 1] of the step; a provider's
        retry_after is a floor, with a little jitter so workers do not stampede."""
        if retry_after:
            return retry_after * random.uniform(1.0, 1.1)
        step = self.settings.dispatch_backoff_seconds * 2 ** max(0, attempts - 1)
        return min(self.settings.dispatch_backoff_max_seconds, step) * random.uniform(0.5, 1.0)


@dataclass(frozen=True)
class _Outcome:
    """What one send attempt came to, before it is recorded."""

    job: OutboundJob
    status: str  # "sent", "failed", "held" or "retry"
    delivery: Delivery | None = None
    reason: str | None = None
    error: TransientError | None = None


_Send = tuple["queue.SimpleQueue[_Outcome]", ChannelAdapter, OutboundJob]


def _job(row, not_before: float) -> OutboundJob:  # type: ignore[no-untyped-def]
    return OutboundJob(
        id=row.id,
        contact_id=row.contact_id,
        channel=row.channel,
        recipient=row.recipient,
        body=dict(row.body),
        attempts=row.attempts + 1,
        last_inbound_at=row.last_inbound_at,
        not_before=not_before,
    )


# Statements built once (building them costs more than running the cached ones).
_T = Outbox.__table__  # type: ignore[attr-defined]
_SENT = (
    update(_T)
    .where(_T.c.id == bindparam("b_id"))
    .values(
        status="sent", last_error=None, provider_message_id=bindparam("pmid"),
        provider_status=bindparam("pstatus"), sent_at=bindparam("sent_at"),
    )
)
# PostgreSQL: a whole group of sent rows in one statement, its values as three arrays
# (one statement text whatever the group's size, so it stays prepared).
_SENT_ARRAYS = text(
    "UPDATE outbox SET status = 'sent', last_error = NULL, provider_message_id = v.pmid,"
    " provider_status = v.pstatus, sent_at = :sent_at"
    " FROM unnest(CAST(:ids AS integer[]), CAST(:pmids AS varchar[]),"
    " CAST(:pstatuses AS varchar[])) AS v(id, pmid, pstatus)"
    " WHERE outbox.id = v.id"
)
_CLOSED = (
    update(_T)
    .where(_T.c.id == bindparam("b_id"))
    .values(status=bindparam("status"), last_error=bindparam("error"))
)
_DUE: dict[str, Any] = {}


@dataclass(frozen=True)
class _Statements:
    """The per-batch writes of one dialect. On PostgreSQL a list of ids is one array
    parameter (`id = ANY(:ids)`): no per-row parameters to render and bind."""

    lease: Any
    defer: Any
    arrays: bool

    def record_sent(
        self, session: Session, sent: list[tuple[int, str | None, str | None]], at: Any
    ) -> None:
        if self.arrays:
            ids, pmids, pstatuses = (list(column) for column in zip(*sent, strict=True))
            session.execute(
                _SENT_ARRAYS, {"ids": ids, "pmids": pmids, "pstatuses": pstatuses, "sent_at": at}
            )
        else:
            session.execute(
                _SENT,
                [{"b_id": i, "pmid": m, "pstatus": p, "sent_at": at} for i, m, p in sent],
            )


_STATEMENTS: dict[str, _Statements] = {}


def _statements(session: Session) -> _Statements:
    dialect = session.get_bind().dialect.name
    built = _STATEMENTS.get(dialect)
    if built is None:
        arrays = dialect == "postgresql"
        ids = (
            _T.c.id == any_(bindparam("ids", type_=ARRAY(Integer)))
            if arrays
            else _T.c.id.in_(bindparam("ids", expanding=True))
        )
        built = _Statements(
            lease=update(_T)
            .where(ids)
            .values(
                status="sending", attempts=_T.c.attempts + 1,
                next_attempt_at=bindparam("lease"),
            ),
            defer=update(_T).where(ids).values(next_attempt_at=bindparam("when")),
            arrays=arrays,
        )
        _STATEMENTS[dialect] = built
    return built


def _due_statement(dialect: str):  # type: ignore[no-untyped-def]
    """Due rows of a channel whose contact has no earlier open row, oldest first."""
    query = _DUE.get(dialect)
    if query is None:
        earlier = _T.alias("earlier")
        blocked = exists().where(
            and_(
                earlier.c.contact_id == _T.c.contact_id,
                earlier.c.id < _T.c.id,
                earlier.c.status.in_(OPEN),
                earlier.c.priority <= _T.c.priority,
            )
        )
        contact = Contact.__table__  # type: ignore[attr-defined]
        query = (
            sa_select(
                _T.c.id, _T.c.contact_id, _T.c.channel, _T.c.recipient, _T.c.body,
                _T.c.attempts, contact.c.last_inbound_at,
            )
            .join(contact, contact.c.id == _T.c.contact_id)
            .where(
                _T.c.channel == bindparam("channel"),
                # Literal values, so the planner can use the partial index over open rows.
                _T.c.status.in_([literal(s, literal_execute=True) for s in OPEN]),
                _T.c.next_attempt_at <= bindparam("now"),
                ~blocked,
            )
            .order_by(_T.c.priority, _T.c.id)
            .limit(bindparam("limit"))
        )
        if dialect == "postgresql":
            query = query.with_for_update(skip_locked=True, of=_T)
        _DUE[dialect] = query
    return query
