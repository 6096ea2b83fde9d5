"""Guess limits for secrets (voucher codes and PINs, staff passwords, API tokens), in the database.

Why in the database: every API process and worker on every machine must see the same
count, a restart must not reset it, and the count must be taken atomically — a count
read first and written after the check lets thirty concurrent guesses all through.

How: one row per key (`voucher:3`, `login-ip:203.0.113.9`, `global:voucher`) with a
fixed window. `charge` counts an attempt *before* the secret is checked, with one
`INSERT … ON CONFLICT DO UPDATE … RETURNING` per key (the same statement on SQLite and
PostgreSQL); on PostgreSQL the upsert keeps the row locked until the caller's
transaction ends, so concurrent attempts on one key queue and each sees the count of
the ones before it. When any key is over its limit the attempt is refused without
looking at the secret, so the right password does not work while locked either. A
successful attempt is given back with `refund`, so only failures use up the limit.

Keys are charged in sorted order, so two transactions charging overlapping keys never
wait on each other in a cycle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, Session, SQLModel

WINDOW_SECONDS = 15 * 60
KEPT_SECONDS = 24 * 3600  # longer than any window: older rows count nothing any more


class GuessCounter(SQLModel, table=True):
    """Attempts on one key within its current window (`window_start`, epoch seconds)."""

    __tablename__ = "guess_counter"

    key: str = Field(primary_key=True, max_length=160)
    window_start: float
    attempts: int = 0


@dataclass(frozen=True)
class Limit:
    """At most `limit` attempts on `key` per window of `window_seconds`."""

    key: str
    limit: int
    window_seconds: int = WINDOW_SECONDS


def charge(session: Session, limits: Sequence[Limit], now: datetime) -> int | None:
    """Count one attempt on every key; None when allowed, else seconds until a retry.

    Runs in the caller's transaction: commit it (also on a refused or failed attempt)
    for the count to last.
    """
    moment = now.timestamp()
    wait = 0.0
    for limit in sorted(limits, key=lambda item: item.key):
        attempts, start = _count(session, limit, moment)
        if attempts > limit.limit:
            wait = max(wait, start + limit.window_seconds - moment)
    return max(1, math.ceil(wait)) if wait > 0 else None


def refund(session: Session, limits: Sequence[Limit]) -> None:
    """Give back the attempt `charge` counted: it succeeded, so it was no guess."""
    table = GuessCounter.__table__  # type: ignore[attr-defined]
    session.execute(
        update(table)
        .where(table.c.key.in_([limit.key for limit in limits]), table.c.attempts > 0)
        .values(attempts=table.c.attempts - 1)
    )


def prune(session: Session, now: datetime, _settings: object = None) -> int:
    """Delete counters whose window ended a day ago (a periodic job); returns how many."""
    table = GuessCounter.__table__  # type: ignore[attr-defined]
    result = session.execute(
        delete(table).where(table.c.window_start < now.timestamp() - KEPT_SECONDS)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _count(session: Session, limit: Limit, moment: float) -> tuple[int, float]:
    table = GuessCounter.__table__  # type: ignore[attr-defined]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    first = insert(table).values(key=limit.key, window_start=moment, attempts=1)
    expired = table.c.window_start <= moment - limit.window_seconds
    statement = first.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "attempts": case((expired, 1), else_=table.c.attempts + 1),
            "window_start": case((expired, moment), else_=table.c.window_start),
        },
    ).returning(table.c.attempts, table.c.window_start)
    attempts, start = session.execute(statement).one()
    return int(attempts), float(start)
