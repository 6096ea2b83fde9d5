"""What the engine stores of a turn, and the lock that keeps one conversation's turns apart.

`lock_turn` finds (or, for a new sender, creates) the contact and its conversation and
locks the conversation row (PostgreSQL `FOR UPDATE`; on SQLite `BEGIN IMMEDIATE` already
serialises writers), and finds an earlier delivery of the same provider message (dedupe).
`record_inbound` writes the citizen's transcript line, `save_turn` its events and the
contact's and the conversation's new state, `replies_to` reads back what an earlier
delivery answered.
Everything runs in the caller's transaction. These statements run for every message,
so they are hand-written and go straight to the driver (`bot.core.fastsql`); the turn
holds its contact and conversation as plain values (`TurnContact`, `TurnConversation`),
not ORM instances.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from bot.core.fastsql import Driver, Sql
from bot.core.messages import InboundMessage, Reply
from bot.core.models import Message, utcnow
from bot.core.outbox import MESSAGE_INSERT, MESSAGE_INSERT_TEXT, message_params

# Channels with WhatsApp's 24-hour rule; messages held outside it are released on contact.
WINDOW_CHANNELS = frozenset({"twilio", "whatsapp"})
RELEASE_HELD_WITHIN = timedelta(hours=72)


@dataclass(frozen=True)
class SentReply:
    """A reply as stored: its transcript id and content."""

    message_id: int
    reply: Reply


@dataclass
class TurnContact:
    """The sender's contact row as the turn reads and changes it."""

    id: int
    channel: str
    channel_user_id: str
    name: str | None
    language: str | None
    language_locked: bool
    last_inbound_at: datetime | None = None


@dataclass
class TurnConversation:
    """The sender's conversation row as the turn reads and changes it."""

    id: int
    mode: str
    state: dict[str, Any]
    message_count: int
    last_inbound_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Locked:
    """The sender's contact and conversation, locked for this turn."""

    contact: TurnContact
    conversation: TurnConversation
    earlier_id: int | None  # transcript id of an earlier delivery of the same message
    held: bool  # outbox rows wait for WhatsApp's window (as far as the lock query saw)

    @property
    def contact_id(self) -> int:
        return self.contact.id

    @property
    def conversation_id(self) -> int:
        return self.conversation.id


def lock_turn(sql: Driver, inbound: InboundMessage) -> Locked:
    """The sender's contact and conversation, locked so its turns never interleave, and
    the id of an earlier delivery of the same provider message, in one query. A first
    message creates contact and conversation, safe against concurrent firsts
    (INSERT … ON CONFLICT DO NOTHING, then read again under the lock)."""
    params = {
        "channel": inbound.channel,
        "sender": inbound.sender_id,
        "pmid": inbound.provider_message_id,
    }
    row = sql.execute(_LOCK, params).fetchone()
    if row is None:
        _create_contact(sql, inbound)
        row = sql.execute(_LOCK, params).fetchone()
    (cid, name, language, locked, vid, mode, state, count, earlier_id, held) = row
    if sql.postgres:
        # The lock query's snapshot predates a wait for the row lock: a redelivery, a
        # held message or the contact's changes by the turn we waited for, committed
        # meanwhile, are only seen by a new statement.
        name, language, locked, earlier_id = sql.execute(
            _RECHECK, {**params, "id": cid}
        ).fetchone()
        held = True  # release_held's UPDATE finds out
    contact = TurnContact(cid, inbound.channel, inbound.sender_id, name, language, bool(locked))
    conversation = TurnConversation(vid, mode, sql.read_json(state), count)
    return Locked(contact, conversation, earlier_id, bool(held))


def _create_contact(sql: Driver, inbound: InboundMessage) -> None:
    params = {"channel": inbound.channel, "sender": inbound.sender_id,
              "now": sql.time(utcnow()), "state": sql.json({})}
    if sql.postgres:  # one round trip for both
        sql.execute(_CREATE_CONTACT_POSTGRES, params)
        return
    sql.execute(_INSERT_CONTACT, params)
    sql.execute(_INSERT_CONVERSATION, params)


def replies_to(session: Session, incoming_id: int) -> list[SentReply]:
    """The replies stored for an inbound message (what a redelivery gets back)."""
    rows = session.exec(
        select(Message).where(Message.reply_to_id == incoming_id).order_by(Message.id)  # type: ignore[arg-type]
    ).all()
    return [SentReply(m.id, Reply(**m.data.get("reply", {}))) for m in rows]  # type: ignore[arg-type]


def record_inbound(
    sql: Driver, turn: Locked, inbound: InboundMessage, text: str, data: dict[str, Any]
) -> int:
    """Write the citizen's transcript line and count it on the locked rows; on WhatsApp
    channels release what was held for the 24-hour window. Returns the line's id."""
    now = utcnow()
    params = message_params(
        sql,
        conversation_id=turn.conversation_id,
        direction="in",
        channel=inbound.channel,
        provider_message_id=inbound.provider_message_id,
        text=text or None,
        payload=inbound.payload,
        data=data,
        author="citizen",
        created_at=now,
    )
    release = inbound.channel in WINDOW_CHANNELS and turn.held
    if release:
        params.update(contact_id=turn.contact_id, now=sql.time(now),
                      since=sql.time(now - RELEASE_HELD_WITHIN))
    if release and sql.postgres:  # one round trip for both
        incoming_id = sql.insert(_RECORD_RELEASING_HELD_POSTGRES, params)
    else:
        incoming_id = sql.insert(MESSAGE_INSERT, params)
        if release:
            sql.execute(_RELEASE_HELD, params)
    contact, conversation = turn.contact, turn.conversation
    contact.last_inbound_at = now
    conversation.last_inbound_at = conversation.updated_at = now
    conversation.message_count += 1
    if inbound.sender_name and not contact.name:
        contact.name = inbound.sender_name[:200]
    return incoming_id


def save_turn(sql: Driver, turn: Locked, incoming_id: int, data: dict[str, Any]) -> None:
    """Write the turn's results: the inbound line's data (its events), the locked
    contact's and the conversation's fields. One statement on PostgreSQL, where each
    is a round trip to the server; three UPDATEs on SQLite."""
    contact, conversation = turn.contact, turn.conversation
    params = {
        "message_id": incoming_id,
        "data": sql.json(data),
        "contact_id": contact.id,
        "contact_last_inbound_at": sql.time(contact.last_inbound_at),
        "name": contact.name,
        "language": contact.language,
        "language_locked": contact.language_locked,
        "conversation_id": conversation.id,
        "mode": conversation.mode,
        "state": sql.json(conversation.state),
        "message_count": conversation.message_count,
        "last_inbound_at": sql.time(conversation.last_inbound_at),
        "updated_at": sql.time(conversation.updated_at),
    }
    if sql.postgres:
        sql.execute(_SAVE_TURN_POSTGRES, params)
        return
    for statement in (_SET_MESSAGE_DATA, _UPDATE_CONTACT, _UPDATE_CONVERSATION):
        sql.execute(statement, params)


# On SQLite (BEGIN IMMEDIATE: nothing commits while we wait) dedupe and the held check
# ride along with the lock query; see `lock_turn` for PostgreSQL.
_EARLIER = (
    "SELECT id FROM message WHERE channel = :channel AND direction = 'in'"
    " AND provider_message_id = :pmid LIMIT 1"
)
_LOCK = Sql(
    "SELECT c.id, c.name, c.language, c.language_locked,"
    " v.id, v.mode, v.state, v.message_count,"
    f" ({_EARLIER}),"
    " EXISTS (SELECT 1 FROM outbox o WHERE o.contact_id = c.id AND o.status = 'held')"
    " FROM contact c JOIN conversation v ON v.contact_id = c.id"
    " WHERE c.channel = :channel AND c.channel_user_id = :sender",
    postgres_suffix="FOR UPDATE OF v",
)
_RECHECK = Sql(
    f"SELECT name, language, language_locked, ({_EARLIER})"
    " FROM contact WHERE id = :id"
)
_INSERT_CONTACT_TEXT = (
    "INSERT INTO contact (channel, channel_user_id, language_locked, created_at)"
    " VALUES (:channel, :sender, FALSE, :now) ON CONFLICT DO NOTHING"
)
_CONVERSATION_COLUMNS = (
    "INSERT INTO conversation (contact_id, mode, state, message_count, updated_at)"
)
_THE_CONTACT = "SELECT id FROM contact WHERE channel = :channel AND channel_user_id = :sender"
_INSERT_CONTACT = Sql(_INSERT_CONTACT_TEXT)
_INSERT_CONVERSATION = Sql(
    f"{_CONVERSATION_COLUMNS} SELECT id, 'bot', :state, 0, :now FROM contact"
    " WHERE channel = :channel AND channel_user_id = :sender ON CONFLICT DO NOTHING"
)
# The CTE's new contact is invisible to the rest of the statement, so the conversation
# takes its id from the INSERT's RETURNING, or from a contact that existed already.
_CREATE_CONTACT_POSTGRES = Sql(
    f"WITH c AS ({_INSERT_CONTACT_TEXT} RETURNING id) {_CONVERSATION_COLUMNS}"
    f" SELECT id, 'bot', :state, 0, :now FROM (SELECT id FROM c UNION ALL {_THE_CONTACT})"
    " AS k ON CONFLICT DO NOTHING"
)
_RELEASE_HELD_TEXT = (
    "UPDATE outbox SET status = 'pending', next_attempt_at = :now, last_error = NULL"
    " WHERE contact_id = :contact_id AND status = 'held' AND created_at >= :since"
)
_RELEASE_HELD = Sql(_RELEASE_HELD_TEXT)
_RECORD_RELEASING_HELD_POSTGRES = Sql(
    f"WITH released AS ({_RELEASE_HELD_TEXT}) {MESSAGE_INSERT_TEXT}", returning_id=True
)
_SET_MESSAGE_DATA_TEXT = "UPDATE message SET data = :data WHERE id = :message_id"
_UPDATE_CONTACT_TEXT = (
    "UPDATE contact SET last_inbound_at = :contact_last_inbound_at, name = :name,"
    " language = :language, language_locked = :language_locked WHERE id = :contact_id"
)
_UPDATE_CONVERSATION_TEXT = (
    "UPDATE conversation SET mode = :mode, state = :state, message_count = :message_count,"
    " last_inbound_at = :last_inbound_at, updated_at = :updated_at WHERE id = :conversation_id"
)
_SET_MESSAGE_DATA = Sql(_SET_MESSAGE_DATA_TEXT)
_UPDATE_CONTACT = Sql(_UPDATE_CONTACT_TEXT)
_UPDATE_CONVERSATION = Sql(_UPDATE_CONVERSATION_TEXT)
# PostgreSQL runs data-modifying CTEs of one statement together, each on its own row.
_SAVE_TURN_POSTGRES = Sql(
    f"WITH m AS ({_SET_MESSAGE_DATA_TEXT}), c AS ({_UPDATE_CONTACT_TEXT})"
    f" {_UPDATE_CONVERSATION_TEXT}"
)
