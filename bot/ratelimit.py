"""Token buckets in the database, so every worker on every machine shares one limit.

Why in the database: the workers already share it, it needs no Redis, and a bucket is
touched once per dispatcher batch (not once per message), so its row lock is cheap.
The bucket row is read and written inside the caller's transaction (the same one that
claims the outbox rows), so tokens and claims commit together: a crashed worker never
leaks tokens it did not use. On PostgreSQL the row is locked with `FOR UPDATE`; on
SQLite `BEGIN IMMEDIATE` already serialises writers.

Time is the worker's wall clock (epoch seconds); workers on several machines need NTP,
which they need anyway for `next_attempt_at`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.channels.models import RateBucket
from bot.core.db import insert_ignore


@dataclass(frozen=True)
class Rate:
    """`per_second` on average, with bursts up to `burst` tokens."""

    key: str
    per_second: float
    burst: float

    @classmethod
    def of(cls, key: str, per_second: float, burst_seconds: float) -> Rate:
        """A provider's limit with a burst of `burst_seconds`' worth of tokens (at least
        one). A bucket allows `burst + per_second × T` sends in any window of T
        seconds: a burst of a whole second's worth would let a one-second window see
        twice the limit after a pause; a small fraction keeps it close to the limit
        and keeps each claim small (a reply waits behind at most `burst` sends)."""
        return cls(key, per_second, max(1.0, per_second * burst_seconds))


_LOCK = (
    select(RateBucket)
    .where(RateBucket.key == bindparam("key"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


def _locked_bucket(session: Session, rate: Rate, now: float) -> RateBucket:
    bucket = session.exec(_LOCK, params={"key": rate.key}).first()  # type: ignore[call-overload]
    if bucket is None:  # first use of this key: create it, safe against a concurrent first
        insert_ignore(
            session, RateBucket, {"key": rate.key, "tokens": rate.burst, "updated_at": now}
        )
        bucket = session.exec(_LOCK, params={"key": rate.key}).one()  # type: ignore[call-overload]
    elapsed = max(0.0, now - bucket.updated_at)
    bucket.tokens = min(rate.burst, bucket.tokens + elapsed * rate.per_second)
    bucket.updated_at = now
    return bucket


def available(session: Session, rate: Rate, now: float | None = None) -> int:
    """Whole tokens available now (locks the bucket until the transaction ends)."""
    bucket = _locked_bucket(session, rate, now if now is not None else time.time())
    return max(0, int(bucket.tokens))


def _bucket(session: Session, rate: Rate, now: float | None) -> RateBucket:
    # Locked and refilled by `available` in this transaction: no second round trip.
    bucket = session.identity_map.get(session.identity_key(RateBucket, rate.key))
    if bucket is None:
        bucket = _locked_bucket(session, rate, now if now is not None else time.time())
    return bucket


def take(session: Session, rate: Rate, count: int, now: float | None = None) -> None:
    """Spend `count` tokens (after `available`, in the same transaction)."""
    if count <= 0:
        return
    bucket = _bucket(session, rate, now)
    bucket.tokens -= count
    session.add(bucket)


def next_token_in(session: Session, rate: Rate, now: float | None = None) -> float:
    """Seconds until the bucket holds a whole token (after `available`): how long a
    dispatcher that found it empty should wait before claiming again."""
    return max(0.0, (1.0 - _bucket(session, rate, now).tokens) / rate.per_second)


def pause(session: Session, rate: Rate, seconds: float, now: float | None = None) -> None:
    """Empty the bucket for `seconds` (a provider said 429): every worker waits."""
    bucket = _locked_bucket(session, rate, now if now is not None else time.time())
    bucket.tokens = min(bucket.tokens, -seconds * rate.per_second)
    session.add(bucket)
