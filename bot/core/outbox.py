"""Writing outbound messages: transcript line and outbox row in the caller's transaction.

Everything that speaks to a citizen (a bot reply, a staff answer, a reminder, a case
status change, a broadcast) goes through `enqueue`, so a message exists exactly when
the state change that caused it was committed. The dispatcher sends it later.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, select

from bot.core.messages import Reply
from bot.core.models import Contact, Conversation, Message, Outbox, utcnow

# Channels whose messages are fetched by the client (the web page) instead of pushed.
PULL_CHANNELS = frozenset({"web", "terminal"})


def conversation_for(session: Session, contact: Contact) -> Conversation:
    """The contact's conversation, created on first use."""
    conversation = session.exec(
        select(Conversation).where(Conversation.contact_id == contact.id)
    ).first()
    if conversation is None:
        conversation = Conversation(contact_id=contact.id)  # type: ignore[arg-type]
        session.add(conversation)
        session.flush()
    return conversation


def enqueue(
    session: Session,
    contact: Contact,
    reply: Reply,
    *,
    author: str = "bot",
    reply_to_id: int | None = None,
    kind: str = "reply",
    conversation: Conversation | None = None,
    flush: bool = True,
) -> Outbox:
    """Record `reply` in the transcript and queue it for the contact's channel.

    `kind` says why it is sent ("reply", "reminder", "status", "broadcast", "staff");
    the WhatsApp adapter uses it to pick a template outside the 24-hour window.
    On pull channels (web, terminal) the transcript is the mailbox, so the row is
    marked sent at once and the page or WebSocket picks it up from there.
    `conversation`: the contact's conversation when the caller already has it;
    `flush=False` leaves the outbox row to the next flush (its `id` is unset until then).
    """
    if conversation is None:
        conversation = conversation_for(session, contact)
    body = reply.model_dump(exclude_none=True)
    message = Message(
        conversation_id=conversation.id,  # type: ignore[arg-type]
        direction="out",
        channel=contact.channel,
        text=reply.text,
        data={"reply": body, "kind": kind},
        reply_to_id=reply_to_id,
        author=author,
    )
    session.add(message)
    session.flush()
    pulled = contact.channel in PULL_CHANNELS
    row = Outbox(
        message_id=message.id,  # type: ignore[arg-type]
        contact_id=contact.id,  # type: ignore[arg-type]
        channel=contact.channel,
        recipient=contact.channel_user_id,
        body={**body, "kind": kind},
        status="sent" if pulled else "pending",
        sent_at=message.created_at if pulled else None,
    )
    session.add(row)
    if flush:
        session.flush()
    return row


# Built once; plain Core inserts skip the ORM's unit-of-work bookkeeping (the hot path).
_MESSAGE_INSERT = insert(Message.__table__)  # type: ignore[attr-defined]
_OUTBOX_INSERT = insert(Outbox.__table__)  # type: ignore[attr-defined]


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


def enqueue_core(
    session: Session,
    *,
    contact_id: int,
    conversation_id: int,
    channel: str,
    recipient: str,
    reply: Reply,
    author: str = "bot",
    reply_to_id: int | None = None,
    kind: str = "reply",
) -> int:
    """`enqueue` for callers that hold the ids: the same rows, written with plain Core
    inserts (no ORM instances). Returns the transcript message's id."""
    body = reply.model_dump(exclude_none=True)
    now = utcnow()
    message_id = insert_message(
        session, conversation_id=conversation_id, direction="out", channel=channel,
        text=reply.text, data={"reply": body, "kind": kind}, reply_to_id=reply_to_id,
        author=author, created_at=now,
    )
    pulled = channel in PULL_CHANNELS
    session.execute(
        _OUTBOX_INSERT,
        {
            "message_id": message_id, "contact_id": contact_id, "channel": channel,
            "recipient": recipient, "body": {**body, "kind": kind},
            "status": "sent" if pulled else "pending", "attempts": 0,
            "next_attempt_at": now, "last_error": None, "provider_message_id": None,
            "provider_status": None, "created_at": now, "sent_at": now if pulled else None,
        },
    )
    return message_id
