"""Broadcast API: roles, the SPEC's shapes, clear errors (never a 500), idempotency,
double send, images checked by their bytes, the CSV, the compose page behind a login."""

from __future__ import annotations

import io
from datetime import timedelta

from fastapi.testclient import TestClient

from bot.core.models import utcnow
from tests.broadcasts.conftest import subscriber
from tests.support import CLERK, PRESS

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
BODY = {"texts": {"de": "Sturm heute Abend", "nl": "Storm vanavond"}, "topics": ["warnungen"]}


def db_of(client: TestClient):  # type: ignore[no-untyped-def]
    return client.app.state.engine.db  # type: ignore[attr-defined]


def test_topics_are_the_city_topics(app_client: TestClient) -> None:
    res = app_client.get("/api/topics")
    assert res.status_code == 200
    assert [t["id"] for t in res.json()] == ["warnungen", "verkehr", "veranstaltungen", "abfall"]
    assert res.json()[1]["title"] == {
        "de": "Verkehr & Baustellen", "en": "Traffic & road works",
        "nl": "Verkeer & wegwerkzaamheden",
    }


def test_broadcasts_need_login_and_the_communications_role(app_client: TestClient) -> None:
    assert app_client.post("/api/broadcasts", json=BODY).status_code == 401
    assert app_client.post("/api/broadcasts", json=BODY, auth=CLERK).status_code == 403
    assert app_client.get("/api/broadcasts/1", auth=CLERK).status_code == 403
    assert app_client.get("/broadcasts", follow_redirects=False).status_code == 303


def test_create_send_twice_and_report(app_client: TestClient) -> None:
    subscriber(db_of(app_client), "telegram", "11", language="nl")
    subscriber(db_of(app_client), "twilio", "+4915112345678")
    headers = {"Idempotency-Key": "storm-1"}
    res = app_client.post("/api/broadcasts", json=BODY, auth=PRESS, headers=headers)
    assert res.status_code == 201, res.text
    created = res.json()
    assert created == {"id": created["id"], "status": "draft", "recipients": 2}
    again = app_client.post("/api/broadcasts", json=BODY, auth=PRESS, headers=headers)
    assert again.json()["id"] == created["id"]
    other = app_client.post(
        "/api/broadcasts", json={**BODY, "topics": ["verkehr"]}, auth=PRESS, headers=headers
    )
    assert other.status_code == 409 and "Idempotency-Key" in other.json()["detail"]
    bid = created["id"]
    assert app_client.post(f"/api/broadcasts/{bid}/send", auth=PRESS).json() == {
        "id": bid, "status": "sending"
    }
    second = app_client.post(f"/api/broadcasts/{bid}/send", auth=PRESS)
    assert second.status_code == 409 and "nicht noch einmal" in second.json()["detail"]
    report = app_client.get(f"/api/broadcasts/{bid}", auth=PRESS).json()
    assert (report["status"], report["recipients"]) == ("sending", 2)
    assert report["counts"] == {
        "pending": 2, "sent": 0, "delivered": 0, "read": 0, "failed": 0, "held": 0,
        "cancelled": 0, "withdrawn": 0,
    }
    assert set(report["by_channel"]) == {"telegram", "twilio"}
    assert set(report["by_language"]) == {"de", "nl"}
    assert app_client.post(f"/api/broadcasts/{bid}/resume", auth=PRESS).status_code == 409
    assert app_client.post(f"/api/broadcasts/{bid}/pause", auth=PRESS).json()["status"] == "paused"
    assert app_client.post(f"/api/broadcasts/{bid}/cancel", auth=PRESS).json()["status"] == (
        "cancelled"
    )
    csv = app_client.get(f"/api/broadcasts/{bid}/recipients.csv", auth=PRESS)
    assert csv.headers["content-type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == 3 and ",cancelled," in csv.text


def test_bad_input_gets_422_with_a_message(app_client: TestClient) -> None:
    subscriber(db_of(app_client), "telegram", "11")
    cases = [
        {**BODY, "texts": {"de": ""}},
        {**BODY, "texts": {"de": "x" * 1500}},
        {**BODY, "topics": ["kirmes"]},
        {**BODY, "send_at": "2020-01-01T10:00:00"},
        {**BODY, "send_at": "morgen"},
        {**BODY, "topics": ["abfall"]},
        {"texts": "nope", "topics": "warnungen"},
    ]
    for body in cases:
        res = app_client.post("/api/broadcasts", json=body, auth=PRESS)
        assert res.status_code == 422, (body, res.text)
        assert res.json()["detail"]


def test_unknown_broadcast_is_404(app_client: TestClient) -> None:
    for path in ("", "/recipients.csv"):
        assert app_client.get(f"/api/broadcasts/999{path}", auth=PRESS).status_code == 404
    for action in ("send", "pause", "resume", "cancel"):
        assert app_client.post(f"/api/broadcasts/999/{action}", auth=PRESS).status_code == 404


def test_images_are_checked_by_their_bytes(app_client: TestClient) -> None:
    fake = {"file": ("photo.png", io.BytesIO(b"GIF89a not really"), "image/png")}
    res = app_client.post("/api/broadcasts/images", files=fake, auth=PRESS)
    assert res.status_code == 422 and "kein Bild" in res.json()["detail"]
    real = {"file": ("photo.png", io.BytesIO(PNG), "image/png")}
    url = app_client.post("/api/broadcasts/images", files=real, auth=PRESS).json()["image_url"]
    served = app_client.get(url)
    assert (served.status_code, served.headers["content-type"], served.content) == (
        200, "image/png", PNG
    )
    subscriber(db_of(app_client), "telegram", "11")
    res = app_client.post("/api/broadcasts", json={**BODY, "image_url": url}, auth=PRESS)
    assert res.status_code == 201


def test_preview_counts_channels_languages_and_the_24_hour_window(
    app_client: TestClient,
) -> None:
    db = db_of(app_client)
    subscriber(db, "telegram", "11", language="en")
    subscriber(db, "whatsapp", "+31612345678", last_inbound_at=utcnow() - timedelta(days=3))
    body = {**BODY, "texts": {"de": "Sturm", "en": "Storm"}}
    res = app_client.post("/api/broadcasts/preview", json=body, auth=PRESS).json()
    assert res["recipients"] == 2
    assert res["by_channel"] == {"telegram": 1, "whatsapp": 1}
    assert res["by_language"] == {"de": 1, "en": 1}
    assert res["outside_window"] == {"whatsapp": 1}
    assert res["unreachable_without_template"] == 1


def test_compose_page_for_the_communications_team(app_client: TestClient) -> None:
    login = app_client.post(
        "/login", data={"username": "press", "password": "press-password-1", "next": "/broadcasts"},
        follow_redirects=False,
    )
    assert login.status_code == 303
    page = app_client.get("/broadcasts")
    assert page.status_code == 200
    assert "Nachricht an Abonnenten" in page.text and "Verkehr &amp; Baustellen" in page.text
