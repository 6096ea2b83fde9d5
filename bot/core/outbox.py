"""Writing outbound messages: transcript line and outbox row in the caller's transaction.

Everything that speaks to a citizen goes through `enqueue`: the engine's replies, staff
answers (`bot.inbox`), case status notices and boat reminders (`actions.notify`). So a
message exists exactly when the state change that caused it was committed; the
dispatcher sends it later.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session, select

from bot.core.fastsql import Driver, Sql
from bot.core.messages import Reply
from bot.core.models import Conversation, utcnow

# Channels whose messages are fetched by the client (the web page) instead of pushed.
PULL_CHANNELS = frozenset({"web", "terminal"})


class Addressee(Protocol):
    """Whom a message goes to: a contact (its table model or the engine's turn value)."""

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
    otherwise it is looked up, and created on first use. Both rows are written straight
    through the driver (`bot.core.fastsql`), so the contact must already be stored.
    """
    assert contact.id is not None, "enqueue needs a stored contact"
    if conversation_id is None:
        conversation_id = _conversation_id(session, contact.id)
    sql = Driver(session)
    body = reply.model_dump(exclude_none=True)
    now = utcnow()
    pulled = contact.channel in PULL_CHANNELS
    stamp = sql.time(now)
    params = {
        **message_params(
            sql, conversation_id=conversation_id, direction="out", channel=contact.channel,
            text=reply.text, data={"reply": body, "kind": kind}, reply_to_id=reply_to_id,
            author=author, created_at=now,
        ),
        "contact_id": contact.id, "recipient": contact.channel_user_id,
        "body": sql.json({**body, "kind": kind}), "status": "sent" if pulled else "pending",
        "now": stamp, "sent_at": stamp if pulled else None,
    }
    if sql.postgres:  # both rows in one statement: one round trip to the server
        return sql.insert(_REPLY_INSERT_POSTGRES, params)
    params["message_id"] = sql.insert(MESSAGE_INSERT, params)
    sql.execute(_OUTBOX_INSERT, params)
    return int(params["message_id"])


def message_params(
    sql: Driver,
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
) -> dict[str, Any]:
    """The parameters of `MESSAGE_INSERT` (and of statements built on its text)."""
    return {
        "conversation_id": conversation_id, "direction": direction, "channel": channel,
        "provider_message_id": provider_message_id, "text": text, "payload": payload,
        "data": sql.json(data), "reply_to_id": reply_to_id, "author": author,
        "created_at": sql.time(created_at or utcnow()),
    }


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


MESSAGE_INSERT_TEXT = (
    "INSERT INTO message (conversation_id, direction, channel, provider_message_id, text,"
    " payload, data, reply_to_id, author, created_at) VALUES (:conversation_id, :direction,"
    " :channel, :provider_message_id, :text, :payload, :data, :reply_to_id, :author,"
    " :created_at)"
)
MESSAGE_INSERT = Sql(MESSAGE_INSERT_TEXT, returning_id=True)
_OUTBOX_COLUMNS = (
    "INSERT INTO outbox (message_id, contact_id, channel, recipient, body, status, attempts,"
    " next_attempt_at, created_at, sent_at)"
)
_OUTBOX_INSERT = Sql(
    f"{_OUTBOX_COLUMNS} VALUES (:message_id, :contact_id, :channel, :recipient, :body,"
    " :status, 0, :now, :now, :sent_at)"
)
_REPLY_INSERT_POSTGRES = Sql(
    f"WITH m AS ({MESSAGE_INSERT_TEXT} RETURNING id) {_OUTBOX_COLUMNS}"
    " SELECT m.id, :contact_id, :channel, :recipient, :body, :status, 0, :now, :now,"
    " :sent_at FROM m RETURNING message_id"
)
