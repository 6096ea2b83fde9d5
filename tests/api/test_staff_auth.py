"""Staff authentication as an attacker probes it, on SQLite and PostgreSQL: password
guessing at /login and with HTTP Basic, forged and ended session cookies, API tokens,
CSRF from another origin, and the generated SECRET_KEY."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer

from api.app import create_app
from api.auth import COOKIE
from bot.cli import proxy_options
from bot.core.db import transaction
from bot.core.models import utcnow
from bot.core.throttle import prune
from bot.engine import Engine
from bot.migrate import upgrade
from bot.staff import find_user
from bot.staff_credentials import (
    LOGIN_TRIES_PER_ADDRESS,
    new_token,
    prune_sessions,
    revoke_tokens,
    set_active,
)
from tests.fakes.server import ServerThread
from tests.support import CLERK, PRESS, StaffLogin, keyword_engine

REPLY = "/api/staff/conversations/1/reply"


@dataclass
class App:
    engine: Engine
    client: TestClient


@pytest.fixture
def app(db_url: str, settings_for) -> Iterator[App]:
    engine = keyword_engine(settings_for(db_url))  # no SECRET_KEY: one is generated
    with transaction(engine.db) as session:
        CLERK.add(session, ["staff"])
        PRESS.add(session, ["communications"])
    with TestClient(create_app(engine.settings, engine)) as client:
        yield App(engine, client)
    engine.db.dispose()


def login(client: TestClient, password: str, username: str = "clerk", **headers: str) -> int:
    res = client.post(
        "/login",
        data={"username": username, "password": password, "next": "/staff"},
        headers=headers,
        follow_redirects=False,
    )
    return res.status_code


def csrf(client: TestClient) -> str:
    """The token the staff page carries in its <meta name="csrf-token">."""
    page = client.get("/staff").text
    return page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


def escalate(client: TestClient) -> None:
    client.post("/api/chat", json={"text": "Mitarbeiter bitte"})


def test_login_guesses_are_counted_in_the_database_and_lock_the_right_password(
    app: App,
) -> None:
    codes = [login(app.client, f"wrong-{n}") for n in range(LOGIN_TRIES_PER_ADDRESS)]
    assert codes == [401] * LOGIN_TRIES_PER_ADDRESS
    locked = app.client.post(
        "/login", data={"username": "clerk", "password": "clerk-password-1"},
        follow_redirects=False,
    )
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert COOKIE not in locked.cookies
    # A restart (a new app on the same database) does not forget the count.
    with TestClient(create_app(app.engine.settings, app.engine)) as restarted:
        assert login(restarted, "clerk-password-1") == 429


def test_http_basic_is_no_way_around_the_login_throttle(app: App) -> None:
    basic = base64.b64encode(b"clerk:clerk-password-1").decode()
    res = app.client.get("/api/staff/conversations", headers={"Authorization": f"Basic {basic}"})
    assert res.status_code == 401 and res.headers["WWW-Authenticate"] == "Bearer"


def test_bearer_tokens_are_per_user_revocable_and_end_with_the_login(app: App) -> None:
    with transaction(app.engine.db) as session:
        user = find_user(session, "clerk")
        assert user is not None
        token = new_token(session, user, utcnow())
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.client.get("/api/staff/me", headers=bearer).json()["username"] == "clerk"
    with transaction(app.engine.db) as session:
        user = find_user(session, "clerk")
        assert user is not None and revoke_tokens(session, user, utcnow()) == 2
    assert app.client.get("/api/staff/me", headers=bearer).status_code == 401
    assert app.client.get("/api/staff/me", auth=CLERK).status_code == 401
    assert app.client.get("/api/broadcasts", auth=PRESS).status_code == 200
    with transaction(app.engine.db) as session:
        press = find_user(session, "press")
        assert press is not None
        set_active(session, press, False)
    assert app.client.get("/api/broadcasts", auth=PRESS).status_code == 401


def test_token_guessing_is_throttled_per_address(app: App) -> None:
    codes = [
        app.client.get("/api/staff/me", auth=StaffLogin("clerk", f"guess-{n}")).status_code
        for n in range(25)
    ]
    assert codes[:20] == [401] * 20 and set(codes[20:]) == {429}


def test_a_cookie_ends_with_logout_and_is_renewed_at_login(app: App) -> None:
    assert login(app.client, "clerk-password-1") == 303
    first = app.client.cookies[COOKIE]
    assert app.client.get("/api/staff/me").status_code == 200
    assert login(app.client, "clerk-password-1") == 303
    second = app.client.cookies[COOKIE]
    assert second != first
    app.client.cookies.set(COOKIE, first)  # the id from before the new login is dead
    assert app.client.get("/api/staff/me").status_code == 401
    app.client.cookies.set(COOKIE, second)
    token = csrf(app.client)
    assert app.client.post("/logout", data={"csrf_token": token}).status_code == 200
    app.client.cookies.set(COOKIE, second)  # replayed after logout
    assert app.client.get("/api/staff/me").status_code == 401
    assert app.client.get("/staff", follow_redirects=False).status_code == 303


def test_a_cookie_signed_offline_with_the_old_default_key_is_refused(app: App) -> None:
    forged = URLSafeTimedSerializer("dev-secret-change-me", salt="staff-session").dumps(
        {"u": "clerk"}
    )
    app.client.cookies.set(COOKIE, forged)
    assert app.client.get("/api/staff/conversations").status_code == 401


def test_cookie_calls_need_the_csrf_token_and_our_origin(app: App) -> None:
    escalate(app.client)
    assert login(app.client, "clerk-password-1") == 303
    token = csrf(app.client)
    body = {"text": "Hallo"}
    # A form on another site (or another port of this host) cannot send the header.
    assert app.client.post(REPLY, json=body).status_code == 403
    foreign = {"X-CSRF-Token": token, "Origin": "http://testserver:8081"}
    assert app.client.post(REPLY, json=body, headers=foreign).status_code == 403
    cross = {"X-CSRF-Token": token, "Sec-Fetch-Site": "same-site"}
    assert app.client.post(REPLY, json=body, headers=cross).status_code == 403
    other = token[:-1] + ("1" if token.endswith("0") else "0")
    wrong = {"X-CSRF-Token": other, "Origin": "http://testserver"}
    assert app.client.post(REPLY, json=body, headers=wrong).status_code == 403
    ours = {"X-CSRF-Token": token, "Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    assert app.client.post(REPLY, json=body, headers=ours).status_code == 201
    # Logout from elsewhere is refused too; a Bearer call needs no CSRF token.
    assert app.client.post("/logout", headers={"Origin": "http://evil.example"}).status_code == 403
    app.client.cookies.clear()
    assert app.client.post(REPLY, json=body, auth=CLERK).status_code == 201


def test_login_form_posted_from_another_origin_is_refused(app: App) -> None:
    assert login(app.client, "clerk-password-1", Origin="http://evil.example") == 403
    assert login(app.client, "clerk-password-1", Origin="http://testserver") == 303


def test_a_generated_secret_key_is_kept_and_shared(app: App, settings_for, tmp_path) -> None:
    key = app.client.app.state.settings.secret_key  # type: ignore[attr-defined]
    assert len(key) >= 64 and key != "dev-secret-change-me"
    again = create_app(app.engine.settings, app.engine).state.settings.secret_key
    assert again == key  # a restart or a second worker on the same database agrees
    other = keyword_engine(settings_for(f"sqlite:///{tmp_path / 'other.db'}"))
    upgrade(other.settings.database_url)
    assert create_app(other.settings, other).state.settings.secret_key != key
    other.db.dispose()


def test_forwarded_for_is_believed_only_from_configured_proxies(app: App) -> None:
    """`stadtbot serve`'s uvicorn options: by default X-Forwarded-For is no way to a
    fresh address for the login throttle; from FORWARDED_ALLOW_IPS it names the client."""

    def attempts(allowed: str, prefix: str, addresses: list[str]) -> list[int]:
        settings = app.engine.settings.model_copy(update={"forwarded_allow_ips": allowed})
        server = ServerThread(create_app(settings, app.engine), **proxy_options(settings))
        server.start()
        try:
            with httpx.Client(base_url=server.url, timeout=20) as client:
                return [
                    client.post(
                        "/login",
                        data={"username": f"{prefix}{n}", "password": "x"},
                        headers={"X-Forwarded-For": address},
                    ).status_code
                    for n, address in enumerate(addresses)
                ]
        finally:
            server.stop()

    tries = LOGIN_TRIES_PER_ADDRESS + 1
    spoofed = attempts("", "a", [f"203.0.113.{n}" for n in range(tries)])
    assert spoofed[-1] == 429  # all counted for the real peer, 127.0.0.1
    proxied = attempts("127.0.0.1", "b", [f"198.51.100.{n}" for n in range(tries)])
    assert proxied == [401] * tries  # each forwarded client counted on its own
    one = attempts("127.0.0.1", "c", ["198.51.100.200"] * tries)
    assert one[-1] == 429


def test_old_counters_and_sessions_are_pruned(app: App) -> None:
    assert login(app.client, "wrong") == 401
    assert login(app.client, "clerk-password-1") == 303
    later = utcnow() + timedelta(days=2)
    with transaction(app.engine.db) as session:
        assert prune(session, utcnow()) == 0
        assert prune(session, later) == 3  # address, name, city-wide
        assert prune_sessions(session, later) == 1
    assert app.client.get("/api/staff/me").status_code == 401


def test_every_cookie_authenticated_change_needs_the_csrf_token(app: App) -> None:
    """Each state-changing route of the OpenAPI document behind a login (staff, admin,
    broadcasts, cases, privacy review, …) refuses the session cookie without the token."""
    paths = app.client.get("/openapi.json").json()["paths"]
    assert login(app.client, "clerk-password-1") == 303
    checked = []
    for path, operations in paths.items():
        if not path.startswith(("/api/staff", "/api/broadcasts", "/api/cases")):
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method in set(operations) & {"post", "put", "patch", "delete"}:
            res = app.client.request(method.upper(), url, json={})
            assert res.status_code == 403 and "CSRF" in res.json()["detail"], (method, url)
            checked.append(f"{method} {path}")
    assert len(checked) >= 20, checked
