"""The NLU's own table: messages the bot did not understand, kept for staff review.

Each row can become a new training example (`stadtbot nlu review` lists them), which is
how the model learns the citizens' real wording over time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from bot.models import utcnow


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
