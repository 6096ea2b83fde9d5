"""Writing outbound messages: transcript line and outbox row in the caller's transaction.

Everything that speaks to a citizen goes through `enqueue`: the engine's replies, staff
answers (`bot.inbox`), case status notices and boat reminders (`actions.notify`). So a
message exists exactly when the state change that caused it was committed; the
dispatcher sends it later.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import insert
from sqlmodel import Session, select

from bot.core.messages import Reply
from bot.core.models import Conversation, Message, Outbox, utcnow

# Channels whose messages are fetched by the client (the web page) instead of pushed.
PULL_CHANNELS = frozenset({"web", "terminal"})


class Addressee(Protocol):
    """Whom a message goes to: a contact (its table model or a row of its columns)."""

    @property
    def id(self) -> int | None: ...

    @property
    def channel(self) -> str: ...

    @property
    def channel_user_id(self) -> str: ...


def enqueue(
    session: Session,
    contact: Addressee,
    reply: Reply,
    *,
    author: str = "bot",
    reply_to_id: int | None = None,
    kind: str = "reply",
    conversation_id: int | None = None,
) -> int:
    """Record `reply` in the transcript and queue it for the contact's channel; returns
    the transcript message's id.

    `kind` says why it is sent ("reply", "reminder", "status", "broadcast", "staff");
    the WhatsApp adapter uses it to pick a template outside the 24-hour window.
    On pull channels (web, terminal) the transcript is the mailbox, so the row is
    marked sent at once and the page or WebSocket picks it up from there.
    `conversation_id`: the contact's conversation when the caller holds it (the engine);
    otherwise it is looked up, and created on first use. Both rows are plain Core
    inserts (no ORM instances), so the contact must already be in the database.
    """
    assert contact.id is not None, "enqueue needs a stored contact"
    if conversation_id is None:
        conversation_id = _conversation_id(session, contact.id)
    body = reply.model_dump(exclude_none=True)
    now = utcnow()
    message_id = insert_message(
        session, conversation_id=conversation_id, direction="out", channel=contact.channel,
        text=reply.text, data={"reply": body, "kind": kind}, reply_to_id=reply_to_id,
        author=author, created_at=now,
    )
    pulled = contact.channel in PULL_CHANNELS
    session.execute(
        _OUTBOX_INSERT,
        {
            "message_id": message_id, "contact_id": contact.id, "channel": contact.channel,
            "recipient": contact.channel_user_id, "body": {**body, "kind": kind},
            "status": "sent" if pulled else "pending", "attempts": 0,
            "next_attempt_at": now, "last_error": None, "provider_message_id": None,
            "provider_status": None, "created_at": now, "sent_at": now if pulled else None,
        },
    )
    return message_id


def insert_message(
    session: Session,
    *,
    conversation_id: int,
    direction: str,
    channel: str,
    data: dict[str, Any],
    text: str | None = None,
    payload: str | None = None,
    provider_message_id: str | None = None,
    reply_to_id: int | None = None,
    author: str = "bot",
    created_at: datetime | None = None,
) -> int:
    """Insert one transcript line with a Core statement; returns its id."""
    result = session.execute(
        _MESSAGE_INSERT,
        {
            "conversation_id": conversation_id, "direction": direction, "channel": channel,
            "provider_message_id": provider_message_id, "text": text, "payload": payload,
            "data": data, "reply_to_id": reply_to_id, "author": author,
            "created_at": created_at or utcnow(),
        },
    )
    return int(result.inserted_primary_key[0])


def _conversation_id(session: Session, contact_id: int) -> int:
    """The contact's conversation, created on first use (through the ORM, so a pending
    contact is flushed first)."""
    found = session.exec(
        select(Conversation.id).where(Conversation.contact_id == contact_id)
    ).first()
    if found is not None:
        return found
    conversation = Conversation(contact_id=contact_id)
    session.add(conversation)
    session.flush()
    assert conversation.id is not None
    return conversation.id


# Built once; plain Core inserts skip the ORM's unit-of-work bookkeeping (the hot path).
_MESSAGE_INSERT = insert(Message.__table__)  # type: ignore[attr-defined]
_OUTBOX_INSERT = insert(Outbox.__table__)  # type: ignore[attr-defined]
