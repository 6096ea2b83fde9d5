"""The retention job deletes old transcripts and review copies, and nothing else."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from actions.models import CityCase
from bot.channels.models import ProviderStatusEvent
from bot.core.db import make_engine, transaction
from bot.core.fallbacks import NluFallback
from bot.core.models import Contact, Conversation, Message, Outbox, utcnow
from bot.retention import delete_expired


def _line(session: Session, conversation_id: int, age_days: float, **fields: object) -> Message:
    message = Message(
        conversation_id=conversation_id, direction=fields.pop("direction", "in"),
        channel="telegram", text=f"line {age_days}",
        created_at=utcnow() - timedelta(days=age_days), **fields,
    )
    session.add(message)
    session.flush()
    return message


def test_retention_deletes_exactly_the_old_personal_data(db_url: str, settings_for) -> None:
    settings = settings_for(db_url, retention_days=30)
    db = make_engine(db_url)
    old = utcnow() - timedelta(days=31)
    with transaction(db) as session:
        contact = Contact(channel="telegram", channel_user_id="4711", name="Ada")
        session.add(contact)
        session.flush()
        conversation = Conversation(
            contact_id=contact.id, state={"flows": [{"flow": "report_issue"}]}, updated_at=old
        )
        session.add(conversation)
        session.flush()
        asked = _line(session, conversation.id, 40)
        answer = _line(session, conversation.id, 35, direction="out", reply_to_id=asked.id)
        session.add(Outbox(message_id=answer.id, contact_id=contact.id, channel="telegram",
                           recipient="4711", status="sent"))
        stuck = _line(session, conversation.id, 33, direction="out")
        session.add(Outbox(message_id=stuck.id, contact_id=contact.id, channel="telegram",
                           recipient="4711", status="pending"))
        recent = _line(session, conversation.id, 2)
        _line(session, conversation.id, 1, direction="out", reply_to_id=recent.id)
        _line(session, conversation.id, 0.5, direction="out", reply_to_id=asked.id)
        session.add(NluFallback(contact_id=contact.id, text="old", created_at=old))
        session.add(NluFallback(contact_id=contact.id, text="new"))
        session.add(ProviderStatusEvent(channel="telegram", provider_message_id="p1",
                                        status="delivered", received_at=old))
        session.add(CityCase(reference="AH-2026-000001", service="bulky_waste",
                             contact_id=contact.id, created_at=old))
        contact_id, conversation_id = contact.id, conversation.id

    with transaction(db) as session:
        deleted = delete_expired(session, utcnow(), settings)
    assert deleted == 2  # the question and its answer; the unsent line waits for the worker

    with Session(db) as session:
        texts = sorted(m.text for m in session.exec(select(Message)))
        assert texts == ["line 0.5", "line 1", "line 2", "line 33"]
        assert [o.status for o in session.exec(select(Outbox))] == ["pending"]
        assert [f.text for f in session.exec(select(NluFallback))] == ["new"]
        assert session.exec(select(func.count()).select_from(ProviderStatusEvent)).one() == 0
        assert session.get(Conversation, conversation_id).state == {}
        case = session.exec(select(CityCase)).one()  # kept as the law requires
        assert case.reference == "AH-2026-000001" and case.contact_id == contact_id
    with transaction(db) as session:
        assert delete_expired(session, utcnow(), settings) == 0  # idempotent
    db.dispose()


def test_retention_off_keeps_everything(sqlite_url: str, settings_for) -> None:
    db = make_engine(sqlite_url)
    with transaction(db) as session:
        assert delete_expired(session, utcnow(), settings_for(sqlite_url, retention_days=0)) == 0
    db.dispose()
