"""Real databases for the action tests: a migrated SQLite file, and PostgreSQL when
`TEST_DATABASE_URL` is set (one throw-away schema per test session, emptied after each
test, dropped at the end so the `test` database stays clean).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from actions.demo import load_demo
from actions.registry import ActionContext, ActionError, run_action
from bot.core.db import make_engine, transaction
from bot.core.models import Contact
from bot.core.settings import Settings
from bot.migrate import upgrade
from bot.schema import metadata
from tests.support import pg_schema

# A fixed "now" in the city's zone, inside the boat season, a weekday morning.
NOW = datetime.fromisoformat("2027-06-01T09:00:00+02:00")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """One migrated PostgreSQL schema for the whole session; `pg_engine` empties it per test."""
    with pg_schema() as url:
        yield url


@pytest.fixture
def sqlite_engine(tmp_path: Any) -> Iterator[Engine]:
    """A fresh, migrated SQLite database file for one test."""
    url = f"sqlite:///{tmp_path / 'stadtbot.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """The session's PostgreSQL schema, emptied after the test."""
    engine = make_engine(pg_url)
    yield engine
    tables = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "pg"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each test that asks for `engine` runs on SQLite and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_engine")


@pytest.fixture
def settings() -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, public_base_url="https://stadtbot.example", secret_key="test-secret"
    )


@pytest.fixture
def demo(engine: Engine) -> dict[str, int]:
    """The demo city loaded into `engine`."""
    with transaction(engine) as session:
        return load_demo(session, now=NOW)


def add_contact(engine: Engine, channel: str = "web", language: str = "de") -> int:
    """A contact row; returns its id."""
    with transaction(engine) as session:
        contact = Contact(channel=channel, channel_user_id=secrets.token_hex(8), language=language)
        session.add(contact)
        session.flush()
        assert contact.id is not None
        return contact.id


@pytest.fixture
def new_contact(engine: Engine) -> Callable[..., int]:
    """Factory: `new_contact(channel="telegram")` → id of a fresh contact."""
    return lambda **kwargs: add_contact(engine, **kwargs)


@pytest.fixture
def now() -> datetime:
    """The tests' fixed local "now"."""
    return NOW


Call = Callable[..., dict[str, Any]]


@pytest.fixture
def call(engine: Engine, settings: Settings) -> Call:
    """Run an action in its own transaction, as the engine does: an `ActionError` is an
    expected outcome whose writes (counted guesses) commit with the reply."""

    def run(name: str, contact_id: int, /, now: datetime = NOW, **params: Any) -> dict[str, Any]:
        with transaction(engine) as session:
            ctx = ActionContext(
                session=session,
                contact_id=contact_id,
                channel="web",
                language="de",
                now=now,
                settings=settings,
            )
            try:
                return run_action(name, ctx, params)
            except ActionError:
                session.commit()
                raise

    return run
