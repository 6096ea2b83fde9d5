"""Storing and listing fallbacks (texts below the confidence threshold)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from nlu.models import NluFallback

MAX_TEXT = 4000


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
