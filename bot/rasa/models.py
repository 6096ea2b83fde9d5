"""The one table of the Rasa action server: writing calls already carried out.

Rasa (or a proxy in front of the action server) may send the same action call twice when
an answer is lost. A writing action (registered with `writes=True`: book, cancel, redeem,
submit, an appointment, a privacy request) first claims the call's key in the
transaction that does the work; a second call with the same key finds the row and gets
the stored answer back instead of booking or paying again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from bot.core.models import utcnow


class RasaActionCall(SQLModel, table=True):
    """A writing action call by its key (sender, action, latest message and event)."""

    __tablename__ = "rasa_action_call"

    key: str = Field(primary_key=True, max_length=64)
    action: str = Field(max_length=80)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    # The answer as sent: {"events": [...], "responses": [...]}; null while in progress.
    answer: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
