"""Tables the channel adapters need besides the core outbox.

- `ChannelPayload`: button payloads too long for Telegram's 64-byte callback data,
  stored under a short deterministic key so a retried send maps to the same key.
- `ProviderStatusEvent`: every delivery status a provider reports (queued, sent,
  delivered, read, failed, undelivered), kept as a log next to the outbox row's
  latest `provider_status`.
- `RateBucket`: token buckets shared by all workers (bot/ratelimit.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from bot.core.models import Outbox, utcnow

# The dispatcher asks "is there an earlier unsent row for this contact?" for every
# candidate; this index answers it without scanning the contact's history.
OUTBOX_CONTACT_STATUS_INDEX = Index(
    "ix_outbox_contact_id_status_id", Outbox.contact_id, Outbox.status, Outbox.id
)
# Status callbacks find the row by the provider's id.
OUTBOX_PROVIDER_ID_INDEX = Index("ix_outbox_provider_message_id", Outbox.provider_message_id)


class ChannelPayload(SQLModel, table=True):
    """A long button payload behind a short key (`h:` + 22 chars of its hash)."""

    __tablename__ = "channel_payload"

    key: str = Field(primary_key=True, max_length=64)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class ProviderStatusEvent(SQLModel, table=True):
    """One status callback from a provider about a message we sent."""

    __tablename__ = "provider_status_event"
    __table_args__ = (Index("ix_provider_status_event_pmid", "channel", "provider_message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    provider_message_id: str = Field(max_length=128)
    status: str = Field(max_length=32)
    error_code: str | None = Field(default=None, max_length=32)
    received_at: datetime = Field(default_factory=utcnow)


class RateBucket(SQLModel, table=True):
    """A token bucket's state; `updated_at` is epoch seconds (float) for cheap arithmetic."""

    __tablename__ = "rate_bucket"

    key: str = Field(primary_key=True, max_length=64)
    tokens: float
    updated_at: float
