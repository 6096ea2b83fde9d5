"""Schemathesis against `/openapi.json` (issue 9, finding 8): for inputs generated from the
document itself (valid ones and broken ones), every answer is documented: no 500, the
status code is listed for the operation, and the body matches its schema.

The app is the real one on SQLite and on PostgreSQL (which refuses more: NUL, range)
with the keyword NLU, called in-process over ASGI, as a
logged-in admin with every role (Bearer token), so the staff and broadcast routes are
reached too. Examples per operation are bounded to keep the run near a minute.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from tests.support import NO_CHAT_LIMITS, TEST_SECRET_KEY, StaffLogin, staff_engine

ADMIN = StaffLogin("admin", "admin-password-1")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Streams (server-sent events) never end; WebSockets are not in the document.
SKIPPED = {"/api/staff/events"}
EXAMPLES = 25


@pytest.fixture
def app(db_url: str, settings_for) -> Iterator[FastAPI]:
    config = settings_for(db_url, secret_key=TEST_SECRET_KEY, **NO_CHAT_LIMITS)
    engine = staff_engine(config, {ADMIN: ["staff", "communications", "admin"]})
    yield create_app(config, engine)
    engine.db.dispose()


def test_every_answer_is_documented(app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {ADMIN.token}"}
    failures: dict[str, str] = {}
    calls = [0]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:
        if operation.path in SKIPPED:
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case) -> None:
            calls[0] += 1
            case.call_and_validate(checks=CHECKS, headers=headers)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup too
            failures[operation.label] = str(exc)[:1500]
    assert calls[0] > 5 * len(operations), calls
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
