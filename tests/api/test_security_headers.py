"""Browser hardening headers (issue 9, finding 7) on every page, and templates without
inline scripts (which the CSP would block silently)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from bot.core.settings import Settings
from tests.support import keyword_engine

CLERK = ("clerk", "clerk-password-1")
PAGES = [
    "/chat",
    "/login",
    "/staff",
    "/healthz",
    "/api/topics",
    "/qr/poster/boat_dock",
    "/static/chat.js",
    "/does-not-exist",
]
PRIVATE = ["/login", "/staff", "/api/staff/conversations", "/api/chat/history?session_id=x"]
TEMPLATES = Path(__file__).resolve().parents[2] / "api"


def csp(response) -> dict[str, str]:
    directives = (
        part.strip().split(" ", 1)
        for part in response.headers["content-security-policy"].split(";")
    )
    return {name: value for name, value in directives}


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_headers(app_client: TestClient, path: str) -> None:
    response = app_client.get(path, follow_redirects=False)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    policy = csp(response)
    assert policy["script-src"] == "'self'" and policy["object-src"] == "'none'"
    if path == "/chat":
        assert policy["frame-ancestors"] == "'self'"
        assert response.headers["x-frame-options"] == "SAMEORIGIN"
    else:
        assert policy["frame-ancestors"] == "'none'"
        assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("path", PRIVATE)
def test_staff_pages_and_apis_are_not_cached(app_client: TestClient, path: str) -> None:
    response = app_client.get(path, auth=CLERK, follow_redirects=False)
    assert response.headers["cache-control"] == "no-store"


def test_static_files_stay_cacheable(app_client: TestClient) -> None:
    assert "no-store" not in app_client.get("/static/staff.js").headers.get("cache-control", "")


def test_the_chat_is_embeddable_only_where_configured(sqlite_url: str, settings_for) -> None:
    settings = settings_for(
        sqlite_url, chat_allowed_origins="https://www.ahaus.de http://localhost:8080"
    )
    with TestClient(create_app(settings, keyword_engine(settings))) as client:
        chat = client.get("/chat")
        assert csp(chat)["frame-ancestors"] == "'self' https://www.ahaus.de http://localhost:8080"
        assert "x-frame-options" not in chat.headers
        assert csp(client.get("/login"))["frame-ancestors"] == "'none'"


@pytest.mark.parametrize(
    "value", ["*", "https://a.de; script-src *", "ahaus.de", "https://a.de/path"]
)
def test_allowed_origins_must_be_plain_origins(value: str) -> None:
    with pytest.raises(ValueError, match="CHAT_ALLOWED_ORIGINS"):
        Settings(_env_file=None, chat_allowed_origins=value)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "page",
    sorted([*TEMPLATES.glob("templates/*.html"), *TEMPLATES.glob("static/*.html")]),
    ids=lambda p: p.name,
)
def test_pages_have_no_inline_scripts_or_handlers(page: Path) -> None:
    html = page.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE), "inline event handler"
    assert "javascript:" not in html.lower()
