"""Logs carry request ids and never a citizen's words, numbers or name."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from bot.core.logs import JsonFormatter, configure_logging, request_id
from bot.core.settings import Settings

PERSONAL = ("Jana Wiegand", "0151 98765432", "Kirchstraße 9", "jana.w@example.de")


def test_no_personal_data_reaches_the_log(
    app_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    first = app_client.post(
        "/api/chat", json={"text": f"Hallo, ich bin {PERSONAL[0]}, Tel {PERSONAL[1]}"}
    )
    session_id = first.json()["session_id"]
    app_client.post(
        "/api/chat",
        json={"session_id": session_id, "text": f"{PERSONAL[2]}, {PERSONAL[3]}"},
    )
    app_client.get("/api/chat/history", params={"session_id": session_id})
    formatter = JsonFormatter()
    # httpx's lines here are the test client's own requests; `configure_logging` keeps
    # httpx at WARNING in serve and worker (its INFO lines hold URLs with bot tokens).
    lines = [formatter.format(r) for r in caplog.records if r.name != "httpx"]
    assert any('"path": "/api/chat"' in line for line in lines), "no access line logged"
    for line in lines:
        for item in (*PERSONAL, session_id):
            assert item not in line, line


def test_every_response_has_a_request_id_and_its_access_line_names_it(
    app_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="stadtbot.access")
    given = app_client.get("/healthz", headers={"X-Request-ID": "lb-0123456789"})
    assert given.headers["x-request-id"] == "lb-0123456789"
    forged = app_client.get("/healthz", headers={"X-Request-ID": "<script>\n"})
    assert forged.headers["x-request-id"] != "<script>\n"
    assert len(forged.headers["x-request-id"]) == 32
    access = [r for r in caplog.records if r.name == "stadtbot.access"]
    assert [r.status for r in access[-2:]] == [200, 200]  # type: ignore[attr-defined]


def test_json_lines_have_time_level_message_and_the_request_id() -> None:
    token = request_id.set("req-42424242")
    try:
        record = logging.LogRecord("bot.dispatcher", logging.WARNING, __file__, 1,
                                   "outbox %s failed: %s", (17, "timeout"), None)
        entry = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert entry["level"] == "WARNING" and entry["logger"] == "bot.dispatcher"
    assert entry["message"] == "outbox 17 failed: timeout"
    assert entry["request_id"] == "req-42424242" and entry["time"].endswith("+00:00")


def test_log_settings_are_checked_and_case_insensitive() -> None:
    assert Settings(log_level="debug", log_format="JSON").log_level == "DEBUG"
    with pytest.raises(ValueError):
        Settings(log_level="loud")


def test_configure_logging_keeps_httpx_urls_out_even_at_debug() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("DEBUG", "json")
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
        assert logging.getLogger("uvicorn.access").disabled
        assert isinstance(root.handlers[0].formatter, JsonFormatter)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        logging.getLogger("uvicorn.access").disabled = False
        logging.getLogger("httpx").setLevel(logging.NOTSET)
