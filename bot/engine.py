"""The one entry point for every inbound message, whatever the channel.

The pipeline of `Engine.handle`, in SPEC's order: parse the text (NLU, before the lock),
then in one transaction lock the sender's conversation and dedupe by provider message id
(`bot.persistence.lock_turn`), record the inbound line, run the dialogue, and commit the
new state together with the transcript and the outbox rows of the replies
(`bot.core.outbox.enqueue`). If anything fails, nothing of the turn is stored and the
provider's retry is processed as if it were the first delivery.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import Session

from actions.registry import ActionContext, run_action
from bot.broadcasts.consent import apply_consent
from bot.core.db import transaction
from bot.core.fallbacks import record_fallback
from bot.core.fastsql import Driver
from bot.core.messages import InboundMessage, Reply
from bot.core.models import utcnow
from bot.core.outbox import enqueue
from bot.core.settings import Settings
from bot.handoff import HUMAN, citizen_turn, escalate
from bot.knowledge.base import Writer
from bot.knowledge.pages import Page
from bot.language import reply_language
from bot.llm.assistant import Assistant
from bot.llm.commands import for_open_flow
from bot.persistence import (
    Locked,
    SentReply,
    lock_turn,
    record_inbound,
    replies_to,
    save_turn,
)
from bot.ratings import rating_turn
from bot.retention import retention_text
from bot.teams import Teams, get_teams
from flows.dialogue import KNOWLEDGE_PAYLOAD, Dialogue, is_stop_message, stop_events
from flows.events import (
    ConsentChanged,
    Event,
    FallbackRecorded,
    HandoffRequested,
    LanguageChanged,
    ReplySent,
)
from flows.state import State, load_state, remember_buttons, typed_choice
from flows.turn import Turn

log = logging.getLogger(__name__)

Understand = Callable[[str, str | None, datetime], dict[str, Any]]


class Knowledge(Protocol):
    """The city's pages (`bot.knowledge.base.KnowledgeBase`): an answer with its source
    for a question, or the full text a `knowledge:PAGE` button asks for; None if none."""

    def reply(
        self, text: str, payload: str | None, lang: str, writer: Writer | None = None
    ) -> tuple[Reply, float] | None: ...

    def page(self, page_id: str) -> Page | None: ...


# Contacts whose language this process remembers for parsing ahead of the lock.
LANGUAGE_MEMORY = 100_000

# Channels where the privacy notice is a message on first contact; the web chat page
# shows it under its input bar instead, before anything is typed.
NOTICE_BY_MESSAGE = frozenset({"telegram", "twilio", "whatsapp"})


def privacy_notice(settings: Settings, lang: str) -> Reply:
    """What is stored, for how long, and where to read more (GDPR Art. 13), said once."""
    url = settings.privacy_notice_url or f"{settings.public_base_url.rstrip('/')}/privacy"
    return Reply(text=retention_text("privacy.notice", lang, settings, url=url))


@dataclass(frozen=True)
class Handled:
    """What became of one inbound message."""

    contact_id: int
    conversation_id: int
    replies: list[SentReply]
    duplicate: bool = False
    # For the operators' metrics (bot.ingest): how sure the NLU was of a typed message,
    # whether the bot did not understand it, and why it went to staff, if it did.
    confidence: float | None = None
    fallback: bool = False
    handoff_reason: str | None = None


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
        knowledge: Knowledge | None = None,
        assistant: Assistant | None = None,
    ) -> None:
        self.db = db
        self.knowledge = knowledge
        self.assistant = assistant  # the optional language model (LLM_BASE_URL)
        self.settings = settings
        self.understand = understand
        self.dialogue = dialogue
        self.teams = teams or get_teams(settings.teams_file)
        # (channel, sender) → the contact's language at its last turn here: the NLU's
        # hint for parsing before the lock, checked (and re-parsed) under the lock.
        self._languages: dict[tuple[str, str], str | None] = {}

    def handle(self, inbound: InboundMessage, *, resolve_choices: bool = False) -> Handled:
        """Process one inbound message exactly once and return the replies it produced.

        `resolve_choices` maps a typed answer ("2", a button's title) to the payload of
        the buttons last shown (channels that render buttons as a numbered list), which
        the conversation's state keeps (`flows.state.typed_choice`).
        """
        text = (inbound.text or "").strip()[: self.settings.max_message_chars]
        now_local = (inbound.received_at or utcnow()).astimezone(self.settings.tz)
        sender = (inbound.channel, inbound.sender_id)
        hint = self._languages.get(sender)
        # The model's time for this turn counts from here, the NLU's parse included.
        model = self.assistant if not inbound.payload else None
        deadline = model.deadline() if model is not None else None
        parse = self._parse(text, hint, now_local)  # outside the lock: the NLU is pure
        guess = inbound.language_hint or hint or parse.get("language")
        if model is not None and deadline is not None:  # the model, before the lock too
            threshold = self.dialogue.threshold
            parse = model.understand(text, parse, threshold, now_local, deadline)
        answer = self._answer(text, inbound.payload, parse, guess, deadline)

        with transaction(self.db) as session:
            sql = Driver(session)
            turn = lock_turn(sql, inbound)
            if inbound.provider_message_id and turn.earlier_id is not None:
                return Handled(
                    turn.contact_id,
                    turn.conversation_id,
                    replies_to(session, turn.earlier_id),
                    duplicate=True,
                )
            if resolve_choices and inbound.text and not inbound.payload:
                choice = typed_choice(turn.conversation.state, inbound.text)
                if choice is not None:
                    inbound = inbound.model_copy(update={"payload": choice.payload})
            if turn.contact.language != hint:  # the contact's language changed meanwhile
                parse = self._parse(text, turn.contact.language, now_local)
            handled = self._run(session, sql, turn, inbound, text, parse, now_local, answer)
        self._remember_language(sender, turn.contact.language)
        return handled

    def _run(
        self,
        session: Session,
        sql: Driver,
        turn: Locked,
        inbound: InboundMessage,
        text: str,
        parse: dict[str, Any],
        now_local: datetime,
        answer: tuple[str, tuple[Reply, float] | None] | None,
    ) -> Handled:
        """Record the inbound line, run the dialogue (or, while the conversation is with
        staff or being rated, the handoff's side of it) and store what it did."""
        contact, conversation = turn.contact, turn.conversation
        incoming_data = _inbound_data(inbound, parse)
        incoming_id = record_inbound(sql, turn, inbound, text, incoming_data)
        lang = reply_language(contact, parse, inbound.language_hint, self.settings.default_language)
        if conversation.mode != "bot":
            # With staff (silent unless "zurück zum Bot") or rating the chat.
            side = (citizen_turn if conversation.mode == HUMAN else rating_turn)(
                session, self.teams, conversation_id=turn.conversation_id,
                mode=conversation.mode, text=text, payload=inbound.payload, lang=lang,
            )
            conversation.mode = side.mode
            if not side.to_bot:
                side_events = list(side.events)
                if is_stop_message(text, inbound.payload):  # STOP holds with staff too
                    side_events += stop_events(lang)
                replies = self._apply(
                    session, sql, turn, incoming_id, incoming_data, side_events,
                    load_state(conversation.state), now_local,
                )
                return Handled(turn.contact_id, turn.conversation_id, replies)
        if answer is not None and answer[0] != lang:  # guessed the language wrong
            answer = self._answer(text, inbound.payload, parse, lang)
        if parse.get("llm") and (conversation.state or {}).get("flows"):
            parse = for_open_flow(parse)  # a flow asked: the model may fill, not switch
        dialogue_turn = Turn(
            knowledge=answer[1][0] if answer and answer[1] else None,
            knowledge_score=answer[1][1] if answer and answer[1] else 0.0,
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
            session, turn.contact_id, inbound.channel, lang, now_local, self.settings,
            {"client_address": inbound.client_address} if inbound.client_address else {},
        )
        state, events = self.dialogue.respond(
            load_state(conversation.state), dialogue_turn, EngineServices(ctx)
        )
        if (
            self.settings.privacy_notice
            and conversation.message_count == 1
            and inbound.channel in NOTICE_BY_MESSAGE
        ):
            events.insert(0, ReplySent(privacy_notice(self.settings, lang)))  # said first
        replies = self._apply(
            session, sql, turn, incoming_id, incoming_data, events, state, now_local
        )
        typed = bool(text) and not inbound.payload
        handoffs = [e.reason for e in events if isinstance(e, HandoffRequested)]
        return Handled(
            turn.contact_id,
            turn.conversation_id,
            replies,
            confidence=float(parse["intent"]["confidence"]) if typed else None,
            fallback=any(isinstance(e, FallbackRecorded) for e in events),
            handoff_reason=handoffs[0] if handoffs else None,
        )

    def _answer(
        self,
        text: str,
        payload: str | None,
        parse: dict[str, Any],
        lang: str | None,
        deadline: float | None = None,
    ) -> tuple[str, tuple[Reply, float] | None] | None:
        """The knowledge base's answer and its relevance for a typed message, or the full
        text a tapped `knowledge:` button asks for (the dialogue decides whether to use it).
        Worded by the model only before the lock (with the turn's `deadline`)."""
        if self.knowledge is None:
            return None
        lang = lang or self.settings.default_language
        if payload and not payload.startswith(KNOWLEDGE_PAYLOAD):
            return None
        if not payload and not self.dialogue.may_use_knowledge(text, parse):
            return None
        writer = None
        if self.assistant is not None and deadline is not None:
            writer = partial(self.assistant.write_answer, deadline=deadline)
        return lang, self.knowledge.reply(text, payload, lang, writer)

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

    def _remember_language(self, sender: tuple[str, str], language: str | None) -> None:
        if len(self._languages) >= LANGUAGE_MEMORY:
            self._languages.clear()  # a hint only: forgetting costs one parse each
        self._languages[sender] = language

    def _apply(
        self,
        session: Session,
        sql: Driver,
        turn: Locked,
        incoming_id: int,
        incoming_data: dict[str, Any],
        events: list[Event],
        state: State,
        now_local: datetime,
    ) -> list[SentReply]:
        """Carry out the dialogue's events inside the turn's transaction: contact and
        conversation changes, escalation to staff, fallbacks for review, the events on
        the inbound line, and each reply into the transcript and the outbox."""
        contact, conversation = turn.contact, turn.conversation
        data = dict(incoming_data)
        promises: list[Reply] = []
        for event in events:
            if isinstance(event, LanguageChanged):
                contact.language, contact.language_locked = event.language, True
            elif isinstance(event, HandoffRequested):
                conversation.mode = HUMAN
                promises += escalate(
                    session, self.teams, conversation_id=turn.conversation_id,
                    channel=contact.channel,
                    language=contact.language or self.settings.default_language,
                    reason=event.reason, state=conversation.state,
                    intent=(incoming_data["parse"].get("intent") or {}).get("name"), now=now_local,
                )
            elif isinstance(event, ConsentChanged):
                apply_consent(
                    session, contact_id=turn.contact_id, channel=contact.channel,
                    language=contact.language or self.settings.default_language,
                    event=event, now=utcnow(),
                )
            elif isinstance(event, FallbackRecorded):
                data["fallback"] = True
                record_fallback(
                    session,
                    contact_id=contact.id,
                    text=event.text,
                    language=event.language,
                    ranking=event.ranking,
                )
        data["events"] = [d for e in events if (d := e.for_transcript()) is not None]
        replies = [e.reply for e in events if isinstance(e, ReplySent)] + promises
        remember_buttons(state, replies)
        conversation.state = dict(state)
        save_turn(sql, turn, incoming_id, data)
        return [
            SentReply(
                enqueue(
                    session,
                    contact,
                    reply,
                    reply_to_id=incoming_id,
                    conversation_id=turn.conversation_id,
                ),
                reply,
            )
            for reply in replies
        ]


def _inbound_data(inbound: InboundMessage, parse: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"parse": parse}
    if inbound.media:
        data["media"] = [m.model_dump(exclude_none=True) for m in inbound.media]
    if inbound.location:
        data["location"] = inbound.location.model_dump(exclude_none=True)
    return data
