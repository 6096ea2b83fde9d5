"""Tables of the staff side: handoffs, notes, the audit log, ratings, team membership.

A `Handoff` is one stay of a conversation with staff, from the escalation to the hand
back or close: the queue is its `waiting` rows, the claim its `assignee`. Keeping one
row per stay (instead of columns on the conversation) keeps history for the audit
log and the ratings per team.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from bot.core.models import utcnow

HANDOFF_STATUSES = ("waiting", "open", "closed")


class Handoff(SQLModel, table=True):
    """One stay of a conversation with staff: waiting → open (claimed) → closed."""

    __tablename__ = "staff_handoff"
    __table_args__ = (
        Index("ix_staff_handoff_status_team_created", "status", "team", "created_at"),
        Index("ix_staff_handoff_conversation_id_id", "conversation_id", "id"),
        Index("ix_staff_handoff_updated_at", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    team: str = Field(max_length=40)
    status: str = Field(default="waiting", max_length=10)
    reason: str = Field(max_length=120)
    channel: str = Field(max_length=20)
    language: str = Field(max_length=5)
    assignee: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow)  # waiting since
    claimed_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: str | None = Field(default=None, max_length=20)  # released / closed / citizen
    # The flow that was open when the bot handed over, with its slots: {"flow", "slots"}.
    flow: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class StaffNote(SQLModel, table=True):
    """An internal note on a conversation; never shown to the citizen."""

    __tablename__ = "staff_note"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    author: str = Field(max_length=100)
    text: str
    created_at: datetime = Field(default_factory=utcnow)


class StaffAudit(SQLModel, table=True):
    """Who did what to a conversation and when (claim, assign, reply, note, release, close)."""

    __tablename__ = "staff_audit"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    handoff_id: int | None = Field(default=None, foreign_key="staff_handoff.id")
    actor: str = Field(max_length=100)
    action: str = Field(max_length=20)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class ChatRating(SQLModel, table=True):
    """The citizen's rating (1–5, optional comment) of one stay with staff."""

    __tablename__ = "staff_rating"

    id: int | None = Field(default=None, primary_key=True)
    handoff_id: int = Field(foreign_key="staff_handoff.id", unique=True)
    team: str = Field(max_length=40, index=True)
    score: int
    comment: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class TeamMembership(SQLModel, table=True):
    """A login's place in a team: `member` works its queue, `reader` may only read it."""

    __tablename__ = "staff_membership"

    user_id: int = Field(foreign_key="staff_user.id", primary_key=True)
    team: str = Field(max_length=40, primary_key=True)
    access: str = Field(default="member", max_length=10)


class StaffPresence(SQLModel, table=True):
    """When a login last had the inbox open (for automatic assignment to who is online)."""

    __tablename__ = "staff_presence"

    user_id: int = Field(foreign_key="staff_user.id", primary_key=True)
    last_seen_at: datetime = Field(default_factory=utcnow)
