"""Well-signed webhooks with unusable input (issue 9, finding 5), on both databases.

A provider retries every non-2xx, so a signed update with NUL, a lone surrogate,
1e999 or over-deep JSON is acknowledged (200) and dropped with one log line; a date no
datetime holds is a malformed update (400, fixed text). Never a 500, never a
traceback, and the channel keeps working for the next, good update.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from api import reject_log
from tests.channels.conftest import APP_SECRET, SECRET, TWILIO_TOKEN, Stack
from tests.channels.test_whatsapp import envelope, text
from tests.fakes.telegram import message_update

TELEGRAM = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
DEEP = b'{"update_id": 1, "x": ' + b"[" * 3000 + b"]" * 3000 + b"}"


@pytest.fixture(autouse=True)
def fresh_log_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reject_log, "_budget", reject_log._Budget())


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not any(r.exc_info or r.levelno >= logging.ERROR for r in caplog.records)
    assert "Traceback" not in caplog.text


def telegram(stack: Stack, raw: bytes):
    return stack.http.post("/webhooks/telegram", content=raw, headers=TELEGRAM)


def whatsapp(stack: Stack, raw: bytes):
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    headers = {"X-Hub-Signature-256": signature, "Content-Type": "application/json"}
    return stack.http.post("/webhooks/whatsapp", content=raw, headers=headers)


def twilio(stack: Stack, path: str, params: dict[str, str]):
    url = stack.settings.public_base_url + path
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    headers = {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}
    return stack.http.post(path, content=urlencode(params), headers=headers)


def test_signed_telegram_updates_with_unusable_input_are_dropped(
    any_stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    stack = any_stack
    caplog.set_level(logging.INFO)
    nul = json.dumps(message_update(7001, 601, "a\x00b")).encode()
    surrogate = json.dumps(message_update(7002, 601, "x")).replace('"x"', '"\\ud800"').encode()
    for raw in (nul, surrogate, b'{"update_id": 1e999}', DEEP):
        response = telegram(stack, raw)
        assert response.status_code == 200 and response.json()["ignored"] == "unusable input"
    drops = [r for r in caplog.records if r.name == "stadtbot.rejected"]
    assert len(drops) == 4 and all("dropped a signed Telegram update" in r.message for r in drops)
    far = message_update(7003, 601, "hallo")
    far["message"]["date"] = 1e20
    response = telegram(stack, json.dumps(far).encode())
    assert response.status_code == 400 and response.json() == {"detail": "Not a Telegram update."}
    no_traceback(caplog)
    assert telegram(stack, json.dumps(message_update(7004, 601, "Danke!")).encode()).is_success
    assert "Gern geschehen" in stack.telegram.wait_for(1)[0]["text"]


def test_unsigned_bad_input_is_still_a_403(stack: Stack) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": "wrong", "Content-Type": "application/json"}
    response = stack.http.post("/webhooks/telegram", content=DEEP, headers=headers)
    assert response.status_code == 403


def test_signed_whatsapp_events_with_unusable_input_are_dropped(
    any_stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    stack = any_stack
    nul = json.dumps(envelope([text("wamid.N1", "a\x00b")])).encode()
    huge = json.dumps(envelope([text("wamid.N2", "hallo")])).replace(
        '"type": "text"', '"type": "text", "n": 1e999'
    )
    for raw in (nul, huge.encode(), b'{"entry": ' + b"[" * 3000 + b"]" * 3000 + b"}"):
        response = whatsapp(stack, raw)
        assert response.status_code == 200 and response.json()["messages"] == 0
    message = text("wamid.N3", "hallo")
    message["timestamp"] = "1" + "0" * 20
    response = whatsapp(stack, json.dumps(envelope([message])).encode())
    assert response.status_code == 400 and response.json() == {"detail": "Not a WhatsApp update."}
    location = {
        "id": "wamid.N4",
        "from": "4915112345678",
        "type": "location",
        "location": {"latitude": "nan", "longitude": 7.0},
    }
    assert whatsapp(stack, json.dumps(envelope([location])).encode()).status_code == 400
    no_traceback(caplog)


def test_signed_twilio_forms_with_nul_are_dropped(
    any_stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    stack = any_stack
    params = {"MessageSid": "SM" + "1" * 32, "From": "whatsapp:+4915112345678", "Body": "a\x00b"}
    response = twilio(stack, "/webhooks/twilio", params)
    assert response.status_code == 200 and response.text == ""
    status = {"MessageSid": "SM\x00", "MessageStatus": "delivered"}
    assert twilio(stack, "/webhooks/twilio/status", status).status_code == 200
    location = {**params, "Body": "", "Latitude": "inf", "Longitude": "7"}
    assert twilio(stack, "/webhooks/twilio", location).status_code == 400
    no_traceback(caplog)
