"""The one entry point for every inbound message, whatever the channel.

`Engine.handle` dedupes by provider message id, serialises the messages of one
conversation (a row lock on PostgreSQL, BEGIN IMMEDIATE on SQLite), asks the NLU,
runs the dialogue, and commits the new state together with the transcript and the
outbox rows of the replies. If anything fails, nothing of the turn is stored and the
provider's retry is processed as if it were the first delivery.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine as DbEngine
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from actions.registry import ActionContext, run_action
from bot.channels.payloads import choice_in
from bot.core.db import transaction
from bot.core.fallbacks import record_fallback
from bot.core.messages import InboundMessage, Reply
from bot.core.models import Contact, Conversation, Message, Outbox, utcnow
from bot.core.outbox import enqueue_core, insert_message
from bot.core.settings import Settings
from bot.handoff import HUMAN, citizen_turn, escalate
from bot.language import reply_language
from bot.ratings import rating_turn
from bot.teams import Teams, get_teams
from flows.dialogue import Dialogue
from flows.events import (
    ConsentChanged,
    Event,
    FallbackRecorded,
    HandoffRequested,
    LanguageChanged,
    ReplySent,
)
from flows.turn import Turn

log = logging.getLogger(__name__)

# Channels with WhatsApp's 24-hour rule; messages held outside it are released on contact.
WINDOW_CHANNELS = frozenset({"twilio", "whatsapp"})
RELEASE_HELD_WITHIN = timedelta(hours=72)

Understand = Callable[[str, str | None, datetime], dict[str, Any]]


@dataclass(frozen=True)
class SentReply:
    """A reply as stored: its transcript id and content."""

    message_id: int
    reply: Reply


@dataclass(frozen=True)
class Handled:
    """What became of one inbound message."""

    contact_id: int
    conversation_id: int
    replies: list[SentReply]
    duplicate: bool = False


class EngineServices:
    """The dialogue's window on the backend: actions run in the turn's transaction."""

    def __init__(self, ctx: ActionContext) -> None:
        self.ctx = ctx

    def run_action(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        return run_action(name, self.ctx, params)


class Engine:
    """Channel-agnostic conversation engine; one instance per process is enough."""

    def __init__(
        self,
        db: DbEngine,
        settings: Settings,
        understand: Understand,
        dialogue: Dialogue,
        teams: Teams | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.understand = understand
        self.dialogue = dialogue
        self.teams = teams or get_teams(settings.teams_file)

    def handle(self, inbound: InboundMessage, *, resolve_choices: bool = False) -> Handled:
        """Process one inbound message exactly once and return the replies it produced.

        One transaction per message: find (or, for a new sender, create) the contact and
        lock its conversation, dedupe, parse, run the dialogue, write state, transcript
        and outbox rows, commit. `resolve_choices` maps a typed answer ("2", a button's
        title) to the payload of the buttons last shown (channels that render buttons
        as a numbered list), read under the same lock.
        """
        text = (inbound.text or "").strip()[: self.settings.max_message_chars]
        now_local = (inbound.received_at or utcnow()).astimezone(self.settings.tz)

        with transaction(self.db) as session:
            contact, conversation, earlier_id = self._lock_contact(session, inbound)
            contact_id, conversation_id = contact.id, conversation.id
            assert contact_id is not None and conversation_id is not None
            if inbound.provider_message_id and session.get_bind().dialect.name != "sqlite":
                # PostgreSQL: the lock query's snapshot predates a wait for the row lock,
                # so a redelivery committed meanwhile is only seen by a new statement.
                earlier_id = session.exec(  # type: ignore[call-overload]
                    _EARLIER_DELIVERY_ROW,
                    params={"channel": inbound.channel, "pmid": inbound.provider_message_id},
                ).first()
            if inbound.provider_message_id and earlier_id is not None:
                return Handled(
                    contact_id, conversation_id, self._replies_to(session, earlier_id), True
                )
            if resolve_choices and inbound.text and not inbound.payload:
                choice = choice_in(session, conversation_id, inbound.text)
                if choice is not None:
                    inbound = inbound.model_copy(update={"payload": choice.payload})
            parse = self._parse(text, contact.language, now_local)

            incoming_data = self._inbound_data(inbound, parse)
            incoming_id = insert_message(
                session,
                conversation_id=conversation_id,
                direction="in",
                channel=inbound.channel,
                provider_message_id=inbound.provider_message_id,
                text=text or None,
                payload=inbound.payload,
                data=incoming_data,
                author="citizen",
            )
            now = utcnow()
            if inbound.channel in WINDOW_CHANNELS:
                _release_held(session, contact_id, now)
            _set(contact, last_inbound_at=now)
            _set(
                conversation,
                last_inbound_at=now,
                updated_at=now,
                message_count=conversation.message_count + 1,
            )
            if inbound.sender_name and not contact.name:
                _set(contact, name=inbound.sender_name[:200])
            lang = reply_language(
                contact, parse, inbound.language_hint, self.settings.default_language
            )
            if conversation.mode != "bot":
                # With staff (silent unless "zurück zum Bot") or rating the chat.
                side = (citizen_turn if conversation.mode == HUMAN else rating_turn)(
                    session, self.teams, conversation_id=conversation_id,
                    mode=conversation.mode, text=text, payload=inbound.payload, lang=lang,
                )
                _set(conversation, mode=side.mode)
                if not side.to_bot:
                    return Handled(contact_id, conversation_id, self._apply(
                        session, contact, conversation, incoming_id, incoming_data,
                        side.events, dict(conversation.state), now_local,
                    ))
            turn = Turn(
                text=text,
                payload=inbound.payload,
                parse=parse,
                language=lang,
                now=now_local,
                channel=inbound.channel,
                location=inbound.location,
                media=inbound.media,
            )
            ctx = ActionContext(
                session, contact_id, inbound.channel, lang, now_local, self.settings
            )
            state, events = self.dialogue.respond(
                dict(conversation.state), turn, EngineServices(ctx)
            )
            replies = self._apply(
                session, contact, conversation, incoming_id, incoming_data, events, state,
                now_local,
            )
            return Handled(contact_id, conversation_id, replies)

    def _parse(self, text: str, language: str | None, now: datetime) -> dict[str, Any]:
        if not text:
            return {
                "text": "",
                "intent": {"name": "out_of_scope", "confidence": 0.0},
                "intent_ranking": [],
                "entities": [],
                "language": language,
                "language_confidence": 0.0,
            }
        return self.understand(text, language, now)

    def _apply(
        self,
        session: Session,
        contact: Contact,
        conversation: Conversation,
        incoming_id: int,
        incoming_data: dict[str, Any],
        events: list[Event],
        state: dict[str, Any],
        now_local: datetime,
    ) -> list[SentReply]:
        """Carry out the dialogue's events inside the turn's transaction.

        Transcript, outbox, contact and conversation rows are written with plain Core
        statements (no ORM unit-of-work bookkeeping); anything an action changed
        through the ORM goes with the commit's flush as before."""
        data = dict(incoming_data)
        promises: list[Reply] = []
        for event in events:
            if isinstance(event, LanguageChanged):
                _set(contact, language=event.language, language_locked=True)
            elif isinstance(event, HandoffRequested):
                _set(conversation, mode=HUMAN)
                promises += escalate(
                    session, self.teams, conversation_id=conversation.id,  # type: ignore[arg-type]
                    channel=contact.channel,
                    language=contact.language or self.settings.default_language,
                    reason=event.reason, state=conversation.state,
                    intent=(incoming_data["parse"].get("intent") or {}).get("name"), now=now_local,
                )
            elif isinstance(event, ConsentChanged):
                _set(contact, consent_broadcasts=event.broadcasts)
            elif isinstance(event, FallbackRecorded):
                data["fallback"] = True
                record_fallback(
                    session,
                    contact_id=contact.id,
                    text=event.text,
                    language=event.language,
                    ranking=event.ranking,
                )
        data["events"] = [e.as_dict() for e in events if not isinstance(e, ReplySent)]
        session.execute(_SET_MESSAGE_DATA, {"b_id": incoming_id, "data": data})
        _set(conversation, state=state)
        _write_turn_state(session, contact, conversation)
        replies: list[SentReply] = []
        assert contact.id is not None and conversation.id is not None
        for event in [*events, *(ReplySent(p) for p in promises)]:
            if isinstance(event, ReplySent):
                message_id = enqueue_core(
                    session,
                    contact_id=contact.id,
                    conversation_id=conversation.id,
                    channel=contact.channel,
                    recipient=contact.channel_user_id,
                    reply=event.reply,
                    reply_to_id=incoming_id,
                )
                replies.append(SentReply(message_id, event.reply))
        return replies

    @staticmethod
    def _lock_contact(
        session: Session, inbound: InboundMessage
    ) -> tuple[Contact, Conversation, int | None]:
        """The sender's contact and its conversation, the conversation row locked so its
        turns never interleave (PostgreSQL `FOR UPDATE`; on SQLite `BEGIN IMMEDIATE`
        already serialises writers), and the id of an earlier delivery of the same
        provider message (dedupe) in the same query. A first message creates contact
        and conversation, safe against concurrent firsts (INSERT … ON CONFLICT DO
        NOTHING, then read again under the lock)."""
        params = {
            "channel": inbound.channel,
            "sender": inbound.sender_id,
            "pmid": inbound.provider_message_id,
        }
        found = session.exec(_LOCK_CONTACT, params=params).first()  # type: ignore[call-overload]
        if found is not None:
            return found  # type: ignore[no-any-return]
        _insert_ignore(
            session,
            Contact,
            channel=inbound.channel,
            channel_user_id=inbound.sender_id,
            language_locked=False,
            consent_broadcasts=False,
            created_at=utcnow(),
        )
        contact_id = session.exec(
            select(Contact.id).where(
                Contact.channel == inbound.channel, Contact.channel_user_id == inbound.sender_id
            )
        ).one()
        _insert_ignore(
            session,
            Conversation,
            contact_id=contact_id,
            mode="bot",
            state={},
            message_count=0,
            updated_at=utcnow(),
        )
        return session.exec(_LOCK_CONTACT, params=params).one()  # type: ignore[call-overload,no-any-return]

    @staticmethod
    def _replies_to(session: Session, incoming_id: int) -> list[SentReply]:
        rows = session.exec(
            select(Message).where(Message.reply_to_id == incoming_id).order_by(Message.id)
        ).all()
        return [SentReply(m.id, Reply(**m.data.get("reply", {}))) for m in rows]  # type: ignore[arg-type]

    @staticmethod
    def _inbound_data(inbound: InboundMessage, parse: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {"parse": parse}
        if inbound.media:
            data["media"] = [m.model_dump(exclude_none=True) for m in inbound.media]
        if inbound.location:
            data["location"] = inbound.location.model_dump(exclude_none=True)
        return data


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
# the lock query; see `handle` for PostgreSQL.
_EARLIER_DELIVERY = _EARLIER_DELIVERY_ROW.scalar_subquery()
_LOCK_CONTACT = (
    select(Contact, Conversation, _EARLIER_DELIVERY)
    .join(Conversation, Conversation.contact_id == Contact.id)  # type: ignore[arg-type]
    .where(Contact.channel == bindparam("channel"), Contact.channel_user_id == bindparam("sender"))
    .with_for_update(of=Conversation)  # type: ignore[arg-type]
    .execution_options(populate_existing=True)
)


_CONTACT_T = Contact.__table__  # type: ignore[attr-defined]
_CONVERSATION_T = Conversation.__table__  # type: ignore[attr-defined]
_CONTACT_TURN_FIELDS = (
    "last_inbound_at",
    "name",
    "language",
    "language_locked",
    "consent_broadcasts",
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


def _release_held(session: Session, contact_id: int, now: datetime) -> None:
    """The citizen wrote, so WhatsApp's 24-hour window is open again: send what was held.

    Only rows held for up to RELEASE_HELD_WITHIN; older ones (a reminder for a boat
    trip long past) stay held and visible to staff rather than arriving out of context.
    """
    session.execute(
        update(Outbox)
        .where(
            Outbox.contact_id == contact_id,  # type: ignore[arg-type]
            Outbox.status == "held",  # type: ignore[arg-type]
            Outbox.created_at >= now - RELEASE_HELD_WITHIN,  # type: ignore[operator]
        )
        .values(status="pending", next_attempt_at=now, last_error=None)
    )


def _set(row: Any, **values: Any) -> None:
    """Change attributes of the locked contact or conversation without making the ORM
    track them: `_write_turn_state` writes them with one Core UPDATE per row."""
    for name, value in values.items():
        set_committed_value(row, name, value)


def _write_turn_state(session: Session, contact: Contact, conversation: Conversation) -> None:
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


def _insert_ignore(session: Session, model: type, **values: Any) -> None:
    """INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.exec(insert(model).values(**values).on_conflict_do_nothing())  # type: ignore[call-overload]
