"""Subscribers on every channel, made through the engine's own consent path."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine as DbEngine

from bot.broadcasts.consent import apply_consent
from bot.core.db import transaction
from bot.core.models import Contact, Conversation, utcnow
from flows.events import ConsentChanged


def subscriber(
    db: DbEngine,
    channel: str,
    user_id: str,
    *,
    topic: str = "warnungen",
    district: str | None = None,
    language: str | None = "de",
    last_inbound_at: datetime | None = None,
) -> int:
    """A contact subscribed to `topic`, as if it had said yes in the chat; its id."""
    with transaction(db) as session:
        contact = Contact(
            channel=channel, channel_user_id=user_id, language=language,
            last_inbound_at=last_inbound_at or utcnow(),
        )
        session.add(contact)
        session.flush()
        assert contact.id is not None
        session.add(Conversation(contact_id=contact.id))
        apply_consent(
            session, contact_id=contact.id, channel=channel, language=language or "de",
            event=ConsentChanged(broadcasts=True, topic=topic, district=district, wording="ok"),
            now=utcnow(),
        )
        return contact.id
