"""The real app (trained NLU, real dialogue) on a fresh SQLite database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.support import NO_CHAT_LIMITS


@pytest.fixture
def client(sqlite_url: str, settings_for) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(sqlite_url, **NO_CHAT_LIMITS))) as test_client:
        yield test_client


@pytest.fixture
def say(client: TestClient):
    """`say(text)` in one session; returns the bot's messages."""
    session: dict[str, str] = {}

    def send(text: str | None = None, payload: str | None = None) -> list[dict]:
        body = {"text": text, "payload": payload, **session}
        res = client.post("/api/chat", json=body)
        assert res.status_code == 200, res.text
        session["session_id"] = res.json()["session_id"]
        return res.json()["messages"]

    return send
