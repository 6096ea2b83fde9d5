"""Shared fixtures: real databases (SQLite files, PostgreSQL schemas) and settings.

PostgreSQL tests run when TEST_DATABASE_URL is set (CI sets it) and skip with a clear
reason otherwise. Each PostgreSQL test gets its own schema, dropped afterwards, so the
shared `test` database stays clean.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.db import normalise_url
from bot.migrate import upgrade
from bot.settings import Settings

PG_SKIP_REASON = "TEST_DATABASE_URL not set: PostgreSQL tests skipped"


def _with_search_path(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated SQLite database in a temporary file."""
    url = f"sqlite:///{tmp_path / 'stadtbot.db'}"
    upgrade(url)
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A migrated PostgreSQL schema of its own, dropped after the test."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip(PG_SKIP_REASON)
    schema = f"sb_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _with_search_path(base, schema)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test using it runs on SQLite and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return request.getfixturevalue(name)


@pytest.fixture
def settings_for():
    """Settings for a given database URL, isolated from the developer's `.env`."""

    def make(url: str, **overrides: object) -> Settings:
        return Settings(_env_file=None, database_url=url, **overrides)  # type: ignore[call-arg]

    return make
