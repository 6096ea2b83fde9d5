"""A citizen's data export and erasure, done by staff from the inbox.

A citizen may ask a clerk rather than the bot (on the phone, at the counter, in the
chat with staff). The clerk acts on the contact of a conversation they may see:

* export – everything stored about the contact (`bot.privacy.export_contact`), for any
  login that may read the chat; one line in the conversation's audit log says who.
* erasure – at once, without the second review `PRIVACY_ERASURE_REVIEW` asks of
  requests made in the chat: the clerk is that person. Only for logins that work the
  chat's team (readers may not). The conversation goes, and with it its audit log, so
  the record that stays is the kept `privacy_erasure` row (who, when; no personal
  data), as for erasures asked for in the chat, plus one log line with the ids.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import Session

from actions.privacy import ErasureRequest
from bot.core.models import utcnow
from bot.inbox import Access, load_conversation, lock_conversation
from bot.privacy import erase_contact, export_contact
from bot.staff_tables import StaffAudit
from bot.teams import Teams

log = logging.getLogger(__name__)


def staff_export(
    session: Session, conversation_id: int, access: Access, teams: Teams
) -> dict[str, list[dict[str, Any]]]:
    """The export of the conversation's contact; audited on the conversation."""
    _, contact, handoff = load_conversation(session, conversation_id, access, teams)
    assert contact.id is not None
    session.add(
        StaffAudit(
            conversation_id=conversation_id,
            handoff_id=handoff.id if handoff else None,
            actor=access.user.username,
            action="export",
            detail={"contact_id": contact.id},
        )
    )
    return export_contact(session, contact.id)


def staff_erase(
    session: Session, conversation_id: int, access: Access, teams: Teams
) -> ErasureRequest:
    """Erase the conversation's contact now; returns the kept record of the erasure."""
    lock_conversation(session, conversation_id)  # not while the citizen's turn runs
    _, contact, _ = load_conversation(session, conversation_id, access, teams, act=True)
    assert contact.id is not None
    counts = erase_contact(session, contact.id)
    now = utcnow()
    record = ErasureRequest(
        contact_id=contact.id, status="done", approved_by=access.user.username,
        created_at=now, done_at=now,
    )
    session.add(record)
    session.flush()
    log.info(
        "staff %s erased contact %s (erasure %s): %s rows",
        access.user.username, contact.id, record.id, sum(counts.values()),
    )
    return record
