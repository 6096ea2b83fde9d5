"""An app on a fresh SQLite database with the keyword NLU, and a TestClient for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bot.core.db import transaction
from tests.support import CLERK, PRESS, keyword_engine


@pytest.fixture
def app_client(sqlite_url: str, settings_for) -> Iterator[TestClient]:
    settings = settings_for(sqlite_url, secret_key="test-secret-key-0123456789")
    engine = keyword_engine(settings)
    with transaction(engine.db) as session:
        CLERK.add(session, ["staff"])
        PRESS.add(session, ["communications"])
    with TestClient(create_app(settings, engine)) as client:
        yield client
