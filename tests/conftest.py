"""Shared fixtures: real databases (SQLite files, PostgreSQL schemas) and settings.

PostgreSQL tests run when TEST_DATABASE_URL is set (CI sets it) and skip with a clear
reason otherwise. Each PostgreSQL test gets its own schema, dropped afterwards, so the
shared `test` database stays clean.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from actions import service_rules
from bot.core.settings import Settings
from bot.migrate import upgrade
from flows import services
from flows.dialogue import DEFINITIONS_DIR
from flows.loader import load_flows
from tests.support import pg_schema


@pytest.fixture(autouse=True, scope="session")
def city_services() -> None:
    """The shipped services' rules known to the actions, as `build_engine` registers them
    (tests that call actions directly build no engine)."""
    service_rules.register(services.backend_rules(load_flows([DEFINITIONS_DIR])))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite database in a temporary file."""
    url = f"sqlite:///{tmp_path / 'stadtbot.db'}"
    upgrade(url)
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A migrated PostgreSQL schema for this test alone."""
    with pg_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test using it runs on SQLite and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return request.getfixturevalue(name)


@pytest.fixture
def settings_for():
    """Settings for a given database URL, isolated from the developer's `.env`. The
    first-contact privacy notice is off unless a test asks for it (tests/engine/
    test_privacy_notice.py does), so the other tests read the replies they are about."""

    def make(url: str, **overrides: object) -> Settings:
        overrides.setdefault("privacy_notice", False)
        return Settings(_env_file=None, database_url=url, **overrides)  # type: ignore[call-arg]

    return make
