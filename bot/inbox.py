"""The staff side of a conversation: list, read, answer, hand back to the bot.

A staff answer goes through the outbox like every other message, so it reaches the
citizen on their channel (pushed over the web chat's WebSocket, sent by the
dispatcher elsewhere) and is part of the transcript.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.core.messages import Reply
from bot.core.models import Contact, Conversation, Message, utcnow
from bot.core.outbox import enqueue
from bot.handoff import active_handoff, end_handoff
from bot.transcript import messages_after


@dataclass(frozen=True)
class ConversationSummary:
    id: int
    channel: str
    name: str | None
    mode: str
    message_count: int
    last_inbound_at: datetime | None


class NotFound(LookupError):
    """No conversation with that id."""


def list_conversations(
    session: Session, mode: str | None = None, limit: int = 100
) -> list[ConversationSummary]:
    """Conversations, those waiting for staff first, then the most recently active."""
    query = select(Conversation, Contact).join(Contact, Contact.id == Conversation.contact_id)  # type: ignore[arg-type]
    if mode:
        query = query.where(Conversation.mode == mode)
    query = query.order_by(
        (Conversation.mode == "human").desc(),
        Conversation.updated_at.desc(),  # type: ignore[attr-defined]
    ).limit(limit)
    return [
        ConversationSummary(
            conv.id,
            contact.channel,
            contact.name,
            conv.mode,
            conv.message_count,
            conv.last_inbound_at,
        )  # type: ignore[arg-type]
        for conv, contact in session.exec(query).all()
    ]


def transcript(
    session: Session, conversation_id: int
) -> tuple[Conversation, Contact, list[Message]]:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound(conversation_id)
    contact = session.get(Contact, conversation.contact_id)
    assert contact is not None
    return conversation, contact, messages_after(session, conversation_id)


def staff_reply(session: Session, conversation_id: int, text: str, author: str) -> Message:
    """Answer the citizen as `author`; the conversation stays with staff."""
    conversation, contact, _ = transcript(session, conversation_id)
    conversation.mode = "human"
    conversation.updated_at = utcnow()
    row = enqueue(session, contact, Reply(text=text), author=author, kind="staff")
    message = session.get(Message, row.message_id)
    assert message is not None
    return message


def release(session: Session, conversation_id: int, actor: str = "staff") -> None:
    """Hand the conversation back to the bot."""
    conversation, _, _ = transcript(session, conversation_id)
    handoff = active_handoff(session, conversation_id)
    if handoff is not None:
        end_handoff(session, handoff, actor, "released")
    conversation.mode = "bot"
    conversation.state = {}
    conversation.updated_at = utcnow()
