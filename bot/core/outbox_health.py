"""How far behind delivery is: the age of the oldest outbox row that is due and unsent.

`/readyz` reports it and fails once it passes `OUTBOX_READY_MAX_AGE_SECONDS`: replies that
wait minutes mean no worker is running, or a channel is down, and the people who run
Stadtbot must hear of it before the citizens do. Rows waiting on purpose (a retry's
backoff, a rate limit, WhatsApp's 24-hour window) are not due and do not count.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from bot.core.models import Outbox

_OUTBOX = Outbox.__table__  # type: ignore[attr-defined]
_OLDEST_DUE = select(func.min(_OUTBOX.c.next_attempt_at)).where(
    _OUTBOX.c.status.in_(("pending", "sending"))
)
_DEPTH = (
    select(_OUTBOX.c.channel, _OUTBOX.c.status, func.count())
    .where(_OUTBOX.c.status.in_(("pending", "sending", "held")))
    .group_by(_OUTBOX.c.channel, _OUTBOX.c.status)
)


def oldest_due_age_seconds(conn: Connection, now: datetime) -> float:
    """Seconds since the oldest unsent row became due; 0.0 when nothing is late."""
    oldest = conn.execute(_OLDEST_DUE).scalar()
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # SQLite returns naive UTC
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - oldest).total_seconds())


def depth(conn: Connection) -> dict[tuple[str, str], int]:
    """Unsent rows per (channel, status): pending, sending and held."""
    return {(channel, status): count for channel, status, count in conn.execute(_DEPTH)}
