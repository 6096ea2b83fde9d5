"""Send slots in the database, so every worker on every machine shares one limit.

A provider's limit is N messages per second, and the providers count in any one-second
window; a classic token bucket with a burst lets a window see N plus the burst. So a
claim here reserves *slots*, 1/N apart (the generic cell rate algorithm): the bucket
holds at most one token and may go into debt for the slots reserved ahead, up to
`ahead` seconds from now; each claimed row gets its slot's time and the dispatcher
sends it no earlier (`take`). A one-second window then sees at most N + 1 sends,
whatever the number of workers, and a reply waits behind at most `ahead` seconds of
reserved slots.

Why in the database: the workers already share it, it needs no Redis, and a bucket is
touched once per dispatcher claim (not once per message), so its row lock is cheap.
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
    """`per_second` slots, reserved at most `ahead` seconds in advance."""

    key: str
    per_second: float
    ahead: float

    @classmethod
    def of(cls, key: str, per_second: float, ahead_seconds: float) -> Rate:
        """A provider's limit; claims reserve slots up to `ahead_seconds` in advance (a
        claim then holds about `per_second × ahead_seconds` rows)."""
        return cls(key, per_second, max(0.0, ahead_seconds))


_LOCK = (
    select(RateBucket)
    .where(RateBucket.key == bindparam("key"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


def _locked_bucket(session: Session, rate: Rate, now: float) -> RateBucket:
    bucket = session.exec(_LOCK, params={"key": rate.key}).first()  # type: ignore[call-overload]
    if bucket is None:  # first use of this key: create it, safe against a concurrent first
        insert_ignore(session, RateBucket, {"key": rate.key, "tokens": 1.0, "updated_at": now})
        bucket = session.exec(_LOCK, params={"key": rate.key}).one()  # type: ignore[call-overload]
    # `now` was read before the lock was granted: a worker that waited for it must not
    # turn the bucket's clock back (that would hand out the same slots twice).
    now = max(now, bucket.updated_at)
    bucket.tokens = min(1.0, bucket.tokens + (now - bucket.updated_at) * rate.per_second)
    bucket.updated_at = now
    return bucket


def available(session: Session, rate: Rate, now: float | None = None) -> int:
    """Slots free from now to `ahead` seconds on (locks the bucket until the
    transaction ends)."""
    bucket = _locked_bucket(session, rate, now if now is not None else time.time())
    return max(0, int(bucket.tokens + rate.ahead * rate.per_second + 1e-9))


def _bucket(session: Session, rate: Rate, now: float | None) -> RateBucket:
    # Locked and refilled by `available` in this transaction: no second round trip.
    bucket = session.identity_map.get(session.identity_key(RateBucket, rate.key))
    if bucket is None:
        bucket = _locked_bucket(session, rate, now if now is not None else time.time())
    return bucket


def take(session: Session, rate: Rate, count: int, now: float | None = None) -> list[float]:
    """Reserve `count` slots (after `available`, in the same transaction); returns the
    epoch time of each, the earliest moment its message may be sent.

    The slots start no earlier than the moment of this call (`now`), not the start of
    the claim: a claim whose query was slow would otherwise get slots already past,
    and its rows would go out at once. The bucket is locked since `available`, so no
    other worker reserved in between and moving our slots later is safe."""
    if count <= 0:
        return []
    bucket = _bucket(session, rate, now)
    at = now if now is not None else time.time()
    first = max(at, bucket.updated_at + max(0.0, 1.0 - bucket.tokens) / rate.per_second)
    after = first + count / rate.per_second  # the next free slot
    bucket.tokens = 1.0 - (after - bucket.updated_at) * rate.per_second
    session.add(bucket)
    return [first + n / rate.per_second for n in range(count)]


def next_token_in(session: Session, rate: Rate, now: float | None = None) -> float:
    """Seconds until a slot is free again within `ahead` (after `available`): how long a
    dispatcher that found none should wait before claiming again."""
    missing = 1.0 - _bucket(session, rate, now).tokens - rate.ahead * rate.per_second
    return max(0.0, missing / rate.per_second)


def pause(session: Session, rate: Rate, seconds: float, now: float | None = None) -> None:
    """No slot for `seconds` (a provider said 429): every worker waits."""
    bucket = _locked_bucket(session, rate, now if now is not None else time.time())
    bucket.tokens = min(bucket.tokens, 1.0 - seconds * rate.per_second)
    session.add(bucket)
