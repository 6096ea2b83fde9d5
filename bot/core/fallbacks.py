"""Messages the bot did not understand, kept for staff review (`stadtbot nlu review`).

Each row can become a new training example, which is how the model learns the
citizens' real wording over time. The table lives in the ground, not in `nlu/`, so
the NLU stays free of the database; the engine records a fallback with its turn.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, Session, SQLModel, col, select

from bot.core.models import utcnow

MAX_TEXT = 4000


class NluFallback(SQLModel, table=True):
    """One message below the confidence threshold, with what the model guessed."""

    __tablename__ = "nlu_fallback"

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    text: str
    language: str | None = Field(default=None, max_length=5)
    ranking: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, index=True)


def record_fallback(
    session: Session,
    *,
    contact_id: int | None,
    text: str,
    language: str | None,
    ranking: list[dict[str, Any]],
) -> NluFallback:
    """Add a fallback row to the caller's transaction (the engine commits with its state)."""
    row = NluFallback(
        contact_id=contact_id,
        text=text[:MAX_TEXT],
        language=language,
        ranking=[{"name": r["name"], "confidence": float(r["confidence"])} for r in ranking[:5]],
    )
    session.add(row)
    return row


def list_fallbacks(session: Session, limit: int = 50) -> list[NluFallback]:
    """The newest fallbacks first."""
    stmt = select(NluFallback).order_by(col(NluFallback.created_at).desc()).limit(limit)
    return list(session.exec(stmt))
