"""The analytics page and API: correct aggregates, staff only, no personal data."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import select

from bot.core.db import transaction
from bot.core.models import Conversation, utcnow
from bot.staff_tables import ChatRating, Handoff
from tests.support import CLERK, PRESS


def _login(client: TestClient, user: str, password: str) -> None:
    res = client.post("/login", data={"username": user, "password": password},
                      follow_redirects=False)
    assert res.status_code in (302, 303), res.text


def test_aggregates_count_messages_fallbacks_handoffs_and_ratings(app_client: TestClient) -> None:
    for text in ("Hallo", "xyzzy unverständlich"):  # keyword NLU: the second is a fallback
        app_client.post("/api/chat", json={"text": text})
    db = app_client.app.state.engine.db
    with transaction(db) as session:
        conversation = session.exec(select(Conversation)).first()
        now = utcnow()
        handoff = Handoff(conversation_id=conversation.id, team="bauhof", reason="person",
                          channel="web", language="de", created_at=now - timedelta(minutes=10),
                          claimed_at=now - timedelta(minutes=4))
        session.add(handoff)
        session.flush()
        session.add(ChatRating(handoff_id=handoff.id, team="bauhof", score=4))
    res = app_client.get("/api/staff/analytics?days=7", auth=CLERK)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["inbound"] == 2 and body["conversations"] == 2
    assert body["fallback_rate"] == 0.5
    assert body["handed_to_staff"] == 1 and body["containment_rate"] == 0.5
    assert body["wait_median_minutes"] == 6.0
    assert body["ratings"] == {"bauhof": [4.0, 1]}
    assert dict(body["top_intents"])["greet"] == 1
    assert sum(c.get("web", 0) for c in body["per_day"].values()) == 2 and len(body["per_day"]) == 7
    assert "xyzzy" not in res.text  # aggregates only: no message text


def test_page_and_csv_need_a_staff_login(app_client: TestClient) -> None:
    assert app_client.get("/staff/analytics", follow_redirects=False).status_code == 303
    assert app_client.get("/api/staff/analytics").status_code == 401
    press = app_client.get("/api/staff/analytics", auth=PRESS)
    assert press.status_code == 403
    app_client.post("/api/chat", json={"text": "Hallo"})
    _login(app_client, "clerk", "clerk-password-1")
    page = app_client.get("/staff/analytics?days=7")
    assert page.status_code == 200 and "Ohne Mitarbeiter erledigt" in page.text
    assert "<svg" in page.text
    csv_ = app_client.get("/staff/analytics.csv?days=7")
    assert csv_.headers["content-type"].startswith("text/csv")
    assert csv_.text.splitlines()[0] == "day,channel,inbound_messages"
    assert len(csv_.text.splitlines()) == 1 + 7  # one channel (web), seven days
    assert app_client.get("/staff/analytics?days=0").status_code == 422


def test_report_reads_intents_and_fallbacks_on_both_databases(db_url: str, settings_for) -> None:
    """The JSON paths into the transcript work on SQLite and PostgreSQL alike."""
    from bot.analytics import build_report
    from bot.core.db import make_engine
    from bot.core.models import Contact, Message

    settings = settings_for(db_url)
    db = make_engine(db_url)
    with transaction(db) as session:
        contact = Contact(channel="telegram", channel_user_id="42")
        session.add(contact)
        session.flush()
        conversation = Conversation(contact_id=contact.id)
        session.add(conversation)
        session.flush()
        for intent, fallback in (("book_boat", False), ("book_boat", False), ("help", True)):
            data = {"parse": {"intent": {"name": intent, "confidence": 0.9}}}
            session.add(Message(conversation_id=conversation.id, direction="in",
                                channel="telegram", data={**data, "fallback": fallback}))
    today = utcnow().astimezone(settings.tz).date()
    with transaction(db) as session:
        report = build_report(session, today, today + timedelta(days=1), settings.tz)
    assert report.top_intents == [("book_boat", 2), ("help", 1)]
    assert report.fallbacks == 1 and report.per_day[today] == {"telegram": 3}
    db.dispose()
