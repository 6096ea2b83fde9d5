"""Reading the transcript back: for the web page's history, its WebSocket and staff."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from bot.core.models import Contact, Conversation, Message

WEB_CHANNEL = "web"


def web_conversation_id(session: Session, session_id: str) -> int | None:
    """The conversation behind a web chat session id, or None for an unknown id."""
    return session.exec(
        select(Conversation.id)
        .join(Contact, Contact.id == Conversation.contact_id)  # type: ignore[arg-type]
        .where(Contact.channel == WEB_CHANNEL, Contact.channel_user_id == session_id)
    ).first()


def messages_after(
    session: Session,
    conversation_id: int,
    after_id: int = 0,
    *,
    direction: str | None = None,
    limit: int = 500,
) -> list[Message]:
    """Transcript lines of one conversation newer than `after_id`, oldest first."""
    query = select(Message).where(Message.conversation_id == conversation_id, Message.id > after_id)
    if direction:
        query = query.where(Message.direction == direction)
    return list(session.exec(query.order_by(Message.id).limit(limit)).all())  # type: ignore[arg-type]


def last_message_id(session: Session, conversation_id: int) -> int:
    """The newest transcript id of a conversation (0 when empty)."""
    return session.exec(
        select(func.coalesce(func.max(Message.id), 0)).where(
            Message.conversation_id == conversation_id
        )
    ).one()


def message_view(message: Message) -> dict[str, Any]:
    """A transcript line as the web page shows it."""
    reply = message.data.get("reply", {}) if message.direction == "out" else {}
    view: dict[str, Any] = {
        "id": message.id,
        "direction": message.direction,
        "author": message.author,
        "text": message.text or "",
        "buttons": reply.get("buttons", []),
        "created_at": message.created_at.isoformat(),
    }
    if reply.get("image_url"):
        view["image_url"] = reply["image_url"]
    if message.direction == "in" and message.data.get("location"):
        view["location"] = message.data["location"]
    return view
