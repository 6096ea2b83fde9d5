"""Slowing down guessing of voucher codes and PINs with a sliding window of failures.

Failures are rows in `guess_attempt` written in the action's transaction; the engine
commits an action's writes also when it raises `ActionError` (an expected outcome), so a
failure is counted even though the citizen only hears "wrong PIN".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from actions.models import GuessAttempt
from actions.registry import ActionError

WINDOW = timedelta(minutes=15)
MAX_FAILURES = 5


def check(session: Session, key: str, now: datetime, limit: int = MAX_FAILURES) -> None:
    """Raise `too_many_attempts` when `key` had `limit` failures within the window."""
    since = now - WINDOW
    failures = session.exec(
        select(func.count())
        .select_from(GuessAttempt)
        .where(GuessAttempt.key == key, GuessAttempt.created_at > since)
    ).one()
    if failures >= limit:
        raise ActionError(
            "too_many_attempts", retry_after_minutes=int(WINDOW.total_seconds() // 60)
        )


def record_failure(session: Session, key: str, now: datetime) -> None:
    """Count one failed guess for `key`."""
    session.add(GuessAttempt(key=key, created_at=now))
    session.flush()
