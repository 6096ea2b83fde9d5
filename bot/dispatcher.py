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
Results are recorded as the HTTP calls return: the loop waits for a finished send and
writes every result that has finished by then in one short transaction (group commit),
or in the transaction of the channel's next claim when that claim is due at once. So
a result waits at most for the commit already in progress plus its own: the window is
about two local commits (a few milliseconds on PostgreSQL and SQLite) per message in
flight; at most two batches (2 × DISPATCH_BATCH_SIZE) rows are in flight per channel
and worker. None of the three providers offers an idempotency key that would close it.

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
at most RATE_AHEAD_SECONDS ahead, so under a saturated limit a claim holds only a few
rows and a reply waits behind at most those. Claims are pipelined: each channel claims
again when half of its reserved time is used, while the earlier rows still wait for
their slots, so no slot goes unused between rounds (and a worker that found no free
slot claims again when the next one is due, not after the idle poll).
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from dataclasses import dataclass, field, replace
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
        self._stop = threading.Event()
        # Finished sends from the sender threads, and None for a wake: the loop waits on
        # this one queue for both.
        self._inbox: queue.SimpleQueue[_Outcome | None] = queue.SimpleQueue()
        # Sender threads take (adapter, job) from `_jobs` when its slot has come; None
        # stops one.
        self._jobs: SlotQueue[_Send] = SlotQueue()
        self._senders: list[threading.Thread] = []
        self._thread: threading.Thread | None = None
        self._lanes = [_Lane(adapter) for adapter in adapters.values()]
        self._by_name = {adapter.name: adapter for adapter in adapters.values()}

    # --- running -------------------------------------------------------------------

    def wake(self) -> None:
        """Look at the outbox now (called after a webhook committed new rows)."""
        self._inbox.put(None)

    def run_forever(self) -> None:
        """Dispatch until `stop()`; then finish the sends in flight and record them."""
        log.info("dispatcher started for %s", ", ".join(sorted(self.adapters)) or "no channel")
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:  # the database may be briefly away; keep the loop alive
                log.exception("dispatcher iteration failed")
                self._collect(self.settings.dispatch_poll_seconds)
        self._drain()

    def step(self) -> int:
        """Claim for every channel that is due and has room, record the results no
        claim took along, then wait for a result, a wake or the next channel's due
        time; returns how many rows it claimed.

        A channel's claims do not wait for its earlier sends, nor for another
        channel's: a saturated channel claims again when its reserved slots run low
        (half of RATE_AHEAD_SECONDS left), an unlimited one when fewer than a batch is
        in flight, so the provider's limit is used to the full and one slow provider
        delays no other channel."""
        claimed = self._claim_due()
        self._record_left()
        self._collect(self._until_due())
        return claimed

    def start(self) -> threading.Thread:
        """Run in a daemon thread (the in-process dispatcher of `serve`)."""
        self._thread = threading.Thread(target=self.run_forever, name="dispatcher", daemon=True)
        self._thread.start()
        return self._thread

    def request_stop(self) -> None:
        """Ask `run_forever` to claim no more and return (signal-handler safe)."""
        self._stop.set()
        self._inbox.put(None)

    def stop(self, timeout: float = 15.0) -> None:
        """Finish the rows in flight, then stop; unclaimed rows stay for the next run."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout)
        for _ in self._senders:
            self._jobs.put(float("-inf"), None)
        for sender in self._senders:
            sender.join()
        self._senders = []
        if self._thread is None or not self._thread.is_alive():
            self._record_quietly()
        for adapter in self.adapters.values():
            adapter.close()

    def _drain(self) -> None:
        """Wait for every send in flight and record all results (on stop)."""
        while any(lane.in_flight for lane in self._lanes):
            self._collect(None)
        self._record_quietly()

    def _record_quietly(self) -> None:
        try:
            self._record_left()
        except Exception:  # the rows' leases run out and they are sent again
            log.exception("could not record the last results")

    # --- the loop's steps ----------------------------------------------------------

    def _claim_due(self) -> int:
        now = time.time()
        claimed = 0
        for lane in self._lanes:
            if lane.due > now or lane.in_flight >= self.settings.dispatch_batch_size:
                continue
            jobs, lane.due, lane.idle = self.claim(lane.adapter, lane.results)
            lane.results = []  # recorded in the claim's transaction
            lane.in_flight += len(jobs)
            self._start_sends(lane.adapter, jobs)
            claimed += len(jobs)
        return claimed

    def _record_left(self) -> None:
        """Record in one transaction the results that no claim took along."""
        left = [outcome for lane in self._lanes for outcome in lane.results]
        if left:
            self._record(left)
            for lane in self._lanes:
                lane.results = []

    def _until_due(self) -> float | None:
        """Seconds until a channel with room for more is due (None: none has room, so
        the next finished send is what to wait for)."""
        room = [
            lane.due for lane in self._lanes
            if lane.in_flight < self.settings.dispatch_batch_size
        ]
        return max(0.0, min(room) - time.time()) if room else None

    def _collect(self, timeout: float | None) -> None:
        """Wait up to `timeout` for a finished send or a wake, then take everything
        else that arrived meanwhile (so results are recorded in groups)."""
        try:
            items = [self._inbox.get(timeout=timeout)]
        except queue.Empty:
            return
        while True:
            try:
                items.append(self._inbox.get_nowait())
            except queue.Empty:
                break
        lanes = {lane.adapter.name: lane for lane in self._lanes}
        for item in items:
            if item is None:  # a wake: channels that had nothing to send look again now
                for lane in self._lanes:
                    if lane.idle:
                        lane.due, lane.idle = 0.0, False
                continue
            lane = lanes[item.job.channel]
            lane.in_flight -= 1
            lane.results.append(item)

    # --- claiming ------------------------------------------------------------------

    def claim(
        self, adapter: ChannelAdapter, results: list[_Outcome] | None = None
    ) -> tuple[list[OutboundJob], float, bool]:
        """Lease up to one batch of due rows, at most one per contact, within the rate;
        first record `results` of earlier sends in the same transaction. Returns the
        jobs, when to claim this channel again (epoch seconds) and whether its queue
        was drained (a wake then makes it due at once).

        The slots are reserved before the commit; when the commit took so long that the
        first one has passed, the whole block moves later by as much, keeping the
        slots' spacing: sent at once, the passed slots would go out together, a burst
        above the provider's limit (seen at the start of every broadcast)."""
        now = utcnow()
        with transaction(self.db) as session:
            done = self._record_in(session, results) if results else []
            jobs, due, idle = self._claim_in(session, adapter, now)
        self._count(done)
        late = time.time() - jobs[0].not_before if jobs and jobs[0].not_before else 0.0
        if late > 0:  # the commit outlasted the first slot: the block moves by as much
            jobs = [replace(job, not_before=job.not_before + late) for job in jobs]
            due += late
        return jobs, due, idle

    def _claim_in(  # type: ignore[no-untyped-def]
        self, session: Session, adapter: ChannelAdapter, now
    ) -> tuple[list[OutboundJob], float, bool]:
        limit = self.settings.dispatch_batch_size
        rate = adapter.rate()
        free = limit
        if rate is not None:
            free = ratelimit.available(session, rate)
            if free <= 0:
                return [], time.time() + ratelimit.next_token_in(session, rate), False
            limit = min(limit, free)
        rows = session.execute(
            _due_statement(session.get_bind().dialect.name),
            {"channel": adapter.name, "now": now, "limit": limit},
        ).all()
        drained = len(rows) < limit
        rows = self._within_chat_limit(session, adapter, rows, now)
        if rows:
            lease = now + timedelta(seconds=self.settings.dispatch_lease_seconds)
            session.execute(
                _statements(session).lease, {"lease": lease, "ids": [r.id for r in rows]}
            )
        slots = ratelimit.take(session, rate, len(rows)) if rate is not None else []
        jobs = [_job(r, slot) for r, slot in zip(rows, slots or [0.0] * len(rows), strict=True)]
        if drained:  # nothing more is due: look again after the poll, or when woken
            return jobs, time.time() + self.settings.dispatch_poll_seconds, True
        if rate is not None and slots and limit == free:  # the slots ran out first
            return jobs, slots[-1] - rate.ahead / 2, False
        return jobs, 0.0, False  # a full batch: again once fewer than a batch is in flight

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

    def _start_sends(self, adapter: ChannelAdapter, jobs: list[OutboundJob]) -> None:
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
            self._jobs.put(job.not_before, (adapter, job))

    def _sender(self) -> None:
        while (item := self._jobs.get()) is not None:
            adapter, job = item
            outcome = _Outcome(job, "retry", error=TransientError("send did not finish"))
            try:
                outcome = self._attempt(adapter, job)
            finally:  # always report, or the loop would count this row in flight forever
                self._inbox.put(outcome)

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


@dataclass
class _Lane:
    """One channel's place in the loop: when it may claim next, and its sends."""

    adapter: ChannelAdapter
    due: float = 0.0  # epoch seconds; 0: now
    idle: bool = False  # its last claim drained the queue: a wake makes it due
    in_flight: int = 0  # claimed rows not yet finished
    results: list[_Outcome] = field(default_factory=list)  # finished, not yet recorded


@dataclass(frozen=True)
class _Outcome:
    """What one send attempt came to, before it is recorded."""

    job: OutboundJob
    status: str  # "sent", "failed", "held" or "retry"
    delivery: Delivery | None = None
    reason: str | None = None
    error: TransientError | None = None


_Send = tuple[ChannelAdapter, OutboundJob]


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
