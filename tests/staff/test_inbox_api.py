"""The staff API end to end on a real database: queue, claim, reply, notes, hand back,
close and rating, audit log, team visibility, roles, and the admin endpoints."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.app import create_app
from bot.core.models import Outbox
from tests.support import TEST_SECRET_KEY, StaffLogin, staff_engine

CLERK = StaffLogin("clerk", "clerk-password-1")
COLLEAGUE = StaffLogin("colleague", "colleague-password-1")
BAUHOF = StaffLogin("digger", "digger-password-1")
PRESS = StaffLogin("press", "press-password-1")
BOSS = StaffLogin("boss", "boss-password-12")


@pytest.fixture
def client(sqlite_url: str, settings_for) -> Iterator[TestClient]:
    settings = settings_for(sqlite_url, secret_key=TEST_SECRET_KEY)
    logins = {CLERK: ["staff"], COLLEAGUE: ["staff"], BAUHOF: ["staff"],
              PRESS: ["communications"], BOSS: ["admin"]}
    engine = staff_engine(settings, logins, {BAUHOF: {"bauhof": "member"}})
    with TestClient(create_app(settings, engine)) as test_client:
        yield test_client


def escalate(client: TestClient, text: str = "Mitarbeiter bitte") -> tuple[str, int]:
    """A web citizen asks for a person; returns the session id and conversation id."""
    res = client.post("/api/chat", json={"text": text}).json()
    queue = client.get("/api/staff/conversations?status=waiting", auth=CLERK).json()
    return res["session_id"], queue[-1]["id"]


def test_queue_has_specs_fields_waiting_first(client: TestClient) -> None:
    _, first = escalate(client)
    _, second = escalate(client)
    client.post(f"/api/staff/conversations/{second}/claim", auth=CLERK)
    rows = client.get("/api/staff/conversations", auth=CLERK).json()
    assert [r["id"] for r in rows] == [first, second]
    spec = {"id", "channel", "language", "status", "team", "assignee", "waiting_since", "reason"}
    assert spec <= set(rows[0])
    assert (rows[0]["status"], rows[0]["team"], rows[0]["channel"]) == (
        "waiting",
        "buergerbuero",
        "web",
    )
    assert (rows[1]["status"], rows[1]["assignee"]) == ("open", "clerk")
    assert [
        r["id"] for r in client.get("/api/staff/conversations?status=open", auth=CLERK).json()
    ] == [second]
    assert client.get("/api/staff/conversations?status=nonsense", auth=CLERK).status_code == 422


def test_claim_is_exclusive_and_the_transcript_shows_understanding(client: TestClient) -> None:
    _, cid = escalate(client)
    assert client.post(f"/api/staff/conversations/{cid}/claim", auth=CLERK).status_code == 200
    assert client.post(f"/api/staff/conversations/{cid}/claim", auth=CLERK).status_code == 200
    taken = client.post(f"/api/staff/conversations/{cid}/claim", auth=COLLEAGUE)
    assert taken.status_code == 409 and "clerk" in taken.json()["detail"]
    assert (
        client.post(
            f"/api/staff/conversations/{cid}/reply", json={"text": "x"}, auth=COLLEAGUE
        ).status_code
        == 409
    )
    detail = client.get(f"/api/staff/conversations/{cid}", auth=CLERK).json()
    first = detail["messages"][0]
    assert (first["direction"], first["intent"], first["confidence"]) == (
        "in",
        "human_handoff",
        0.95,
    )
    assert {"id", "direction", "author", "text", "intent", "confidence", "created_at"} <= set(first)
    assert detail["contact"]["channel"] == "web" and detail["contact"]["cases"] == []
    assert detail["window"] == {
        "applies": False,
        "open": True,
        "template": None,
        "template_text": None,
    }


def test_reply_note_release_and_the_bot_answers_again(client: TestClient) -> None:
    sid, cid = escalate(client)
    res = client.post(
        f"/api/staff/conversations/{cid}/reply", json={"text": "Guten Tag!"}, auth=CLERK
    )
    assert res.status_code == 201 and res.json()["author"] == "clerk"
    note = client.post(
        f"/api/staff/conversations/{cid}/notes", json={"text": "Ruft morgen an"}, auth=CLERK
    )
    assert note.status_code == 201
    history = client.get("/api/chat/history", params={"session_id": sid}).json()["messages"]
    texts = [m["text"] for m in history]
    assert "Guten Tag!" in texts and "Ruft morgen an" not in texts
    assert (
        client.post("/api/chat", json={"session_id": sid, "text": "Danke"}).json()["messages"] == []
    )
    release = client.post(
        f"/api/staff/conversations/{cid}/release", json={"flow": "report_issue"}, auth=CLERK
    )
    assert release.status_code == 204
    history = client.get("/api/chat/history", params={"session_id": sid}).json()["messages"]
    assert history[-1]["text"].startswith("Sie sprechen wieder mit dem Stadtbot")
    assert [b["payload"] for b in history[-1]["buttons"]] == ["flow:report_issue"]
    assert (
        "Gern geschehen"
        in client.post("/api/chat", json={"session_id": sid, "text": "Danke"}).json()["messages"][
            0
        ]["text"]
    )
    detail = client.get(f"/api/staff/conversations/{cid}", auth=CLERK).json()
    assert [n["text"] for n in detail["notes"]] == ["Ruft morgen an"]
    assert [(a["actor"], a["action"]) for a in detail["audit"]] == [
        ("bot", "escalate"),
        ("clerk", "claim"),
        ("clerk", "reply"),
        ("clerk", "note"),
        ("clerk", "release"),
    ]
    assert detail["status"] == "closed"


def test_close_asks_for_a_rating_which_lands_on_the_admin_page(client: TestClient) -> None:
    sid, cid = escalate(client)
    client.post(f"/api/staff/conversations/{cid}/claim", auth=CLERK)
    assert client.post(f"/api/staff/conversations/{cid}/close", auth=CLERK).status_code == 204
    question = client.get("/api/chat/history", params={"session_id": sid}).json()["messages"][-1]
    assert "1 (gar nicht) bis 5" in question["text"]
    assert [b["payload"] for b in question["buttons"]] == [f"rate:{n}" for n in range(1, 6)] + [
        "rate:skip"
    ]
    ask = client.post("/api/chat", json={"session_id": sid, "text": "4"}).json()["messages"]
    assert "noch etwas dazu" in ask[0]["text"]
    done = client.post("/api/chat", json={"session_id": sid, "text": "Sehr freundlich"}).json()
    assert done["messages"][0]["text"] == "Vielen Dank für Ihre Rückmeldung!"
    assert (
        "Stadtbot"
        in client.post("/api/chat", json={"session_id": sid, "text": "Hallo"}).json()["messages"][
            0
        ]["text"]
    )
    assert client.get("/api/staff/ratings", auth=CLERK).status_code == 403
    ratings = {r["team"]: r for r in client.get("/api/staff/ratings", auth=BOSS).json()}
    assert ratings["buergerbuero"]["count"] == 1 and ratings["buergerbuero"]["average"] == 4
    assert ratings["buergerbuero"]["comments"][0]["comment"] == "Sehr freundlich"
    assert ratings["bauhof"]["count"] == 0


def test_rating_can_be_skipped_by_writing_something_else(client: TestClient) -> None:
    sid, cid = escalate(client)
    client.post(f"/api/staff/conversations/{cid}/close", auth=CLERK)
    assert (
        "Stadtbot"
        in client.post("/api/chat", json={"session_id": sid, "text": "Hallo"}).json()["messages"][
            0
        ]["text"]
    )
    ratings = client.get("/api/staff/ratings", auth=BOSS).json()
    assert sum(r["count"] for r in ratings) == 0


def test_roles_and_teams_decide_who_sees_what(client: TestClient) -> None:
    _, cid = escalate(client)
    assert client.get("/api/staff/conversations").status_code == 401
    assert client.get(f"/api/staff/conversations/{cid}", auth=PRESS).status_code == 403
    assert client.get("/api/staff/conversations", auth=BAUHOF).json() == []
    assert client.get(f"/api/staff/conversations/{cid}", auth=BAUHOF).status_code == 403
    assert client.post(f"/api/staff/conversations/{cid}/claim", auth=BAUHOF).status_code == 403
    grant = client.patch(
        "/api/staff/users/digger",
        json={"teams": {"bauhof": "member", "buergerbuero": "reader"}},
        auth=BOSS,
    )
    assert grant.status_code == 200 and grant.json()["effective_teams"]["buergerbuero"] == "reader"
    assert client.get(f"/api/staff/conversations/{cid}", auth=BAUHOF).status_code == 200
    assert client.post(f"/api/staff/conversations/{cid}/claim", auth=BAUHOF).status_code == 403
    moved = client.post(
        f"/api/staff/conversations/{cid}/assign", json={"team": "bauhof"}, auth=CLERK
    )
    assert moved.status_code == 200 and moved.json()["team"] == "bauhof"
    assert client.post(f"/api/staff/conversations/{cid}/claim", auth=BAUHOF).status_code == 200
    assert client.get(f"/api/staff/conversations/{cid}", auth=CLERK).status_code == 403
    assert client.get("/api/staff/conversations/999", auth=CLERK).status_code == 404


def test_assign_to_a_colleague(client: TestClient) -> None:
    _, cid = escalate(client)
    res = client.post(
        f"/api/staff/conversations/{cid}/assign", json={"assignee": "colleague"}, auth=CLERK
    )
    assert res.status_code == 200 and res.json()["assignee"] == "colleague"
    assert (
        client.post(
            f"/api/staff/conversations/{cid}/assign", json={"assignee": "press"}, auth=CLERK
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/api/staff/conversations/{cid}/assign", json={"team": "nowhere"}, auth=CLERK
        ).status_code
        == 422
    )


def logs_in(client: TestClient, username: str, password: str) -> bool:
    """Log in through the form, replacing the client's session cookie."""
    client.cookies.clear()
    res = client.post(
        "/login", data={"username": username, "password": password}, follow_redirects=False
    )
    return res.status_code == 303


def test_admin_adds_disables_and_resets_users(client: TestClient) -> None:
    assert client.get("/api/staff/users", auth=CLERK).status_code == 403
    new = client.post(
        "/api/staff/users",
        json={"username": "neu", "password": "neu-password-1", "teams": {"ordnungsamt": "member"}},
        auth=BOSS,
    )
    assert new.status_code == 201 and new.json()["teams"] == {"ordnungsamt": "member"}
    assert (
        client.post(
            "/api/staff/users", json={"username": "neu", "password": "x" * 12}, auth=BOSS
        ).status_code
        == 409
    )
    assert logs_in(client, "neu", "neu-password-1")
    assert client.get("/api/staff/me").json()["teams"] == {"ordnungsamt": "member"}
    client.patch("/api/staff/users/neu", json={"password": "anderes-passwort"}, auth=BOSS)
    assert client.get("/api/staff/me").status_code == 401  # the new password ended the session
    assert not logs_in(client, "neu", "neu-password-1")
    assert logs_in(client, "neu", "anderes-passwort")
    assert client.get("/api/staff/me").status_code == 200
    client.patch("/api/staff/users/neu", json={"active": False}, auth=BOSS)
    assert client.get("/api/staff/me").status_code == 401  # disabled: the session ended too
    assert not logs_in(client, "neu", "anderes-passwort")
    client.cookies.clear()
    assert (
        client.patch("/api/staff/users/boss", json={"active": False}, auth=BOSS).status_code == 409
    )
    assert (
        client.patch("/api/staff/users/nobody", json={"active": False}, auth=BOSS).status_code
        == 404
    )
    bad = client.patch("/api/staff/users/neu", json={"teams": {"mars": "member"}}, auth=BOSS)
    assert bad.status_code == 422


def test_staff_reply_on_whatsapp_is_queued_for_the_dispatcher(client: TestClient) -> None:
    _, cid = escalate(client)
    client.post(f"/api/staff/conversations/{cid}/reply", json={"template": True}, auth=CLERK)
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine.db) as session:
        rows = session.exec(select(Outbox).order_by(Outbox.id)).all()
    assert rows[-1].body["kind"] == "staff" and "Antwort auf Ihre Anfrage" in rows[-1].body["text"]


def test_openapi_documents_the_staff_api_with_response_models(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/staff/conversations",
        "/api/staff/conversations/{conversation_id}",
        "/api/staff/conversations/{conversation_id}/claim",
        "/api/staff/conversations/{conversation_id}/reply",
        "/api/staff/conversations/{conversation_id}/notes",
        "/api/staff/ratings",
        "/api/staff/users",
    ):
        operation = next(iter(paths[path].values()))
        ok = operation["responses"].get("200") or operation["responses"]["201"]
        assert "$ref" in str(ok["content"]["application/json"]["schema"]), path
    assert "/api/staff/conversations/{conversation_id}/release" in paths
