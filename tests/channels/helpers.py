"""Small helpers shared by the channel tests."""

from __future__ import annotations

import time
from datetime import datetime

from sqlmodel import Session, select

from bot.core.db import transaction
from bot.core.messages import Reply
from bot.core.models import Contact, Message, Outbox
from bot.core.outbox import enqueue
from tests.channels.conftest import Stack


def wait_rows(stack: Stack, status: str, count: int, timeout: float = 10.0) -> list[Outbox]:
    """Outbox rows in `status`, once there are `count` of them (or at the time-out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = [r for r in stack.rows() if r.status == status]
        if len(rows) >= count:
            return rows
        time.sleep(0.02)
    return [r for r in stack.rows() if r.status == status]


def queue(
    stack: Stack,
    channel: str,
    user_id: str,
    replies: list[Reply],
    *,
    kind: str = "staff",
    last_inbound_at: datetime | None = None,
) -> None:
    """Messages the city sends on its own (reminders, staff answers) enter the outbox."""
    with transaction(stack.engine.db) as session:
        contact = session.exec(
            select(Contact).where(Contact.channel == channel, Contact.channel_user_id == user_id)
        ).first() or Contact(channel=channel, channel_user_id=user_id)
        contact.last_inbound_at = last_inbound_at or contact.last_inbound_at
        session.add(contact)
        session.flush()
        for reply in replies:
            enqueue(session, contact, reply, kind=kind)
    stack.dispatcher.wake()


def inbound_messages(stack: Stack) -> list[Message]:
    with Session(stack.engine.db) as session:
        return list(
            session.exec(select(Message).where(Message.direction == "in").order_by(Message.id))
        )
