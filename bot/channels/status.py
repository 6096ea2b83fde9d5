"""Delivery statuses reported by providers (Twilio status callbacks, Cloud API statuses).

Each report is logged in `provider_status_event`; the outbox row sent under that
provider id gets the newest status, and a provider-side failure after acceptance
(e.g. Twilio 63016, Cloud API 131047) marks the row failed with the code as reason.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import select

from bot.channels.models import ProviderStatusEvent
from bot.core.db import transaction
from bot.core.models import Outbox

FAILED = frozenset({"failed", "undelivered"})


def record_status(
    db: DbEngine, channel: str, provider_message_id: str, status: str, error_code: str | None
) -> bool:
    """Store one status report; True when it matched a message we sent."""
    status = status.lower()[:32]
    with transaction(db) as session:
        session.add(
            ProviderStatusEvent(
                channel=channel,
                provider_message_id=provider_message_id[:128],
                status=status,
                error_code=(error_code or None) and str(error_code)[:32],
            )
        )
        row = session.exec(
            select(Outbox).where(
                Outbox.channel == channel, Outbox.provider_message_id == provider_message_id
            )
        ).first()
        if row is None:
            return False
        row.provider_status = status
        if status in FAILED:
            row.status = "failed"
            row.last_error = f"provider reported {status}" + (
                f" (error {error_code})" if error_code else ""
            )
        session.add(row)
        return True
