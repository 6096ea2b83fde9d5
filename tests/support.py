"""Helpers shared by tests: a keyword NLU stand-in and an app on a real database.

The keyword NLU keeps tests of the engine's bookkeeping, the HTTP layer and the
channels fast and exact; the conversation tests use the trained model.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from bot.core.db import make_engine, normalise_url, transaction
from bot.core.messages import Reply
from bot.core.models import Contact
from bot.core.outbox import enqueue
from bot.core.settings import Settings
from bot.engine import Engine
from bot.inbox import set_memberships
from bot.migrate import upgrade
from bot.staff import StaffUser, add_user
from bot.staff_credentials import StaffToken, digest
from flows.dialogue import Dialogue

KEYWORDS = {
    "hallo": "greet",
    "hilfe": "help",
    "danke": "thanks",
    "tschüss": "goodbye",
    "mitarbeiter": "human_handoff",
}


def keyword_nlu(text: str, lang: str | None, now: datetime) -> dict[str, Any]:
    """Greet/help/thanks/goodbye by keyword, everything else not understood."""
    intent = next((name for word, name in KEYWORDS.items() if word in text.lower()), None)
    confidence = 0.95 if intent else 0.1
    ranking = [
        {"name": intent or "out_of_scope", "confidence": confidence},
        {"name": "help", "confidence": 0.05},
    ]
    return {
        "text": text,
        "intent": ranking[0],
        "intent_ranking": ranking,
        "entities": [],
        "language": lang or "de",
        "language_confidence": 0.5,
    }


def keyword_engine(settings: Settings) -> Engine:
    """An engine on `settings.database_url` with the keyword NLU."""
    return Engine(
        make_engine(settings.database_url), settings, keyword_nlu, Dialogue(threshold=0.5)
    )


# Whole scripted conversations from one test client, faster than any citizen types: the
# chat limits (tests/api/test_limits.py tests them) are off for these suites.
NO_CHAT_LIMITS = {
    "chat_session_messages_per_minute": 0,
    "chat_ip_messages_per_minute": 0,
    "chat_new_sessions_per_ip_per_hour": 0,
}
PG_SKIP_REASON = "TEST_DATABASE_URL not set: PostgreSQL tests skipped"


def _with_search_path(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


@contextmanager
def pg_admin() -> Iterator[tuple[str, Any]]:
    """The test server's URL and an autocommit engine on it (skips without TEST_DATABASE_URL).

    One place that creates and drops test schemas and databases, so cleanup is the same
    for every PostgreSQL test.
    """
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip(PG_SKIP_REASON)
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    try:
        yield base, admin
    finally:
        admin.dispose()


def pg_execute(admin: Any, sql: str, **params: object) -> None:
    """Run one administrative statement (CREATE/DROP …) in autocommit mode."""
    with admin.connect() as conn:
        conn.execute(text(sql), params)


@contextmanager
def pg_schema() -> Iterator[str]:
    """A migrated PostgreSQL schema of its own (skips without TEST_DATABASE_URL); dropped after."""
    schema = f"sb_{uuid.uuid4().hex[:12]}"
    with pg_admin() as (base, admin):
        pg_execute(admin, f'CREATE SCHEMA "{schema}"')
        url = _with_search_path(base, schema)
        try:
            upgrade(url)
            yield url
        finally:
            pg_execute(admin, f'DROP SCHEMA "{schema}" CASCADE')


class StaffLogin(httpx.Auth):
    """A test login: `add` creates the user with a known API token; as httpx's (or
    TestClient's) `auth=` it sends that token as `Authorization: Bearer`."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password
        self.token = f"test-token-{username}-{password}"

    def add(self, session: Session, roles: list[str]) -> StaffUser:
        user = add_user(session, self.username, self.password, roles)
        session.add(StaffToken(token_hash=digest(self.token), user_id=user.id))  # type: ignore[arg-type]
        session.flush()
        return user

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


def staff_engine(
    settings: Settings,
    roles: Mapping[StaffLogin, Sequence[str]],
    teams: Mapping[StaffLogin, Mapping[str, str]] | None = None,
) -> Engine:
    """A keyword engine whose database has these test logins with their roles and team
    memberships (team "default" is the installation's default team)."""
    engine = keyword_engine(settings)
    with transaction(engine.db) as session:
        for login, login_roles in roles.items():
            user = login.add(session, list(login_roles))
            memberships = (teams or {}).get(login)
            if memberships:
                named = {
                    engine.teams.default if team == "default" else team: role
                    for team, role in memberships.items()
                }
                set_memberships(session, user, named, engine.teams)
    return engine


# The staff pages' SECRET_KEY in tests (HMACs of CSRF tokens must be reproducible).
TEST_SECRET_KEY = "test-secret-key-0123456789"
CLERK = StaffLogin("clerk", "clerk-password-1")  # role staff in tests/api's app
PRESS = StaffLogin("press", "press-password-1")  # role communications


def queued_contact(
    session: Session, channel: str, user_id: str, *texts: str, kind: str = "status"
) -> Contact:
    """A new contact with `texts` waiting in the outbox: the dispatcher tests' start."""
    contact = Contact(channel=channel, channel_user_id=user_id)
    session.add(contact)
    session.flush()
    for body in texts:
        enqueue(session, contact, Reply(text=body), kind=kind)
    return contact
