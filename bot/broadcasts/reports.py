"""Reports: where each recipient's message stands, per channel and language.

Every recipient is in exactly one state, so the counts add up to the recipients:
`pending` (queued, in flight or paused), `sent` (accepted by the provider, no receipt
yet), `delivered`, `read` (receipts from Twilio's status callbacks and the Cloud API's
status events), `failed` (with reasons), `held` (WhatsApp outside the 24-hour window
with no template), `cancelled` (the broadcast was cancelled first) and `withdrawn`
(unsubscribed before it went out). Telegram sends no delivery receipts: its messages
stay `sent`. `withdrawn_since` counts recipients who unsubscribed after the list was
fixed (whether or not their message had gone out), `replies` those who wrote to the
city after their message was sent and within REPLY_WINDOW of the start.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlmodel import Session

from bot.broadcasts.consent import WITHDRAWN
from bot.broadcasts.errors import NotFound
from bot.broadcasts.models import Broadcast, BroadcastRecipient
from bot.core.models import Contact, Conversation, Message, Outbox

STATES = ("pending", "sent", "delivered", "read", "failed", "held", "cancelled", "withdrawn")
REPLY_WINDOW = timedelta(hours=48)


def state_of(status: str, provider_status: str | None, error: str | None) -> str:
    """One recipient's report state from its outbox row."""
    if status in ("pending", "sending", "paused"):
        return "pending"
    if status == "sent":
        return provider_status if provider_status in ("delivered", "read") else "sent"
    if status == "cancelled":
        return "withdrawn" if error == WITHDRAWN else "cancelled"
    return status if status in STATES else "failed"


def _rows_of(broadcast_id: int):  # type: ignore[no-untyped-def]
    return (
        select(
            Outbox.channel, BroadcastRecipient.language, Outbox.status,
            Outbox.provider_status, Outbox.last_error,
        )
        .join(
            BroadcastRecipient,
            and_(
                BroadcastRecipient.broadcast_id == Outbox.broadcast_id,  # type: ignore[arg-type]
                BroadcastRecipient.contact_id == Outbox.contact_id,  # type: ignore[arg-type]
            ),
        )
        .where(Outbox.broadcast_id == broadcast_id)  # type: ignore[arg-type]
    )


def report(session: Session, broadcast_id: int) -> dict[str, Any]:
    """The broadcast with its counts, per channel and language, failures and replies."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        raise NotFound(f"Keine Nachricht mit der Nummer {broadcast_id}.")
    grouped = (
        _rows_of(broadcast_id)
        .add_columns(func.count().label("n"))
        .group_by(
            Outbox.channel, BroadcastRecipient.language, Outbox.status,
            Outbox.provider_status, Outbox.last_error,
        )
    )
    counts: Counter[str] = Counter()
    by_channel: dict[str, Counter[str]] = {}
    by_language: dict[str, Counter[str]] = {}
    reasons: Counter[str] = Counter()
    for row in session.execute(grouped):
        state = state_of(row.status, row.provider_status, row.last_error)
        counts[state] += row.n
        by_channel.setdefault(row.channel, Counter())[state] += row.n
        by_language.setdefault(row.language, Counter())[state] += row.n
        if state == "failed":
            reasons[row.last_error or "unbekannt"] += row.n
    total = sum(counts.values())
    return {
        "id": broadcast.id,
        "status": broadcast.status,
        "recipients": broadcast.recipients,
        "counts": _full(counts),
        "by_channel": {ch: _full(c) for ch, c in sorted(by_channel.items())},
        "by_language": {lang: _full(c) for lang, c in sorted(by_language.items())},
        "failed_reasons": dict(reasons.most_common()),
        "progress": round((total - counts["pending"]) / total, 4) if total else 0.0,
        "withdrawn_since": _withdrawn_since(session, broadcast_id),
        "replies": _replies(session, broadcast),
        "texts": broadcast.texts,
        "topics": broadcast.topics,
        "districts": broadcast.districts,
        "channels": broadcast.channels,
        "urgent": broadcast.urgent,
        "send_at": broadcast.send_at.isoformat() if broadcast.send_at else None,
        "created_by": broadcast.created_by,
        "created_at": broadcast.created_at.isoformat(),
        "started_at": broadcast.started_at.isoformat() if broadcast.started_at else None,
        "finished_at": broadcast.finished_at.isoformat() if broadcast.finished_at else None,
    }


def _full(counter: Counter[str]) -> dict[str, int]:
    return {state: counter.get(state, 0) for state in STATES}


def _withdrawn_since(session: Session, broadcast_id: int) -> int:
    return int(session.execute(
        select(func.count()).where(
            BroadcastRecipient.broadcast_id == broadcast_id,  # type: ignore[arg-type]
            BroadcastRecipient.withdrawn_at.is_not(None),  # type: ignore[union-attr]
        )
    ).scalar_one())


def _replies(session: Session, broadcast: Broadcast) -> int:
    """Recipients who wrote after their message went out (the reply itself is handled
    by the bot or staff in the normal conversation)."""
    if broadcast.started_at is None:
        return 0
    until = broadcast.started_at + REPLY_WINDOW
    wrote = (
        select(Message.id)
        .where(
            Message.conversation_id == Conversation.id,  # type: ignore[arg-type]
            Message.direction == "in",  # type: ignore[arg-type]
            Message.id > Outbox.message_id,  # type: ignore[arg-type]
            Message.created_at >= Outbox.sent_at,  # type: ignore[arg-type,operator]
            Message.created_at <= until,  # type: ignore[arg-type,operator]
        )
        .exists()
    )
    return int(session.execute(
        select(func.count())
        .select_from(Outbox)
        .join(Conversation, Conversation.contact_id == Outbox.contact_id)  # type: ignore[arg-type]
        .where(
            Outbox.broadcast_id == broadcast.id,  # type: ignore[arg-type]
            Outbox.sent_at.is_not(None),  # type: ignore[union-attr]
            wrote,
        )
    ).scalar_one())


def recipients_csv(session: Session, broadcast_id: int) -> str:
    """One line per recipient: who, channel, language, state, provider status, error,
    when sent, when withdrawn."""
    if session.get(Broadcast, broadcast_id) is None:
        raise NotFound(f"Keine Nachricht mit der Nummer {broadcast_id}.")
    query = (
        _rows_of(broadcast_id)
        .add_columns(
            Contact.id.label("contact_id"), Contact.channel_user_id,  # type: ignore[union-attr]
            Outbox.sent_at, BroadcastRecipient.withdrawn_at,
        )
        .join(Contact, Contact.id == Outbox.contact_id)  # type: ignore[arg-type]
        .order_by(Outbox.id)  # type: ignore[arg-type]
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([
        "contact_id", "channel", "recipient", "language", "state", "provider_status",
        "error", "sent_at", "withdrawn_at",
    ])
    for row in session.execute(query):
        writer.writerow([
            row.contact_id, row.channel, row.channel_user_id, row.language,
            state_of(row.status, row.provider_status, row.last_error),
            row.provider_status or "", row.last_error or "",
            row.sent_at.isoformat() if row.sent_at else "",
            row.withdrawn_at.isoformat() if row.withdrawn_at else "",
        ])
    return out.getvalue()


def listing(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """The newest broadcasts for the page's list."""
    rows = session.execute(
        select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)  # type: ignore[union-attr]
    ).scalars()
    return [
        {
            "id": b.id, "status": b.status, "recipients": b.recipients,
            "text": b.texts.get("de", "")[:80], "topics": b.topics, "urgent": b.urgent,
            "send_at": b.send_at.isoformat() if b.send_at else None,
            "created_at": b.created_at.isoformat(), "created_by": b.created_by,
        }
        for b in rows
    ]
