"""What the engine stores of a turn, and the lock that keeps one conversation's turns apart.

`lock_turn` finds (or, for a new sender, creates) the contact and its conversation and
locks the conversation row (PostgreSQL `FOR UPDATE`; on SQLite `BEGIN IMMEDIATE` already
serialises writers), and finds an earlier delivery of the same provider message (dedupe).
`record_inbound` writes the citizen's transcript line, `save_turn` the contact's and the
conversation's new state, `replies_to` reads back what an earlier delivery answered.
Everything runs in the caller's transaction, with prebuilt Core statements where the
turn is hot; the engine's pipeline (`bot.engine`) only calls these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from bot.core.db import insert_ignore
from bot.core.messages import InboundMessage, Reply
from bot.core.models import Contact, Conversation, Message, Outbox, utcnow
from bot.core.outbox import insert_message

# Channels with WhatsApp's 24-hour rule; messages held outside it are released on contact.
WINDOW_CHANNELS = frozenset({"twilio", "whatsapp"})
RELEASE_HELD_WITHIN = timedelta(hours=72)


@dataclass(frozen=True)
class SentReply:
    """A reply as stored: its transcript id and content."""

    message_id: int
    reply: Reply


@dataclass(frozen=True)
class Locked:
    """The sender's contact and conversation, locked for this turn."""

    contact: Contact
    conversation: Conversation
    earlier_id: int | None  # transcript id of an earlier delivery of the same message

    @property
    def contact_id(self) -> int:
        assert self.contact.id is not None
        return self.contact.id

    @property
    def conversation_id(self) -> int:
        assert self.conversation.id is not None
        return self.conversation.id


def lock_turn(session: Session, inbound: InboundMessage) -> Locked:
    """The sender's contact and conversation, the conversation row locked so its turns
    never interleave, and the id of an earlier delivery of the same provider message,
    in one query. A first message creates contact and conversation, safe against
    concurrent firsts (INSERT … ON CONFLICT DO NOTHING, then read again under the lock).
    """
    params = {
        "channel": inbound.channel,
        "sender": inbound.sender_id,
        "pmid": inbound.provider_message_id,
    }
    found = session.exec(_LOCK_CONTACT, params=params).first()  # type: ignore[call-overload]
    if found is None:
        _create_contact(session, inbound)
        found = session.exec(_LOCK_CONTACT, params=params).one()  # type: ignore[call-overload]
    contact, conversation, earlier_id = found
    if inbound.provider_message_id and session.get_bind().dialect.name != "sqlite":
        # PostgreSQL: the lock query's snapshot predates a wait for the row lock,
        # so a redelivery committed meanwhile is only seen by a new statement.
        earlier_id = session.exec(  # type: ignore[call-overload]
            _EARLIER_DELIVERY_ROW,
            params={"channel": inbound.channel, "pmid": inbound.provider_message_id},
        ).first()
    return Locked(contact, conversation, earlier_id)


def _create_contact(session: Session, inbound: InboundMessage) -> None:
    insert_ignore(
        session,
        Contact,
        {
            "channel": inbound.channel,
            "channel_user_id": inbound.sender_id,
            "language_locked": False,
            "created_at": utcnow(),
        },
    )
    contact_id = session.exec(
        select(Contact.id).where(
            Contact.channel == inbound.channel, Contact.channel_user_id == inbound.sender_id
        )
    ).one()
    insert_ignore(
        session,
        Conversation,
        {
            "contact_id": contact_id,
            "mode": "bot",
            "state": {},
            "message_count": 0,
            "updated_at": utcnow(),
        },
    )


def replies_to(session: Session, incoming_id: int) -> list[SentReply]:
    """The replies stored for an inbound message (what a redelivery gets back)."""
    rows = session.exec(
        select(Message).where(Message.reply_to_id == incoming_id).order_by(Message.id)  # type: ignore[arg-type]
    ).all()
    return [SentReply(m.id, Reply(**m.data.get("reply", {}))) for m in rows]  # type: ignore[arg-type]


def record_inbound(
    session: Session, turn: Locked, inbound: InboundMessage, text: str, data: dict[str, Any]
) -> int:
    """Write the citizen's transcript line and count it on the locked rows; on WhatsApp
    channels release what was held for the 24-hour window. Returns the line's id."""
    incoming_id = insert_message(
        session,
        conversation_id=turn.conversation_id,
        direction="in",
        channel=inbound.channel,
        provider_message_id=inbound.provider_message_id,
        text=text or None,
        payload=inbound.payload,
        data=data,
        author="citizen",
    )
    now = utcnow()
    if inbound.channel in WINDOW_CHANNELS:
        _release_held(session, turn.contact_id, now)
    contact, conversation = turn.contact, turn.conversation
    set_fields(contact, last_inbound_at=now)
    set_fields(
        conversation,
        last_inbound_at=now,
        updated_at=now,
        message_count=conversation.message_count + 1,
    )
    if inbound.sender_name and not contact.name:
        set_fields(contact, name=inbound.sender_name[:200])
    return incoming_id


def set_message_data(session: Session, message_id: int, data: dict[str, Any]) -> None:
    """Replace a transcript line's data (the inbound line gets the turn's events)."""
    session.execute(_SET_MESSAGE_DATA, {"b_id": message_id, "data": data})


def set_fields(row: Contact | Conversation, **values: Any) -> None:
    """Change attributes of the locked contact or conversation without making the ORM
    track them: `save_turn` writes them with one Core UPDATE per row."""
    for name, value in values.items():
        set_committed_value(row, name, value)


def save_turn(session: Session, turn: Locked) -> None:
    """Write the locked contact's and conversation's turn fields (one UPDATE each)."""
    contact, conversation = turn.contact, turn.conversation
    session.execute(
        _UPDATE_CONTACT,
        {"b_id": contact.id, **{name: getattr(contact, name) for name in _CONTACT_TURN_FIELDS}},
    )
    session.execute(
        _UPDATE_CONVERSATION,
        {
            "b_id": conversation.id,
            **{name: getattr(conversation, name) for name in _CONVERSATION_TURN_FIELDS},
        },
    )


def _release_held(session: Session, contact_id: int, now: datetime) -> None:
    """The citizen wrote, so WhatsApp's 24-hour window is open again: send what was held.

    Only rows held for up to RELEASE_HELD_WITHIN; older ones (a reminder for a boat
    trip long past) stay held and visible to staff rather than arriving out of context.
    """
    session.execute(
        _RELEASE_HELD,
        {"b_contact_id": contact_id, "since": now - RELEASE_HELD_WITHIN, "now": now},
    )


# Built once: statement construction costs more than the cached execution.
_MESSAGE_T = Message.__table__  # type: ignore[attr-defined]
_SET_MESSAGE_DATA = (
    update(_MESSAGE_T).where(_MESSAGE_T.c.id == bindparam("b_id")).values(data=bindparam("data"))
)
_EARLIER_DELIVERY_ROW = (
    select(Message.id)
    .where(
        Message.channel == bindparam("channel"),
        Message.direction == "in",
        Message.provider_message_id == bindparam("pmid"),
    )
    .limit(1)
)
# On SQLite (BEGIN IMMEDIATE: nothing commits while we wait) dedupe rides along with
# the lock query; see `lock_turn` for PostgreSQL.
_EARLIER_DELIVERY = _EARLIER_DELIVERY_ROW.scalar_subquery()
_LOCK_CONTACT = (
    select(Contact, Conversation, _EARLIER_DELIVERY)
    .join(Conversation, Conversation.contact_id == Contact.id)  # type: ignore[arg-type]
    .where(Contact.channel == bindparam("channel"), Contact.channel_user_id == bindparam("sender"))
    .with_for_update(of=Conversation)  # type: ignore[arg-type]
    .execution_options(populate_existing=True)
)
_OUTBOX_T = Outbox.__table__  # type: ignore[attr-defined]
_RELEASE_HELD = (
    update(_OUTBOX_T)
    .where(
        _OUTBOX_T.c.contact_id == bindparam("b_contact_id"),
        _OUTBOX_T.c.status == "held",
        _OUTBOX_T.c.created_at >= bindparam("since"),
    )
    .values(status="pending", next_attempt_at=bindparam("now"), last_error=None)
)

_CONTACT_T = Contact.__table__  # type: ignore[attr-defined]
_CONVERSATION_T = Conversation.__table__  # type: ignore[attr-defined]
_CONTACT_TURN_FIELDS = (
    "last_inbound_at",
    "name",
    "language",
    "language_locked",
)
_CONVERSATION_TURN_FIELDS = ("mode", "state", "message_count", "last_inbound_at", "updated_at")
_UPDATE_CONTACT = (
    update(_CONTACT_T)
    .where(_CONTACT_T.c.id == bindparam("b_id"))
    .values({name: bindparam(name) for name in _CONTACT_TURN_FIELDS})
)
_UPDATE_CONVERSATION = (
    update(_CONVERSATION_T)
    .where(_CONVERSATION_T.c.id == bindparam("b_id"))
    .values({name: bindparam(name) for name in _CONVERSATION_TURN_FIELDS})
)
