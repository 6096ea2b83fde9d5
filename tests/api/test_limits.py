"""Limits for anonymous traffic (issue 9, finding 6): per session, per IP, new chats per
IP, on `POST /api/chat` and the WebSocket; body size limits (413) on every route."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from starlette.websockets import WebSocketDisconnect

from api.app import create_app
from bot.core.models import Message
from bot.core.settings import Settings
from tests.support import TEST_SECRET_KEY, keyword_engine


@pytest.fixture
def make_client(sqlite_url: str, settings_for) -> Iterator[Callable[..., TestClient]]:
    """A client factory: settings overrides, and the client address to send from."""
    opened: list[TestClient] = []

    def make(ip: str = "203.0.113.7", **overrides: Any) -> TestClient:
        settings = settings_for(sqlite_url, secret_key=TEST_SECRET_KEY, **overrides)
        client = TestClient(create_app(settings, keyword_engine(settings)), client=(ip, 50000))
        opened.append(client.__enter__())
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def chat(client: TestClient, session_id: str | None = None, **body: Any):
    return client.post("/api/chat", json={"session_id": session_id, "text": "hallo", **body})


def assert_limited(response, note: str) -> None:
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    assert response.json() == {"detail": note}


def test_one_session_may_not_flood(make_client) -> None:
    client = make_client(chat_session_messages_per_minute=5)
    session_id = chat(client).json()["session_id"]
    for _ in range(5):
        assert chat(client, session_id).status_code == 200
    assert_limited(
        chat(client, session_id),
        "Sie schreiben gerade sehr schnell. Bitte warten Sie einen Moment, dann geht es weiter.",
    )
    other = chat(client)  # another chat from the same address is not held up
    assert other.status_code == 200


def test_one_address_may_not_flood_over_many_sessions(make_client) -> None:
    client = make_client(chat_session_messages_per_minute=0, chat_ip_messages_per_minute=6)
    sessions = [chat(client).json()["session_id"] for _ in range(3)]
    for session_id in sessions:
        assert chat(client, session_id).status_code == 200
    assert chat(client, sessions[0]).status_code == 429
    elsewhere = make_client(ip="198.51.100.9", chat_ip_messages_per_minute=6)
    assert chat(elsewhere).status_code == 200


def test_new_chats_per_address_are_limited_and_the_note_speaks_the_hint(make_client) -> None:
    client = make_client(chat_new_sessions_per_ip_per_hour=3)
    for _ in range(3):
        assert chat(client, lang="nl").status_code == 200
    assert_limited(chat(client, lang="nl"), "U schrijft erg snel. Wacht even, dan gaan we verder.")
    assert_limited(
        chat(client, "unknown-session-id", lang="en"),
        "You are writing very quickly. Please wait a moment, then we can carry on.",
    )


@pytest.mark.timeout(60)
def test_websocket_messages_count_too_with_one_note(make_client) -> None:
    client = make_client(chat_session_messages_per_minute=2)
    session_id = chat(client).json()["session_id"]  # opening counts per address only
    with client.websocket_connect(f"/api/chat/ws?session_id={session_id}") as ws:
        for _ in range(3):
            ws.send_text('{"text": "danke"}')
        frames = [ws.receive_json()]
        while "error" not in frames[-1] and len(frames) < 10:  # replies and the note, any order
            frames.append(ws.receive_json())
        frame = frames[-1]
        assert frame["error"].startswith("Sie schreiben gerade sehr schnell")
        assert frame["retry_after"] >= 1
        ws.send_text('{"text": "danke"}')  # dropped, no second note
        ws.send_text("x" * 20_000)  # too big a frame: the socket closes
        with pytest.raises(WebSocketDisconnect) as closed:
            for _ in range(20):  # replies still on their way, then the close
                ws.receive_json()
        assert closed.value.code == 1009
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine.db) as session:
        inbound = session.exec(select(Message).where(Message.direction == "in")).all()
    assert len(inbound) == 3  # the opening message and two over the socket


def test_defaults_are_protective() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert 0 < settings.chat_session_messages_per_minute <= 30
    assert 0 < settings.chat_ip_messages_per_minute <= 300
    assert 0 < settings.chat_new_sessions_per_ip_per_hour <= 60


@pytest.mark.parametrize(
    "path, size",
    [
        ("/api/chat", 70_000),
        ("/api/nlu/parse", 70_000),
        ("/webhooks/telegram", 2_000_000),
        ("/api/staff/conversations/1/reply", 2_000_000),
        ("/login", 2_000_000),
    ],
)
def test_oversized_bodies_are_a_413_everywhere(make_client, path: str, size: int) -> None:
    client = make_client()
    response = client.post(
        path, content=b"{" + b" " * size + b"}", headers={"content-type": "application/json"}
    )
    assert response.status_code == 413 and "larger than" in response.json()["detail"]


def test_the_body_limit_is_a_setting(make_client) -> None:
    client = make_client(max_request_bytes=1000)
    response = client.post("/webhooks/whatsapp", content=b"x" * 2000)
    assert response.status_code == 413
