"""Reading the transcript back: for the web page's history, its WebSocket and staff."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.core.fastsql import Sql
from bot.core.models import Contact, Conversation, Message

WEB_CHANNEL = "web"
_WEB_SESSION = Sql(
    "SELECT 1 FROM contact c JOIN conversation v ON v.contact_id = c.id"
    " WHERE c.channel = :channel AND c.channel_user_id = :session_id"
)


def web_session_known(db: Engine, session_id: str) -> bool:
    """Whether a web chat session id has a conversation: `web_conversation_id`'s
    question for the chat's every message, asked on a pooled driver connection.

    No Session and no transaction of ours: on SQLite every transaction is a writer's
    (`BEGIN IMMEDIATE` and the process's write lock, `bot.core.db`), which this one read
    does not need; the statement alone reads committed rows (sqlite3 in autocommit; on
    PostgreSQL the pool rolls the connection back on return). It was a third of the
    CPU of a returning sender's request (BENCHMARKS.md, issue 16)."""
    raw = db.raw_connection()
    try:
        cursor = raw.cursor()
        sql = _WEB_SESSION.postgresql if db.dialect.name == "postgresql" else _WEB_SESSION.sqlite
        cursor.execute(sql, {"channel": WEB_CHANNEL, "session_id": session_id})
        return cursor.fetchone() is not None
    finally:
        raw.close()


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
