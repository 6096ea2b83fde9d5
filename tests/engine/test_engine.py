"""Engine guarantees: dedupe, durable state, replies and state committed together.

The NLU is replaced by a fixed keyword table here: these tests are about the engine's
bookkeeping, and a trained model would only make them slower and less precise.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlmodel import Session, func, select

from bot.core.db import make_engine, transaction
from bot.core.messages import InboundMessage
from bot.core.models import Contact, Conversation, Message, Outbox
from bot.engine import Engine
from flows.dialogue import Dialogue
from tests.support import keyword_engine, keyword_nlu


def make(url: str, settings_for) -> Engine:
    return keyword_engine(settings_for(url))


def msg(text: str, mid: str | None = None, sender: str = "+4915112345678") -> InboundMessage:
    return InboundMessage(channel="twilio", sender_id=sender, text=text, provider_message_id=mid)


def count(engine: Engine, model: type) -> int:
    with Session(engine.db) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_greeting_is_answered_with_menu(sqlite_url: str, settings_for) -> None:
    engine = make(sqlite_url, settings_for)
    handled = engine.handle(msg("Hallo!", "m1"))
    assert len(handled.replies) == 1
    assert "Stadtbot" in handled.replies[0].reply.text
    assert any(b.payload == "intent:book_boat" for b in handled.replies[0].reply.buttons)


def test_duplicate_delivery_gets_no_second_reply(db_url: str, settings_for) -> None:
    engine = make(db_url, settings_for)
    first = engine.handle(msg("Hallo", "SM-dup"))
    again = engine.handle(msg("Hallo", "SM-dup"))
    assert again.duplicate and not first.duplicate
    assert [r.message_id for r in again.replies] == [r.message_id for r in first.replies]
    assert count(engine, Message) == 2  # one inbound, one reply
    assert count(engine, Outbox) == 1
    with Session(engine.db) as session:
        assert session.exec(select(Conversation)).one().message_count == 1


def test_state_survives_a_restart(db_url: str, settings_for) -> None:
    make(db_url, settings_for).handle(msg("was ist das", "a1"))  # first misunderstanding
    restarted = make(db_url, settings_for)  # new engine, same database
    handled = restarted.handle(msg("blub", "a2"))  # second in a row → handoff offer
    assert "Mitarbeiter" in handled.replies[0].reply.text
    with Session(restarted.db) as session:
        assert session.exec(select(Conversation)).one().state["awaiting"] == "handoff_offer"


def test_failed_turn_stores_neither_state_nor_replies(sqlite_url: str, settings_for) -> None:
    engine = make(sqlite_url, settings_for)
    engine.handle(msg("Hallo", "ok-1"))

    def broken(state, turn, services):
        raise RuntimeError("dialogue crashed after deciding to reply")

    engine.dialogue.respond = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        engine.handle(msg("Hilfe", "crash-1"))
    assert count(engine, Message) == 2 and count(engine, Outbox) == 1
    del engine.dialogue.respond  # the fixed release
    retried = engine.handle(msg("Hilfe", "crash-1"))  # the provider's retry
    assert not retried.duplicate and len(retried.replies) == 1
    assert count(engine, Outbox) == 2


def test_reply_and_state_commit_together(sqlite_url: str, settings_for) -> None:
    engine = make(sqlite_url, settings_for)
    engine.handle(msg("hmm?", "s1"))
    with Session(engine.db) as session:
        conversation = session.exec(select(Conversation)).one()
        outbox = session.exec(select(Outbox)).all()
        contact = session.exec(select(Contact)).one()
    assert conversation.state["misunderstood"] == 1
    assert len(outbox) == 1 and outbox[0].status == "pending"
    assert outbox[0].recipient == contact.channel_user_id


def test_human_mode_stores_without_bot_reply(sqlite_url: str, settings_for) -> None:
    engine = make(sqlite_url, settings_for)
    engine.handle(msg("huh", "h1"))
    engine.handle(msg("??", "h2"))
    offer = engine.handle(
        InboundMessage(
            channel="twilio",
            sender_id="+4915112345678",
            payload="intent:affirm",
            provider_message_id="h3",
        )
    )
    assert "verbinde" in offer.replies[0].reply.text
    quiet = engine.handle(msg("Hallo?", "h4"))
    assert quiet.replies == []
    with Session(engine.db) as session:
        assert session.exec(select(Conversation)).one().mode == "human"


def test_parse_ahead_of_the_lock_is_redone_when_the_language_changed(
    db_url: str, settings_for
) -> None:
    """The NLU runs before the lock with the language this process last saw; another
    process (here: a direct UPDATE) changing the contact's language means a second
    parse with the new one, and the stored parse is that one."""
    hints: list[str | None] = []

    def understand(text, lang, now):  # type: ignore[no-untyped-def]
        hints.append(lang)
        return keyword_nlu(text, lang, now)

    settings = settings_for(db_url)
    engine = Engine(make_engine(db_url), settings, understand, Dialogue(threshold=0.5))
    engine.handle(msg("Hallo!", "p1"))
    assert hints == [None]  # a new sender: one parse, no language yet
    hints.clear()
    engine.handle(msg("danke", "p2"))
    assert hints == ["de"]  # the language this process saw: one parse
    with transaction(engine.db) as session:
        session.exec(update(Contact).values(language="nl"))  # type: ignore[call-overload]
    hints.clear()
    engine.handle(msg("danke", "p3"))
    assert hints == ["de", "nl"]
    with Session(engine.db) as session:
        stored = session.exec(select(Message).where(Message.provider_message_id == "p3")).one()
    assert stored.data["parse"]["language"] == "nl"


def test_an_action_call_is_kept_on_the_inbound_line_without_its_params(
    sqlite_url: str, settings_for
) -> None:
    """The dialogue's `ActionCalled` event lands in the transcript as name and outcome
    only: a call's params and result may hold a PIN or a personal link."""

    def understand(text: str, lang: str | None, now) -> dict:
        parse = keyword_nlu(text, lang, now)
        parse["intent"] = {"name": "opening_hours", "confidence": 0.95}
        parse["entities"] = [{"entity": "place", "value": "town_hall", "start": 0, "end": 7}]
        return parse

    settings = settings_for(sqlite_url)
    engine = Engine(make_engine(sqlite_url), settings, understand, Dialogue(threshold=0.5))
    handled = engine.handle(msg("Rathaus offen?", "oh1"))
    assert handled.replies
    with Session(engine.db) as session:
        inbound = session.exec(select(Message).where(Message.direction == "in")).one()
    called = [e for e in inbound.data["events"] if e["type"] == "action_called"]
    assert called == [{"type": "action_called", "action": "info.opening_hours", "error": None}]


def test_a_typed_number_picks_from_the_buttons_the_state_keeps(
    sqlite_url: str, settings_for
) -> None:
    engine = make(sqlite_url, settings_for)
    menu = engine.handle(msg("Hallo", "b1")).replies[0].reply.buttons
    with Session(engine.db) as session:
        state = session.exec(select(Conversation)).one().state
    assert state["buttons"] == [b.model_dump() for b in menu]
    engine.handle(msg("2", "b2"), resolve_choices=True)
    other = "+4915100000002"  # a title typed in another conversation, right after the menu
    engine.handle(msg("Hallo", "b3", sender=other))
    engine.handle(msg(menu[0].title.upper(), "b4", sender=other), resolve_choices=True)
    with Session(engine.db) as session:
        rows = session.exec(
            select(Message).where(Message.direction == "in").order_by(Message.id)
        ).all()
    assert [m.payload for m in rows] == [None, menu[1].payload, None, menu[0].payload]
