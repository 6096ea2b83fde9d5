"""The model's monthly token budget, kept in the database so every process shares it.

Read before a call (one SELECT, no lock) and added to after it in a transaction of its
own, never inside a conversation's turn: the budget is a city's cost ceiling, not a
precise meter, so two processes racing past it by one call each is acceptable.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine as DbEngine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, select

from bot.core.db import transaction


class LlmUsage(SQLModel, table=True):
    """Tokens and calls of one calendar month ("2026-12"); no personal data."""

    __tablename__ = "llm_usage"

    month: str = Field(primary_key=True, max_length=7)
    tokens: int = 0
    calls: int = 0


def month_of(now: datetime) -> str:
    return now.strftime("%Y-%m")


def used(db: DbEngine, month: str) -> int:
    with Session(db) as session:
        row = session.get(LlmUsage, month)
        return row.tokens if row else 0


def add(db: DbEngine, month: str, tokens: int) -> None:
    """Count one call; a first row another process inserted meanwhile is retried once."""
    for attempt in (1, 2):
        try:
            with transaction(db) as session:
                row = session.exec(select(LlmUsage).where(LlmUsage.month == month)).first()
                if row is None:
                    row = LlmUsage(month=month)
                    session.add(row)
                row.tokens += max(tokens, 0)
                row.calls += 1
            return
        except IntegrityError:
            if attempt == 2:
                raise
