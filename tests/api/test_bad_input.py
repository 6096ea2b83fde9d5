"""No input reaches a 500 (issue 9, finding 5), on SQLite and PostgreSQL.

Each malformed input class is sent to each endpoint it used to break: lone surrogates,
NaN/Infinity/1e999, integers past 2^63, NUL (which only PostgreSQL refuses), deep JSON.
The answer is a 4xx with a fixed `{"detail": str}`, and the log gets one line, no
traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api import reject_log
from api.app import create_app
from tests.support import CLERK, PRESS, TEST_SECRET_KEY, staff_engine

JSON = {"content-type": "application/json"}
HUGE = "9" * 30

# Raw bodies: json.dumps cannot write most of these.
BAD_JSON = {
    "surrogate": b'{"text": "\\ud800"}',
    "low surrogate in a key": b'{"\\udc00": "x", "text": "hallo"}',
    "NaN": b'{"text": NaN}',
    "Infinity": b'{"text": "hallo", "lang": Infinity}',
    "1e999": b'{"text": "hallo", "location": {"latitude": 1e999, "longitude": 1}}',
    "huge integer": b'{"text": "hallo", "message_id": 99999999999999999999999}',
    "NUL": b'{"text": "a\\u0000b"}',
    "deep": b'{"text": "x", "location": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001,
    "not UTF-8": b'{"text": "\xff\xfe"}',
}


@pytest.fixture(autouse=True)
def fresh_log_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts with the whole per-minute budget of refusal lines."""
    monkeypatch.setattr(reject_log, "_budget", reject_log._Budget())


@pytest.fixture
def client(db_url: str, settings_for) -> Iterator[TestClient]:
    settings = settings_for(
        db_url, secret_key=TEST_SECRET_KEY, whatsapp_verify_token="verify-me"
    )
    engine = staff_engine(settings, {CLERK: ["staff"], PRESS: ["communications"]})
    with TestClient(create_app(settings, engine), raise_server_exceptions=False) as test_client:
        yield test_client


def refused(response, caplog: pytest.LogCaptureFixture, status: int = 422) -> None:
    """A fixed-text 4xx, no 500, no traceback anywhere in the log."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str)
    assert not any(r.exc_info or r.levelno >= logging.ERROR for r in caplog.records)
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("path", ["/api/chat", "/api/nlu/parse"])
@pytest.mark.parametrize("kind", sorted(BAD_JSON))
def test_malformed_json_is_a_fixed_422(
    client: TestClient, caplog: pytest.LogCaptureFixture, path: str, kind: str
) -> None:
    caplog.set_level(logging.INFO)
    refused(client.post(path, content=BAD_JSON[kind], headers=JSON), caplog)
    assert len([r for r in caplog.records if r.name == "stadtbot.rejected"]) == 1


@pytest.mark.parametrize("kind", ["NaN", "NUL", "surrogate"])
def test_a_second_content_type_does_not_skip_the_checks(
    client: TestClient, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    """FastAPI reads the body by the first Content-Type; a harmless last one must not
    let the JSON past the guard."""
    headers = [("content-type", "application/json"), ("content-type", "text/plain")]
    refused(client.post("/api/chat", content=BAD_JSON[kind], headers=headers), caplog)


@pytest.mark.parametrize("field", ["text", "payload", "session_id", "message_id"])
def test_nul_in_any_chat_field(
    client: TestClient, caplog: pytest.LogCaptureFixture, field: str
) -> None:
    session_id = client.post("/api/chat", json={}).json()["session_id"]
    body = {"session_id": session_id, "text": "hallo", field: "a\x00b"}
    refused(client.post("/api/chat", json=body), caplog)


def test_nul_in_history_login_merchant_and_ticket_paths(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    refused(client.get("/api/chat/history", params={"session_id": "a\x00b"}), caplog)
    refused(client.post("/login", data={"username": "clerk\x00", "password": "x"}), caplog)
    refused(client.get("/m/abc%00def"), caplog)
    refused(client.get("/qr/ticket/AB%00C", params={"token": "x"}), caplog)
    refused(client.get("/qr/ticket/ABC", params={"token": "x\x00"}), caplog)


def test_non_ascii_verify_token_is_a_403_not_a_crash(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "vérify", "hub.challenge": "42"}
    refused(client.get("/webhooks/whatsapp", params=params), caplog, status=403)


@pytest.mark.parametrize(
    "method, path, auth",
    [
        ("get", f"/api/staff/conversations/{HUGE}", CLERK),
        ("get", "/api/staff/conversations/10696200703524", CLERK),  # past PostgreSQL INTEGER
        ("post", f"/api/staff/conversations/{HUGE}/claim", CLERK),
        ("post", f"/api/staff/conversations/{HUGE}/close", CLERK),
        ("get", f"/api/broadcasts/{HUGE}", PRESS),
        ("post", f"/api/broadcasts/{HUGE}/pause", PRESS),
        ("get", f"/api/broadcasts/{HUGE}/recipients.csv", PRESS),
        ("get", f"/media/broadcasts/{HUGE}", None),
    ],
)
def test_ids_past_2_63_in_paths(
    client: TestClient, caplog: pytest.LogCaptureFixture, method: str, path: str, auth
) -> None:
    refused(client.request(method, path, auth=auth), caplog)


def test_a_shop_poster_with_a_huge_id_is_a_plain_poster(client: TestClient) -> None:
    response = client.get(f"/qr/poster/shop_{HUGE}")
    assert response.status_code == 200 and "Die Stadt im Chat" in response.text
    chat = client.post("/api/chat", json={"payload": f"start:shop_{HUGE}"})
    assert chat.status_code == 200


def test_longitude_false_is_not_zero(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    body = {"location": {"latitude": 52.07, "longitude": False}}
    refused(client.post("/api/chat", json=body), caplog)


def test_validation_errors_do_not_echo_the_input(client: TestClient) -> None:
    secret = "my-private-text-" + "x" * 4000
    response = client.post("/api/chat", json={"text": secret})
    assert response.status_code == 422
    assert response.json() == {"detail": "body.text: String should have at most 4000 characters"}


def test_websocket_frames_with_bad_text_get_an_error_frame(client: TestClient) -> None:
    session_id = client.post("/api/chat", json={}).json()["session_id"]
    with client.websocket_connect(f"/api/chat/ws?session_id={session_id}") as ws:
        ws.send_text('{"text": "a\\u0000b"}')
        assert "NUL" in ws.receive_json()["error"]
        ws.send_text('{"text": "\\ud800"}')
        assert "surrogates" in ws.receive_json()["error"]


def test_a_message_id_of_another_session_is_not_a_500_or_a_replay(client: TestClient) -> None:
    """Found by Schemathesis: web message ids were deduped per channel, so a second chat
    reusing one crashed (IntegrityError) or got the first chat's stored replies."""
    first = client.post("/api/chat", json={"text": "Hilfe", "message_id": "m-1"})
    second = client.post("/api/chat", json={"text": "Danke", "message_id": "m-1"})
    assert first.status_code == second.status_code == 200
    assert first.json()["session_id"] != second.json()["session_id"]
    assert first.json()["messages"] != second.json()["messages"]
    again = client.post("/api/chat", json={"message_id": "", "text": "Danke"})
    assert again.status_code == 200
    same = {"session_id": first.json()["session_id"], "text": "Hilfe", "message_id": "m-1"}
    assert client.post("/api/chat", json=same).json()["messages"] == first.json()["messages"]
