"""Export and erasure of a chat's contact from the staff inbox, on SQLite and PostgreSQL:
the export holds everything, erasure leaves nothing personal in any table, both are on
record, and only logins that may see the chat (staff role) can do either."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from actions.privacy import ErasureRequest
from api.app import create_app
from bot.core.db import transaction
from bot.core.messages import InboundMessage
from bot.core.models import Contact, Conversation
from bot.engine import Engine
from bot.schema import metadata
from bot.staff_tables import StaffAudit, StaffNote
from tests.support import TEST_SECRET_KEY, StaffLogin, staff_engine

PHONE, NAME, WORDS = "+4915123456789", "Greta Hülsmann", "mein Sofa steht im Flur"
OTHER = "+4915199999999"
CLERK = StaffLogin("clerk", "clerk-password-1")
READER = StaffLogin("reader", "reader-password-1")
BAUHOF = StaffLogin("digger", "digger-password-1")
PRESS = StaffLogin("press", "press-password-1")


@pytest.fixture
def engine(db_url: str, settings_for) -> Iterator[Engine]:
    engine = staff_engine(
        settings_for(db_url, secret_key=TEST_SECRET_KEY),
        {CLERK: ["staff"], READER: ["staff"], BAUHOF: ["staff"], PRESS: ["communications"]},
        {READER: {"default": "reader"}, BAUHOF: {"bauhof": "member"}},
    )
    yield engine
    engine.db.dispose()


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine.settings, engine)) as test_client:
        yield test_client


def citizen(engine: Engine) -> int:
    """A WhatsApp citizen with a transcript and a staff note, and another one; returns
    the first one's conversation id."""
    for sender, words in ((PHONE, WORDS), (OTHER, "andere Person")):
        engine.handle(InboundMessage(
            channel="twilio", sender_id=sender, text=words, provider_message_id=f"SM{sender}",
            sender_name=NAME if sender == PHONE else "Other",
        ))
    with transaction(engine.db) as session:
        contact = session.exec(select(Contact).where(Contact.channel_user_id == PHONE)).one()
        conversation = session.exec(
            select(Conversation).where(Conversation.contact_id == contact.id)
        ).one()
        session.add(StaffNote(conversation_id=conversation.id, author="clerk",
                              text=f"{NAME} ruft später an"))
        assert conversation.id is not None
        return conversation.id


def everything(engine: Engine) -> str:
    """Every value of every table, as one text to search."""
    dump = []
    with Session(engine.db) as session:
        for table in metadata.sorted_tables:
            for row in session.execute(table.select()).mappings():
                dump.append(json.dumps({k: str(v) for k, v in row.items()}, ensure_ascii=False))
    return "\n".join(dump)


def test_export_downloads_everything_and_is_audited(client: TestClient, engine: Engine) -> None:
    cid = citizen(engine)
    response = client.post(f"/api/staff/conversations/{cid}/export", auth=READER)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["cache-control"] == "no-store"
    data = response.json()["data"]
    assert data["contact"][0]["channel_user_id"] == PHONE
    assert data["contact"][0]["name"] == NAME
    assert WORDS in [m["text"] for m in data["message"]]
    assert data["staff_note"][0]["text"].startswith(NAME)
    assert OTHER not in response.text
    with Session(engine.db) as session:
        line = session.exec(select(StaffAudit).where(StaffAudit.action == "export")).one()
    assert (line.conversation_id, line.actor) == (cid, "reader")
    detail = client.get(f"/api/staff/conversations/{cid}", auth=CLERK).json()
    assert ("reader", "export") in [(a["actor"], a["action"]) for a in detail["audit"]]


def test_erasure_leaves_nothing_personal_in_any_table(client: TestClient, engine: Engine) -> None:
    cid = citizen(engine)
    before = everything(engine)
    assert PHONE in before and NAME in before and WORDS in before
    response = client.post(f"/api/staff/conversations/{cid}/erase", auth=CLERK)
    assert response.status_code == 200, response.text
    after = everything(engine)
    for personal in (PHONE, NAME, WORDS, "ruft später an"):
        assert personal not in after, personal
    assert OTHER in after and "andere Person" in after  # the other citizen stays
    with Session(engine.db) as session:
        record = session.exec(select(ErasureRequest)).one()
    assert (record.id, record.status, record.approved_by) == (
        response.json()["erasure_id"], "done", "clerk"
    )  # done at once: a staff erasure needs no second review
    assert client.get(f"/api/staff/conversations/{cid}", auth=CLERK).status_code == 404
    assert client.post(f"/api/staff/conversations/{cid}/erase", auth=CLERK).status_code == 404


def test_only_logins_that_may_see_the_chat(client: TestClient, engine: Engine) -> None:
    cid = citizen(engine)
    for path in ("export", "erase"):
        url = f"/api/staff/conversations/{cid}/{path}"
        assert client.post(url).status_code == 401
        assert client.post(url, auth=PRESS).status_code == 403  # communications
        assert client.post(url, auth=BAUHOF).status_code == 403  # another team's login
        assert client.post(f"/api/staff/conversations/99999/{path}", auth=CLERK).status_code == 404
        assert client.post(f"/api/staff/conversations/x/{path}", auth=CLERK).status_code == 422
    # A reader may take the copy but not erase.
    assert client.post(f"/api/staff/conversations/{cid}/erase", auth=READER).status_code == 403
    assert PHONE in everything(engine)
