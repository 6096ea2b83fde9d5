"""Carrying out confirmed erasure requests, in the worker's scheduler.

An erasure waits until the citizen has received the bot's confirmation (nothing of the
contact is left in the outbox to send), so the last message still reaches them and its
outbox row, which holds their number, goes with everything else. A request under staff
review (`PRIVACY_ERASURE_REVIEW=true`) waits for approval in the staff API.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import exists
from sqlmodel import Session, select

from actions.privacy import ErasureRequest
from bot.core.models import Outbox
from bot.core.settings import Settings
from bot.privacy import erase_contact

BATCH = 20
# A confirmation that could not be delivered within this time does not hold up erasure.
WAIT_FOR_DELIVERY = timedelta(hours=1)


def carry_out_erasures(session: Session, now: datetime, settings: Settings) -> int:
    """Erase the contacts of pending requests whose confirmation went out; returns how
    many. Rows are locked with SKIP LOCKED, so several workers share the requests."""
    requests = session.exec(
        select(ErasureRequest)
        .where(ErasureRequest.status == "pending")
        .order_by(ErasureRequest.id)  # type: ignore[arg-type]
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    done = 0
    for request in requests:
        unsent = session.exec(
            select(
                exists().where(
                    Outbox.contact_id == request.contact_id,  # type: ignore[arg-type]
                    Outbox.status.in_(("pending", "sending")),  # type: ignore[attr-defined]
                )
            )
        ).one()
        asked = request.created_at
        asked = asked if asked.tzinfo else asked.replace(tzinfo=UTC)  # SQLite: naive UTC
        if unsent and now - asked < WAIT_FOR_DELIVERY:
            continue
        erase_contact(session, request.contact_id)
        request.status = "done"
        request.done_at = now
        done += 1
    return done
