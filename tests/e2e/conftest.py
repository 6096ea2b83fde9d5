"""The whole bot over HTTP: trained NLU, real dialogue and flows, demo city data.

Each test gets a fresh SQLite database, migrated and loaded with the demo data, and
talks to `POST /api/chat` as the web page does. Times are the real clock: the flows
compute "morgen" from `turn.now`, and the demo dock is open every day.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from actions.demo import load_demo
from api.app import create_app
from bot.core.db import make_engine, transaction
from tests.support import NO_CHAT_LIMITS


@pytest.fixture
def app_settings() -> dict[str, Any]:
    """Settings a test module adds to the app's (override it, e.g. EXTRA_FLOWS_DIR)."""
    return {}


@pytest.fixture
def client(sqlite_url: str, settings_for, app_settings: dict[str, Any]) -> Iterator[TestClient]:
    settings = settings_for(sqlite_url, **{**NO_CHAT_LIMITS, **app_settings})
    db = make_engine(sqlite_url)
    with transaction(db) as session:
        load_demo(session)
    db.dispose()
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@dataclass
class WebChat:
    """One web chat session: `send` a text or tap a payload, read the bot's replies."""

    client: TestClient
    lang: str | None = None
    session_id: str | None = None
    last: list[dict[str, Any]] = field(default_factory=list)

    def send(self, text: str | None = None, payload: str | None = None) -> str:
        """One message; returns the replies' texts joined, keeps them in `last`."""
        body: dict[str, Any] = {"text": text, "payload": payload}
        if self.session_id:
            body["session_id"] = self.session_id
        if self.lang:
            body["lang"] = self.lang
        res = self.client.post("/api/chat", json=body)
        assert res.status_code == 200, res.text
        self.session_id = res.json()["session_id"]
        self.last = res.json()["messages"]
        return "\n".join(m["text"] for m in self.last)

    def payloads(self) -> list[str]:
        return [b["payload"] for m in self.last for b in m.get("buttons", [])]

    def images(self) -> list[str]:
        return [m["image_url"] for m in self.last if m.get("image_url")]


@pytest.fixture
def chat(client: TestClient):
    """`chat()` opens a new web chat session (optionally in a fixed language)."""

    def open_chat(lang: str | None = None) -> WebChat:
        return WebChat(client, lang)

    return open_chat
