"""Export and erasure of one citizen's data, across every table that holds it."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import text
from sqlmodel import Session, select

from actions.models import CityCase, Voucher, VoucherTransaction
from bot.core.db import make_engine, transaction
from bot.core.fallbacks import record_fallback
from bot.core.models import Contact, Conversation, Message, utcnow
from bot.privacy import erase_contact, export_contact, is_erased
from bot.schema import metadata
from bot.staff_tables import Handoff, StaffNote
from tests.support import keyword_engine

PHONE, NAME, WORDS = "+4915123456789", "Greta Hülsmann", "mein Sofa steht im Flur"


def _citizen(db_url: str, settings_for) -> tuple[int, int]:
    """A WhatsApp citizen with a transcript, a fallback, a handoff with a note, a case,
    a voucher with a payment, and another citizen who must stay untouched."""
    settings = settings_for(db_url)
    engine = keyword_engine(settings)
    from bot.core.messages import InboundMessage

    for sender, words in ((PHONE, WORDS), ("+4915199999999", "andere Person")):
        engine.handle(InboundMessage(channel="twilio", sender_id=sender, text=words,
                                     sender_name=NAME if sender == PHONE else "Other",
                                     provider_message_id=f"SM{sender}"))
    with transaction(engine.db) as session:
        contact = session.exec(select(Contact).where(Contact.channel_user_id == PHONE)).one()
        conversation = session.exec(
            select(Conversation).where(Conversation.contact_id == contact.id)
        ).one()
        record_fallback(session, contact_id=contact.id, text=WORDS, language="de", ranking=[])
        handoff = Handoff(conversation_id=conversation.id, team="bauhof", reason="person",
                          channel="twilio", language="de")
        session.add(handoff)
        session.add(StaffNote(conversation_id=conversation.id, author="clerk",
                              text=f"{NAME} ruft später an"))
        session.add(CityCase(reference="AH-2026-000777", service="bulky_waste",
                             contact_id=contact.id, fields={"items": "Sofa"}))
        voucher = Voucher(code="AHS-TEST-0001", value_cents=5000, balance_cents=4000,
                          expires_at=utcnow() + timedelta(days=30), pin_hash="x",
                          contact_id=contact.id)
        session.add(voucher)
        session.flush()
        session.add(VoucherTransaction(public_id="T-PRIVACY1", voucher_id=voucher.id,
                                       kind="redeem", amount_cents=1000,
                                       balance_after_cents=4000, contact_id=contact.id))
        ids = contact.id, conversation.id
    engine.db.dispose()
    return ids  # type: ignore[return-value]


def _everything(session: Session) -> str:
    """Every value of every table, as one text to search."""
    dump = []
    for table in metadata.sorted_tables:
        for row in session.execute(table.select()).mappings():
            dump.append(json.dumps({k: str(v) for k, v in row.items()}, ensure_ascii=False))
    return "\n".join(dump)


def test_export_contains_everything_about_the_contact(db_url: str, settings_for) -> None:
    contact_id, _ = _citizen(db_url, settings_for)
    db = make_engine(db_url)
    with Session(db) as session:
        export = export_contact(session, contact_id)
    assert export["contact"][0]["channel_user_id"] == PHONE
    assert export["contact"][0]["name"] == NAME
    assert WORDS in [m["text"] for m in export["message"]]
    assert WORDS in [f["text"] for f in export["nlu_fallback"]]
    assert export["staff_note"][0]["text"].startswith(NAME)
    assert export["city_case"][0]["reference"] == "AH-2026-000777"
    assert export["voucher_transaction"][0]["public_id"] == "T-PRIVACY1"
    assert "pin_hash" not in export["voucher"][0]  # no secrets, not even hashed
    assert "andere Person" not in json.dumps(export, ensure_ascii=False)
    json.dumps(export)  # JSON-ready as it is
    db.dispose()


def test_erasure_leaves_nothing_personal_and_keeps_the_legal_records(
    db_url: str, settings_for
) -> None:
    contact_id, conversation_id = _citizen(db_url, settings_for)
    db = make_engine(db_url)
    with transaction(db) as session:
        counts = erase_contact(session, contact_id)
    assert counts["message"] >= 2 and counts["conversation"] == 1
    assert counts["staff_note"] == 1 and counts["nlu_fallback"] >= 1
    with Session(db) as session:
        everything = _everything(session)
        for personal in (PHONE, NAME, "Greta", WORDS):
            assert personal not in everything, personal
        assert "andere Person" in everything  # the other citizen is untouched
        case = session.exec(select(CityCase)).one()
        assert case.contact_id == contact_id and case.reference == "AH-2026-000777"
        ledger = session.exec(select(VoucherTransaction)).one()
        assert ledger.amount_cents == 1000  # the money stays accounted for
        assert session.get(Conversation, conversation_id) is None
        assert is_erased(session, contact_id)
        assert session.exec(select(Message).where(Message.conversation_id == conversation_id)
                            ).first() is None
        assert session.execute(text("SELECT count(*) FROM staff_handoff")).scalar() == 0
    db.dispose()
