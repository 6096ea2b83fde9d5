"""The retention policy: transcripts, media and review copies are deleted after N days.

A conversation with the city is needed while it is going on and for a while after (a
citizen comes back, staff look up what was said); after `RETENTION_DAYS` it is deleted.
What the law requires to keep — cases, bookings, the voucher ledger — lives in other
tables and is not touched here; their link to a person is removed only on erasure.

The job runs in every worker's scheduler; each run deletes at most `BATCH` messages in
one transaction, so a backlog (the first run after retention was shortened) is worked off
over several runs without one long lock. Several workers at once are safe: a row deleted
by one is simply not found by the other.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, cast, delete, select, update
from sqlmodel import Session

from bot.channels.models import ProviderStatusEvent
from bot.core.fallbacks import NluFallback
from bot.core.i18n import t
from bot.core.models import Conversation, Message, Outbox
from bot.core.settings import Settings

BATCH = 5000
# Outbox rows still to be sent are never deleted with their transcript line.
UNSENT = ("pending", "sending")


def retention_text(key: str, lang: str, settings: Settings, **params: object) -> str:
    """The text `key` as it fits the policy: with `RETENTION_DAYS` = 0 nothing is deleted
    automatically, so the notice must not promise a number of days (the `_kept` text)."""
    if settings.retention_days <= 0:
        return t(f"{key}_kept", lang, **params)
    return t(key, lang, days=settings.retention_days, **params)


def delete_expired(session: Session, now: datetime, settings: Settings) -> int:
    """Delete transcript lines (with their media references and sent outbox rows), NLU
    fallbacks, provider status events and idle flow state older than the retention
    period; returns how many transcript lines went."""
    if settings.retention_days <= 0:
        return 0
    cutoff = now - timedelta(days=settings.retention_days)
    ids = list(
        session.exec(
            select(Message.id)  # type: ignore[call-overload]
            .where(Message.created_at < cutoff)
            .order_by(Message.id)
            .limit(BATCH)
        ).scalars()
    )
    if ids:
        unsent = set(
            session.exec(
                select(Outbox.message_id).where(  # type: ignore[call-overload]
                    Outbox.message_id.in_(ids), Outbox.status.in_(UNSENT)  # type: ignore[attr-defined]
                )
            ).scalars()
        )
        ids = [i for i in ids if i not in unsent]
    if ids:
        session.exec(  # type: ignore[call-overload]
            update(Message).where(Message.reply_to_id.in_(ids)).values(reply_to_id=None)  # type: ignore[union-attr]
        )
        session.exec(delete(Outbox).where(Outbox.message_id.in_(ids)))  # type: ignore[call-overload,attr-defined]
        session.exec(delete(Message).where(Message.id.in_(ids)))  # type: ignore[call-overload,union-attr]
    session.exec(delete(NluFallback).where(NluFallback.created_at < cutoff))  # type: ignore[call-overload,arg-type]
    session.exec(delete(ProviderStatusEvent).where(ProviderStatusEvent.received_at < cutoff))  # type: ignore[call-overload,arg-type]
    # A flow left half-way holds what the citizen typed (an address, a plate): forget it.
    session.exec(  # type: ignore[call-overload]
        update(Conversation)
        .where(
            Conversation.updated_at < cutoff,  # type: ignore[arg-type]
            Conversation.mode == "bot",  # type: ignore[arg-type]
            cast(Conversation.state, String) != "{}",
        )
        .values(state={})
    )
    return len(ids)
