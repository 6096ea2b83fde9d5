"""Tables of broadcasts: the broadcast, its fixed recipient list and uploaded images.

A broadcast's messages are ordinary outbox rows (kind "broadcast", `Outbox.broadcast_id`
set, a lower `priority` than conversation replies), so delivery, rate limits, the
24-hour window and status callbacks are the outbox's. `BroadcastRecipient` is the list
fixed when sending starts: one row per contact (unique); its outbox row is the one with
the same broadcast and contact.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.core.models import Outbox, utcnow

STATES = ("draft", "scheduled", "sending", "paused", "cancelled", "done")

# Pause, resume, cancel and the reports select a broadcast's rows by state.
OUTBOX_BROADCAST_INDEX = Index("ix_outbox_broadcast_id_status", Outbox.broadcast_id, Outbox.status)


class Broadcast(SQLModel, table=True):
    """One message to the subscribers of some topics, in up to three languages."""

    __table_args__ = (Index("ix_broadcast_status_send_at", "status", "send_at"),)

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default="draft", max_length=12)
    texts: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    topics: list[str] = Field(sa_column=Column(JSON, nullable=False))
    districts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    channels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    buttons: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    image_url: str | None = Field(default=None, max_length=300)
    send_at: datetime | None = None
    urgent: bool = False
    created_by: str = Field(max_length=100)
    idempotency_key: str | None = Field(default=None, max_length=200, unique=True)
    request_hash: str | None = Field(default=None, max_length=64)
    recipients: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None


class BroadcastRecipient(SQLModel, table=True):
    """A contact the broadcast goes to, fixed when sending starts."""

    __tablename__ = "broadcast_recipient"
    __table_args__ = (UniqueConstraint("broadcast_id", "contact_id"),)

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcast.id")
    contact_id: int = Field(foreign_key="contact.id", index=True)
    channel: str = Field(max_length=20)
    language: str = Field(max_length=5)  # the language of the text it gets
    withdrawn_at: datetime | None = None  # unsubscribed after the list was fixed


class BroadcastImage(SQLModel, table=True):
    """An uploaded picture for a broadcast, served at /media/broadcasts/{id}."""

    __tablename__ = "broadcast_image"

    id: int | None = Field(default=None, primary_key=True)
    content_type: str = Field(max_length=40)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow)


# The dispatcher's claim walks open rows of a channel in (priority, id) order; a partial
# index over open rows only keeps that walk short however many rows were sent before.
OUTBOX_CLAIM_INDEX = Index(
    "ix_outbox_open_channel_priority_id",
    Outbox.channel,
    Outbox.priority,
    Outbox.id,
    postgresql_where=Outbox.status.in_(("pending", "sending")),  # type: ignore[attr-defined]
    sqlite_where=Outbox.status.in_(("pending", "sending")),  # type: ignore[attr-defined]
)
