"""Liveness, readiness, metrics and the OpenAPI docs."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from bot.core.db import transaction
from bot.core.models import Contact, Conversation, Message, Outbox, utcnow


def test_health_endpoints(app_client: TestClient) -> None:
    assert app_client.get("/healthz").json() == {"status": "ok"}
    assert app_client.get("/readyz").json() == {"status": "ok", "outbox_age_seconds": 0.0}
    app_client.post("/api/chat", json={"text": "Hallo"})
    metrics = app_client.get("/metrics").text
    assert 'stadtbot_inbound_messages_total{channel="web"}' in metrics
    assert app_client.get("/docs").status_code == 200
    assert "/api/chat" in app_client.get("/openapi.json").json()["paths"]


def test_readyz_reports_503_when_the_database_is_gone(app_client: TestClient, tmp_path) -> None:
    from bot.core.db import make_engine

    app_client.app.state.engine.db = make_engine(f"sqlite:///{tmp_path}/missing/dir/x.db")
    res = app_client.get("/readyz")
    assert res.status_code == 503 and res.json()["status"] == "unavailable"


def _queue(app_client: TestClient, due: datetime, status: str = "pending") -> None:
    """One Telegram message in the outbox, due at `due`."""
    with transaction(app_client.app.state.engine.db) as session:
        contact = Contact(channel="telegram", channel_user_id=f"chat-{due.timestamp()}")
        session.add(contact)
        session.flush()
        conversation = Conversation(contact_id=contact.id)
        session.add(conversation)
        session.flush()
        message = Message(conversation_id=conversation.id, direction="out", channel="telegram")
        session.add(message)
        session.flush()
        session.add(
            Outbox(message_id=message.id, contact_id=contact.id, channel="telegram",
                   recipient=contact.channel_user_id, status=status, next_attempt_at=due)
        )


def test_readyz_fails_when_the_outbox_is_stuck(app_client: TestClient) -> None:
    """A reply due ten minutes ago and not sent: no worker, or a channel down."""
    now = utcnow()
    _queue(app_client, now + timedelta(minutes=5))  # a retry's backoff: not late
    _queue(app_client, now - timedelta(hours=2), status="held")  # 24-hour window: waits
    assert app_client.get("/readyz").status_code == 200
    _queue(app_client, now - timedelta(minutes=10))
    res = app_client.get("/readyz")
    assert res.status_code == 503, res.json()
    assert res.json()["status"] == "outbox_stuck" and res.json()["outbox_age_seconds"] >= 600


def test_metrics_show_the_outbox_and_request_latency(app_client: TestClient) -> None:
    _queue(app_client, utcnow() - timedelta(seconds=30))
    app_client.get("/api/staff/conversations/12345")
    text_ = app_client.get("/metrics").text
    assert 'stadtbot_outbox_messages{channel="telegram",status="pending"} 1.0' in text_
    age = next(line for line in text_.splitlines() if line.startswith("stadtbot_outbox_oldest"))
    assert float(age.split()[-1]) >= 30
    assert 'route="/api/staff/conversations/{conversation_id}"' in text_
    assert "/api/staff/conversations/12345" not in text_


def _sample(metrics: str, name: str) -> float:
    """One sample's value from the /metrics text (0 when not there yet)."""
    line = next((line for line in metrics.splitlines() if line.startswith(name + " ")), None)
    return float(line.rsplit(" ", 1)[1]) if line else 0.0


def test_metrics_count_nlu_confidence_fallbacks_and_handoffs(app_client: TestClient) -> None:
    """Counters are process-wide, so the test reads them before and after its own turns."""
    names = {
        "typed": 'stadtbot_nlu_confidence_count{channel="web"}',
        "sure": 'stadtbot_nlu_confidence_bucket{channel="web",le="0.2"}',
        "fallbacks": 'stadtbot_fallbacks_total{channel="web"}',
        "handoffs": 'stadtbot_handoffs_total{channel="web",reason="citizen_asked"}',
    }
    before = {key: _sample(app_client.get("/metrics").text, n) for key, n in names.items()}
    session = app_client.post("/api/chat", json={"text": "Hallo"}).json()["session_id"]
    for text in ("xyzzy plugh", "Mitarbeiter bitte"):
        app_client.post("/api/chat", json={"session_id": session, "text": text})
    app_client.post("/api/chat", json={"session_id": session, "payload": "intent:help"})
    after = {key: _sample(app_client.get("/metrics").text, n) for key, n in names.items()}
    assert after["typed"] - before["typed"] == 3  # typed ones only, not the tapped button
    assert after["sure"] - before["sure"] == 1  # "xyzzy plugh" at 0.1
    assert after["fallbacks"] - before["fallbacks"] == 1
    assert after["handoffs"] - before["handoffs"] == 1
