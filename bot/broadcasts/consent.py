"""Applying the dialogue's `ConsentChanged` events: subscriptions and their proof.

Called by the engine inside the turn's transaction, so a subscription, its consent
record and the confirmation message commit together. A withdrawal also takes back
the contact's broadcast messages not yet sent whose topics the contact no longer
follows: once withdrawn, nothing more arrives (the report counts them as withdrawn).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlmodel import Session

from bot.broadcasts.models import Broadcast, BroadcastRecipient
from bot.core.models import Outbox
from bot.core.subscriptions import ALL, ConsentRecord, Subscription, district_ids, topic_ids
from flows.events import ConsentChanged

WITHDRAWN = "withdrawn"  # `last_error` of a broadcast row cancelled by a withdrawal


def apply_consent(
    session: Session,
    *,
    contact_id: int,
    channel: str,
    language: str,
    event: ConsentChanged,
    now: datetime,
) -> None:
    """Subscribe to or withdraw from the event's topic(s), recording each one."""
    known = topic_ids()
    if event.broadcasts:
        wanted = known if event.topic == ALL else [event.topic]
        district = event.district if event.district in district_ids() else None
        topics = [topic for topic in wanted if topic in known]
        if topics:
            session.execute(
                delete(Subscription).where(
                    Subscription.contact_id == contact_id,  # type: ignore[arg-type]
                    Subscription.topic.in_(topics),  # type: ignore[attr-defined]
                )
            )
        for topic in topics:
            session.add(Subscription(
                contact_id=contact_id, topic=topic, district=district, created_at=now
            ))
        action = "subscribe"
    else:
        current = list(session.execute(
            select(Subscription.topic, Subscription.district).where(
                Subscription.contact_id == contact_id  # type: ignore[arg-type]
            )
        ).all())
        ended = [row for row in current if event.topic in (ALL, row.topic)]
        session.execute(
            delete(Subscription).where(
                Subscription.contact_id == contact_id,  # type: ignore[arg-type]
                Subscription.topic.in_([row.topic for row in ended]),  # type: ignore[attr-defined]
            )
        )
        # A withdrawal is recorded even when nothing was subscribed (STOP "just in case").
        topics = [row.topic for row in ended] or [event.topic]
        district = None
        action = "withdraw"
    for topic in topics:
        session.add(ConsentRecord(
            contact_id=contact_id, channel=channel, topic=topic, district=district,
            action=action, source=event.source, language=language,
            wording=event.wording, created_at=now,
        ))
    if action == "withdraw":
        session.flush()
        withdraw_pending(session, contact_id, now)


def withdraw_pending(session: Session, contact_id: int, now: datetime) -> int:
    """Mark the contact withdrawn in every broadcast whose topics it no longer follows,
    and cancel those messages not sent yet; returns how many were cancelled."""
    followed = set(session.execute(
        select(Subscription.topic).where(Subscription.contact_id == contact_id)  # type: ignore[arg-type]
    ).scalars())
    rows = session.execute(
        select(BroadcastRecipient.id, BroadcastRecipient.broadcast_id, Broadcast.topics)
        .join(Broadcast, Broadcast.id == BroadcastRecipient.broadcast_id)  # type: ignore[arg-type]
        .where(
            BroadcastRecipient.contact_id == contact_id,  # type: ignore[arg-type]
            BroadcastRecipient.withdrawn_at.is_(None),  # type: ignore[union-attr]
        )
    ).all()
    gone = [row for row in rows if not followed & set(row.topics)]
    if not gone:
        return 0
    session.execute(
        update(BroadcastRecipient)
        .where(BroadcastRecipient.id.in_([row.id for row in gone]))  # type: ignore[union-attr]
        .values(withdrawn_at=now)
    )
    result = session.execute(
        update(Outbox)
        .where(
            Outbox.contact_id == contact_id,  # type: ignore[arg-type]
            Outbox.broadcast_id.in_([row.broadcast_id for row in gone]),  # type: ignore[union-attr]
            Outbox.status.in_(("pending", "paused", "held")),  # type: ignore[attr-defined]
        )
        .values(status="cancelled", last_error=WITHDRAWN)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
