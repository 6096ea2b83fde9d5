"""Core tables: who talks to the city, their conversations, the transcript, the outbox.

Tables of other parts live next to their code (`actions/models.py`, ...); every model
module is imported by `bot.schema` so Alembic sees one metadata.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Aware UTC timestamps (SQLModel refuses naive ones); shown in the city's time zone."""
    return datetime.now(UTC)


class Contact(SQLModel, table=True):
    """A person on one channel (one WhatsApp number, one Telegram chat, one web session)."""

    __table_args__ = (UniqueConstraint("channel", "channel_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    channel_user_id: str = Field(max_length=128)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    language: str | None = Field(default=None, max_length=5)
    language_locked: bool = False  # set once a confident detection or an explicit choice
    created_at: datetime = Field(default_factory=utcnow)
    last_inbound_at: datetime | None = None


class Conversation(SQLModel, table=True):
    """The bot's memory of one contact: mode, flow state and counters."""

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", unique=True)
    mode: str = Field(default="bot", max_length=10)  # "bot" or "human"
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    message_count: int = 0
    last_inbound_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class Message(SQLModel, table=True):
    """One line of the transcript, inbound or outbound."""

    __table_args__ = (
        UniqueConstraint("channel", "direction", "provider_message_id"),
        Index("ix_message_conversation_id_id", "conversation_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    direction: str = Field(max_length=3)  # "in" or "out"
    channel: str = Field(max_length=20)
    provider_message_id: str | None = Field(default=None, max_length=128)
    text: str | None = None
    payload: str | None = Field(default=None, max_length=512)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reply_to_id: int | None = Field(default=None, foreign_key="message.id")
    author: str = Field(default="bot", max_length=64)  # "citizen", "bot", a staff login
    created_at: datetime = Field(default_factory=utcnow)


class Outbox(SQLModel, table=True):
    """A message waiting to be sent, written in the transaction that caused it."""

    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", unique=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    channel: str = Field(max_length=20)
    recipient: str = Field(max_length=128)
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)  # pending/sending/sent/failed/held;
    # a broadcast's rows also paused/cancelled
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = None
    provider_message_id: str | None = Field(default=None, max_length=128)
    provider_status: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    # Claim order: conversation replies (0) before urgent (1) and other broadcasts (2).
    priority: int = 0
    broadcast_id: int | None = None  # set on a broadcast's rows (bot/broadcasts)
