"""The web chat API: sessions, replies, history, WebSocket and every kind of bad input."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import CLERK


def test_first_call_opens_a_session_with_a_greeting(app_client: TestClient) -> None:
    res = app_client.post("/api/chat", json={})
    assert res.status_code == 200
    body = res.json()
    assert len(body["session_id"]) >= 32
    assert "Stadtbot" in body["messages"][0]["text"]
    assert {"title", "payload"} <= set(body["messages"][0]["buttons"][0])


def test_conversation_continues_in_the_same_session(app_client: TestClient) -> None:
    sid = app_client.post("/api/chat", json={"text": "Hallo"}).json()["session_id"]
    res = app_client.post("/api/chat", json={"session_id": sid, "text": "Hilfe"})
    assert res.json()["session_id"] == sid
    assert "abbrechen" in res.json()["messages"][0]["text"]


def test_unknown_session_id_gets_a_new_session(app_client: TestClient) -> None:
    res = app_client.post("/api/chat", json={"session_id": "made-up", "text": "Hallo"})
    assert res.status_code == 200
    assert res.json()["session_id"] != "made-up"


def test_replayed_message_id_gets_no_second_reply(app_client: TestClient) -> None:
    sid = app_client.post("/api/chat", json={"text": "Hallo"}).json()["session_id"]
    first = app_client.post("/api/chat", json={"session_id": sid, "text": "?", "message_id": "m-1"})
    again = app_client.post("/api/chat", json={"session_id": sid, "text": "?", "message_id": "m-1"})
    assert first.json()["messages"] == again.json()["messages"]
    history = app_client.get("/api/chat/history", params={"session_id": sid}).json()["messages"]
    assert [m["direction"] for m in history] == ["in", "out", "in", "out"]
    assert history[2]["text"] == "?"


def test_history_keeps_the_conversation_for_a_reload(app_client: TestClient) -> None:
    sid = app_client.post("/api/chat", json={"text": "Hallo"}).json()["session_id"]
    app_client.post("/api/chat", json={"session_id": sid, "payload": "intent:help"})
    history = app_client.get("/api/chat/history", params={"session_id": sid}).json()
    texts = [m["text"] for m in history["messages"]]
    assert texts[0] == "Hallo" and "Stadtbot" in texts[1] and "abbrechen" in texts[-1]


def test_history_of_unknown_session_is_404(app_client: TestClient) -> None:
    assert app_client.get("/api/chat/history", params={"session_id": "nope"}).status_code == 404


def test_empty_text_in_a_known_session_is_a_clear_400(app_client: TestClient) -> None:
    sid = app_client.post("/api/chat", json={}).json()["session_id"]
    res = app_client.post("/api/chat", json={"session_id": sid, "text": "   \x07\x1b "})
    assert res.status_code == 400
    assert "empty" in res.json()["detail"]
    # NUL is refused before the route (PostgreSQL cannot store it): tests/api/test_bad_input.py
    res = app_client.post("/api/chat", json={"session_id": sid, "text": "\x00"})
    assert res.status_code == 422


def test_too_long_text_is_refused_and_nothing_stored(app_client: TestClient) -> None:
    sid = app_client.post("/api/chat", json={}).json()["session_id"]
    res = app_client.post("/api/chat", json={"session_id": sid, "text": "x" * 4001})
    assert res.status_code == 422
    assert "4000" in res.text
    history = app_client.get("/api/chat/history", params={"session_id": sid}).json()["messages"]
    assert len(history) == 2  # only the opening and the greeting


def test_malformed_and_binary_bodies_are_4xx(app_client: TestClient) -> None:
    headers = {"content-type": "application/json"}
    assert app_client.post("/api/chat", content=b"{not json", headers=headers).status_code == 422
    assert (
        app_client.post("/api/chat", content=b"\xff\xfe\x00\x01", headers=headers).status_code
        == 422
    )
    assert app_client.post("/api/chat", json=["a", "list"]).status_code == 422
    assert app_client.post("/api/chat", json={"text": 5}).status_code == 422
    assert app_client.post("/api/chat", json={"text": "hi", "lang": "fr"}).status_code == 422


def test_huge_body_is_413(app_client: TestClient) -> None:
    res = app_client.post(
        "/api/chat",
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"content-type": "application/json"},
    )
    assert res.status_code == 413


def test_control_characters_are_stripped_not_stored(app_client: TestClient) -> None:
    res = app_client.post("/api/chat", json={"text": "Hal\x07lo\x1b"})  # NUL: a 422
    sid = res.json()["session_id"]
    history = app_client.get("/api/chat/history", params={"session_id": sid}).json()["messages"]
    assert history[0]["text"] == "Hallo"


def test_websocket_pushes_a_staff_reply(app_client: TestClient) -> None:
    sid = app_client.post("/api/chat", json={"text": "Hallo"}).json()["session_id"]
    with app_client.websocket_connect(f"/api/chat/ws?session_id={sid}") as ws:
        res = app_client.post(
            "/api/staff/conversations/1/reply",
            json={"text": "Hier Bürgerbüro"},
            auth=CLERK,
        )
        assert res.status_code == 201
        pushed = ws.receive_json()
    assert pushed["text"] == "Hier Bürgerbüro" and pushed["author"] == "clerk"


def test_websocket_accepts_messages_and_pushes_replies(app_client: TestClient) -> None:
    sid = app_client.post("/api/chat", json={}).json()["session_id"]
    with app_client.websocket_connect(f"/api/chat/ws?session_id={sid}") as ws:
        ws.send_text('{"text": "Hilfe"}')
        assert "abbrechen" in ws.receive_json()["text"]
        ws.send_text('{"text": 12}')
        assert "error" in ws.receive_json()


def test_websocket_with_unknown_session_is_closed(app_client: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    try:
        with app_client.websocket_connect("/api/chat/ws?session_id=unknown") as ws:
            ws.receive_json()
        raise AssertionError("connection should have been refused")
    except WebSocketDisconnect as exc:
        assert exc.code == 4404


def test_chat_page_is_served(app_client: TestClient) -> None:
    res = app_client.get("/chat?start=boat_dock")
    assert res.status_code == 200 and "<textarea" in res.text and 'lang="de"' in res.text
