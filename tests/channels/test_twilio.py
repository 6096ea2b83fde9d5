"""WhatsApp via Twilio end to end, with Twilio's documented signature example."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from bot.channels.twilio import decode_form, signature_valid
from bot.core.messages import Reply
from bot.core.settings import Settings
from tests.channels.conftest import TWILIO_TOKEN, Stack, build_stack
from tests.channels.helpers import inbound_messages, queue, wait_rows
from tests.fakes.server import Fault
from tests.fakes.twilio import twilio_error

CITIZEN = "+4915112345678"


def test_documented_signature_example() -> None:
    """The example from Twilio's webhook security docs (auth token 12345)."""
    settings = Settings(_env_file=None, twilio_auth_token="12345")  # type: ignore[call-arg]
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signature_valid(settings, url, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not signature_valid(
        settings, url, {**params, "Digits": "1235"}, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    )


def inbound(sid: str, body: str = "", **extra: str) -> dict[str, str]:
    """A WhatsApp inbound webhook as Twilio documents it."""
    return {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": "Anna",
        "SmsSid": sid,
        "WaId": CITIZEN[1:],
        "SmsStatus": "received",
        "Body": body,
        "To": "whatsapp:+14155238886",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "From": f"whatsapp:{CITIZEN}",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def post(stack: Stack, path: str, params: dict[str, str], signature: str | None = None):
    url = stack.settings.public_base_url + path
    if signature is None:
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    return stack.http.post(
        path,
        content=urlencode(params),
        headers={
            "X-Twilio-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )


def test_conversation_with_numbered_buttons_and_status(any_stack: Stack) -> None:
    stack = any_stack
    assert post(stack, "/webhooks/twilio", inbound("SM001", "Hallo")).status_code == 200
    first = stack.twilio.wait_for(1)[0]
    assert first["To"] == f"whatsapp:{CITIZEN}" and first["From"] == "whatsapp:+14155238886"
    assert "\n1. Boot buchen" in first["Body"] and "\n6. Mitarbeiter sprechen" in first["Body"]
    assert first["StatusCallback"].endswith("/webhooks/twilio/status")

    assert post(stack, "/webhooks/twilio", inbound("SM002", "2")).status_code == 200
    assert post(stack, "/webhooks/twilio", inbound("SM003", "hilfe")).status_code == 200
    sent = stack.twilio.wait_for(3)
    assert "Schreiben Sie mir einfach" in sent[2]["Body"]
    assert [m.payload for m in inbound_messages(stack)][:2] == [None, "intent:voucher_balance"]

    rows = wait_rows(stack, "sent", 3)
    status = {
        "MessageSid": rows[0].provider_message_id,
        "MessageStatus": "delivered",
        "AccountSid": "AC",
        "From": "whatsapp:+14155238886",
        "To": f"whatsapp:{CITIZEN}",
    }
    assert post(stack, "/webhooks/twilio/status", status).status_code == 200
    assert stack.rows()[0].provider_status == "delivered"


def test_duplicates_bad_signatures_and_bad_input(stack: Stack) -> None:
    for _ in range(2):
        assert post(stack, "/webhooks/twilio", inbound("SM100", "Hallo")).status_code == 200
    assert post(stack, "/webhooks/twilio", inbound("SM101", "Hallo"), "bm90IGl0").status_code == 403
    params = inbound("SM102", "Hallo")
    stack_sig = post(
        stack, "/webhooks/twilio", {k: v for k, v in params.items() if k not in ("From", "WaId")}
    )
    assert stack_sig.status_code == 400
    wait_rows(stack, "sent", 1)
    time.sleep(0.2)
    assert len(stack.twilio.sent) == 1


def test_location_and_media_are_read() -> None:
    message = decode_form(
        inbound(
            "SM200",
            "",
            Latitude="52.0786",
            Longitude="7.0130",
            NumMedia="1",
            MediaUrl0="https://api.twilio.com/x",
            MediaContentType0="image/jpeg",
            ButtonPayload="intent:help",
        )
    )
    assert message.location and message.location.latitude == 52.0786
    assert message.media[0].kind == "image" and message.payload == "intent:help"
    assert message.sender_id == CITIZEN and message.sender_name == "Anna"


def test_63016_fails_without_retry(stack: Stack) -> None:
    stack.twilio.faults.append(Fault(400, twilio_error(400, 63016, "Outside the allowed window")))
    queue(stack, "twilio", CITIZEN, [Reply(text="Hallo")], last_inbound_at=datetime.now(UTC))
    failed = wait_rows(stack, "failed", 1)
    assert "63016" in failed[0].last_error and failed[0].attempts == 1


@pytest.fixture
def templated(sqlite_url, settings_for, fakes):
    yield from build_stack(
        sqlite_url, settings_for, fakes, twilio_content_templates={"reminder": "HXreminder"}
    )


def test_24_hour_window(templated: Stack) -> None:
    stack = templated
    old = datetime.now(UTC) - timedelta(hours=25)
    queue(
        stack,
        "twilio",
        CITIZEN,
        [Reply(text="Ihr Boot wartet morgen um 10 Uhr")],
        kind="reminder",
        last_inbound_at=old,
    )
    queue(stack, "twilio", CITIZEN, [Reply(text="Späte Antwort")], kind="staff")
    sent = stack.twilio.wait_for(1)
    held = wait_rows(stack, "held", 1)
    assert sent[0]["ContentSid"] == "HXreminder" and "Body" not in sent[0]
    assert "Ihr Boot wartet" in sent[0]["ContentVariables"]
    assert "24-hour window" in held[0].last_error
    time.sleep(0.2)
    assert len(stack.twilio.sent) == 1  # free text never went out
