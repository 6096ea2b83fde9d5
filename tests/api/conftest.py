"""An app on a fresh SQLite database with the keyword NLU, and a TestClient for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.support import CLERK, PRESS, TEST_SECRET_KEY, staff_engine


@pytest.fixture
def app_client(sqlite_url: str, settings_for) -> Iterator[TestClient]:
    settings = settings_for(sqlite_url, secret_key=TEST_SECRET_KEY)
    engine = staff_engine(settings, {CLERK: ["staff"], PRESS: ["communications"]})
    with TestClient(create_app(settings, engine)) as client:
        yield client
