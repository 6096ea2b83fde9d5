"""`stadtbot user token NAME` prints a token that works as Bearer; `--revoke` ends it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from bot.core.db import transaction
from bot.staff import add_user
from tests.support import keyword_engine

STADTBOT = Path(sys.executable).with_name("stadtbot")


def stadtbot(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "LOG_FORMAT": "text"}
    return subprocess.run(
        [str(STADTBOT), *args], env=env, capture_output=True, text=True, timeout=120, cwd="/"
    )


def test_user_token_prints_a_bearer_token_and_revoke_ends_it(
    sqlite_url: str, settings_for
) -> None:
    engine = keyword_engine(settings_for(sqlite_url))
    with transaction(engine.db) as session:
        add_user(session, "clerk", "clerk-password-1", ["staff"])
    made = stadtbot(sqlite_url, "user", "token", "clerk")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("sbt_") and len(token) > 40
    with TestClient(create_app(engine.settings, engine)) as client:
        bearer = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/staff/me", headers=bearer).json()["username"] == "clerk"
        revoked = stadtbot(sqlite_url, "user", "token", "clerk", "--revoke")
        assert revoked.returncode == 0 and "1 token(s) of clerk revoked" in revoked.stdout
        assert client.get("/api/staff/me", headers=bearer).status_code == 401
    assert stadtbot(sqlite_url, "user", "token", "nobody").returncode == 2
    engine.db.dispose()
