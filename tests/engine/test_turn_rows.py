"""What one turn writes, on both databases (PostgreSQL folds several statements into
one, bot.persistence / bot.core.outbox): the inbound line with its events, the contact's
and the conversation's fields, each reply's transcript line and outbox row, and the
release of messages held for WhatsApp's 24-hour window."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.core.messages import InboundMessage
from bot.core.models import Contact, Conversation, Message, Outbox
from tests.support import keyword_engine


def test_a_turn_stores_its_line_state_and_replies_and_releases_held_rows(
    db_url: str, settings_for
) -> None:
    engine = keyword_engine(settings_for(db_url))
    first = engine.handle(InboundMessage(
        channel="whatsapp", sender_id="4915100", text="Hallo", provider_message_id="w1",
        sender_name="Ada",
    ))
    with Session(engine.db) as session:  # the first reply waits for the window
        row = session.exec(
            select(Outbox).where(Outbox.message_id == first.replies[0].message_id)
        ).one()
        row.status = "held"
        session.add(row)
        session.commit()
    second = engine.handle(InboundMessage(
        channel="whatsapp", sender_id="4915100", text="Hilfe", provider_message_id="w2",
    ))
    with Session(engine.db) as session:
        contact = session.get(Contact, second.contact_id)
        conversation = session.get(Conversation, second.conversation_id)
        assert contact is not None and conversation is not None
        assert contact.name == "Ada" and contact.last_inbound_at is not None
        assert conversation.message_count == 2 and conversation.last_inbound_at is not None
        inbound = session.exec(
            select(Message).where(Message.provider_message_id == "w2")
        ).one()
        assert inbound.direction == "in" and "events" in inbound.data
        assert inbound.data["parse"]["text"] == "Hilfe"
        rows = session.exec(select(Outbox).order_by(Outbox.id)).all()
        released = [r for r in rows if r.message_id == first.replies[0].message_id]
        assert [r.status for r in released] == ["pending"]
        for sent in second.replies:
            line = session.get(Message, sent.message_id)
            assert line is not None and line.reply_to_id == inbound.id
            assert line.text == sent.reply.text
            row = session.exec(select(Outbox).where(Outbox.message_id == sent.message_id)).one()
            assert (row.status, row.recipient, row.body["text"]) == (
                "pending", "4915100", sent.reply.text
            )


def test_a_known_contact_without_a_conversation_gets_one_on_first_message(
    db_url: str, settings_for
) -> None:
    engine = keyword_engine(settings_for(db_url))
    with Session(engine.db) as session:  # e.g. subscribed by staff before writing
        contact = Contact(channel="telegram", channel_user_id="77", name="Bo")
        session.add(contact)
        session.commit()
        known = contact.id
    handled = engine.handle(InboundMessage(
        channel="telegram", sender_id="77", text="Hallo", provider_message_id="t1",
    ))
    assert handled.contact_id == known and handled.replies
    with Session(engine.db) as session:
        conversations = session.exec(
            select(Conversation).where(Conversation.contact_id == known)
        ).all()
        assert [c.message_count for c in conversations] == [1]
