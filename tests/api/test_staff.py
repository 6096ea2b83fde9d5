"""Staff pages and API: login, roles, escaping of citizens' text, handing back to the bot."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import CLERK, PRESS, StaffLogin


def test_staff_api_needs_a_login(app_client: TestClient) -> None:
    assert app_client.get("/api/staff/conversations").status_code == 401
    wrong = StaffLogin("clerk", "wrong")
    assert app_client.get("/api/staff/conversations", auth=wrong).status_code == 401


def test_staff_api_needs_the_staff_role(app_client: TestClient) -> None:
    res = app_client.get("/api/staff/conversations", auth=PRESS)
    assert res.status_code == 403


def test_unknown_conversation_is_404(app_client: TestClient) -> None:
    assert app_client.get("/api/staff/conversations/999", auth=CLERK).status_code == 404
    res = app_client.post("/api/staff/conversations/999/reply", json={"text": "x"}, auth=CLERK)
    assert res.status_code == 404


def test_staff_page_redirects_to_login_then_escapes_citizen_text(app_client: TestClient) -> None:
    app_client.post("/api/chat", json={"text": "<script>alert('x')</script> Hallo"})
    res = app_client.get("/staff", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"].startswith("/login")
    login = app_client.post(
        "/login", data={"username": "clerk", "password": "clerk-password-1"}, follow_redirects=False
    )
    assert login.status_code == 303
    assert "httponly" in login.headers["set-cookie"].lower()
    page = app_client.get("/staff?conversation=1")
    assert page.status_code == 200
    # The page is a shell without inline script; the citizen's text arrives as JSON and
    # is set as text by static/staff.js (tests/staff/test_inbox_browser.py runs it).
    assert "<script>alert" not in page.text and "<script>\n" not in page.text


def test_wrong_password_on_the_login_page(app_client: TestClient) -> None:
    res = app_client.post("/login", data={"username": "clerk", "password": "nope"})
    assert res.status_code == 401 and "falsch" in res.text


def test_open_redirect_is_refused(app_client: TestClient) -> None:
    res = app_client.post(
        "/login",
        data={"username": "clerk", "password": "clerk-password-1", "next": "//evil.example"},
        follow_redirects=False,
    )
    assert res.headers["location"] == "/staff"


def test_staff_reply_and_release(app_client: TestClient) -> None:
    sid = app_client.post("/api/chat", json={"text": "?"}).json()["session_id"]
    app_client.post("/api/chat", json={"session_id": sid, "text": "??"})  # handoff offer
    app_client.post("/api/chat", json={"session_id": sid, "payload": "intent:affirm"})
    quiet = app_client.post("/api/chat", json={"session_id": sid, "text": "Hallo?"})
    assert quiet.json()["messages"] == []
    conversations = app_client.get("/api/staff/conversations?mode=human", auth=CLERK).json()
    assert [c["mode"] for c in conversations] == ["human"]
    conv_id = conversations[0]["id"]
    app_client.post(
        f"/api/staff/conversations/{conv_id}/reply",
        json={"text": "Wie kann ich helfen?"},
        auth=CLERK,
    )
    assert (
        app_client.post(f"/api/staff/conversations/{conv_id}/release", auth=CLERK).status_code
        == 204
    )
    back = app_client.post("/api/chat", json={"session_id": sid, "text": "Hallo"})
    assert "Stadtbot" in back.json()["messages"][0]["text"]
    transcript = app_client.get(f"/api/staff/conversations/{conv_id}", auth=CLERK).json()
    assert "Wie kann ich helfen?" in [m["text"] for m in transcript["messages"]]
