"""Handoff and staff answers on Telegram and both WhatsApp channels, through the fakes.

The citizen asks for a person over the real webhook, the bot promises and then stays
silent, a staff reply through /api/staff goes out on the citizen's channel, the hand
back is announced there too. Outside WhatsApp's 24-hour window the inbox says so and
the configured template is what reaches the citizen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import update
from twilio.request_validator import RequestValidator

from bot.core.db import transaction
from bot.core.models import Contact
from tests.channels.conftest import APP_SECRET, SECRET, TWILIO_TOKEN, Stack, build_stack
from tests.fakes.telegram import message_update
from tests.support import StaffLogin

CLERK = StaffLogin("clerk", "clerk-password-1")
PHONE = "+4915112345678"


def telegram(stack: Stack, n: int, text: str) -> None:
    update_ = message_update(n, 555, text)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert stack.http.post("/webhooks/telegram", json=update_, headers=headers).status_code == 200


def twilio(stack: Stack, n: int, text: str) -> None:
    params = {
        "MessageSid": f"SM{n:04d}",
        "SmsMessageSid": f"SM{n:04d}",
        "NumMedia": "0",
        "ProfileName": "Anna",
        "WaId": PHONE[1:],
        "Body": text,
        "To": "whatsapp:+14155238886",
        "From": f"whatsapp:{PHONE}",
        "AccountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    }
    url = stack.settings.public_base_url + "/webhooks/twilio"
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    headers = {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}
    assert (
        stack.http.post("/webhooks/twilio", content=urlencode(params), headers=headers).status_code
        == 200
    )


def whatsapp(stack: Stack, n: int, text: str) -> None:
    message = {
        "from": PHONE[1:],
        "id": f"wamid.{n}",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": text},
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Anna"}, "wa_id": PHONE[1:]}],
        "messages": [message],
    }
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
        }
    ).encode()
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-Hub-Signature-256": signature, "Content-Type": "application/json"}
    assert stack.http.post("/webhooks/whatsapp", content=body, headers=headers).status_code == 200


def telegram_texts(stack: Stack) -> list[str]:
    return [m.get("text", "") for m in stack.telegram.sent]


def twilio_texts(stack: Stack) -> list[str]:
    return [m.get("Body") or m.get("ContentVariables", "") for m in stack.twilio.sent]


def whatsapp_texts(stack: Stack) -> list[str]:
    return [
        m["text"]["body"] if m.get("type") == "text" else json.dumps(m.get("template", m))
        for m in stack.graph.sent
    ]


CHANNELS: dict[str, tuple[Callable, Callable[[Stack], list[str]], str]] = {
    "telegram": (telegram, telegram_texts, "telegram"),
    "twilio": (twilio, twilio_texts, "twilio"),
    "whatsapp": (whatsapp, whatsapp_texts, "graph"),
}


def wait_texts(stack: Stack, read: Callable[[Stack], list[str]], count: int) -> list[str]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(read(stack)) < count:
        time.sleep(0.02)
    return read(stack)


def with_clerk(stack: Stack) -> None:
    with transaction(stack.engine.db) as session:
        CLERK.add(session, ["staff"])


@pytest.mark.parametrize("channel", list(CHANNELS))
def test_handoff_silence_staff_reply_and_hand_back(stack: Stack, channel: str) -> None:
    send, read, _ = CHANNELS[channel]
    with_clerk(stack)
    send(stack, 1, "Mitarbeiter bitte")
    texts = wait_texts(stack, read, 2)
    assert texts[0].startswith("Ich verbinde Sie") and "Team Bürgerbüro" in texts[1]
    send(stack, 2, "Hallo? Hilfe!")
    time.sleep(0.5)
    assert len(read(stack)) == 2  # the bot stays silent while the chat is with staff

    [row] = stack.http.get("/api/staff/conversations", auth=CLERK).json()
    assert row["channel"] == channel and row["status"] == "waiting"
    reply = stack.http.post(
        f"/api/staff/conversations/{row['id']}/reply",
        json={"text": "Hier ist Frau Berger."},
        auth=CLERK,
    )
    assert reply.status_code == 201
    stack.dispatcher.wake()
    assert "Hier ist Frau Berger." in wait_texts(stack, read, 3)[2]
    detail = stack.http.get(f"/api/staff/conversations/{row['id']}", auth=CLERK).json()
    assert [m["text"] for m in detail["messages"] if m["direction"] == "in"] == [
        "Mitarbeiter bitte",
        "Hallo? Hilfe!",
    ]
    assert (
        stack.http.post(f"/api/staff/conversations/{row['id']}/release", auth=CLERK).status_code
        == 204
    )
    stack.dispatcher.wake()
    assert "wieder mit dem Stadtbot" in wait_texts(stack, read, 4)[3]
    send(stack, 3, "Danke")
    assert "Gern geschehen" in wait_texts(stack, read, 5)[4]


@pytest.fixture
def templated(sqlite_url, settings_for, fakes) -> Iterator[Stack]:
    yield from build_stack(
        sqlite_url,
        settings_for,
        fakes,
        twilio_content_templates={"staff": "HXstaff"},
        whatsapp_templates={"staff": "stadtbot_staff"},
    )


@pytest.mark.parametrize("channel", ["twilio", "whatsapp"])
def test_outside_24_hours_the_inbox_offers_the_template(templated: Stack, channel: str) -> None:
    stack = templated
    send, read, _ = CHANNELS[channel]
    with_clerk(stack)
    send(stack, 1, "Mitarbeiter bitte")
    wait_texts(stack, read, 2)
    with transaction(stack.engine.db) as session:
        session.execute(
            update(Contact).values(last_inbound_at=datetime.now(UTC) - timedelta(hours=30))
        )
    [row] = stack.http.get("/api/staff/conversations", auth=CLERK).json()
    window = stack.http.get(f"/api/staff/conversations/{row['id']}", auth=CLERK).json()["window"]
    template = "HXstaff" if channel == "twilio" else "stadtbot_staff"
    assert window["applies"] and not window["open"] and window["template"] == template
    assert "Antwort auf Ihre Anfrage" in window["template_text"]
    sent = stack.http.post(
        f"/api/staff/conversations/{row['id']}/reply", json={"template": True}, auth=CLERK
    )
    assert sent.status_code == 201
    stack.dispatcher.wake()
    out = wait_texts(stack, read, 3)
    if channel == "twilio":
        assert stack.twilio.sent[2]["ContentSid"] == "HXstaff"
    else:
        assert stack.graph.sent[2]["template"]["name"] == "stadtbot_staff"
    assert "Antwort auf Ihre Anfrage" in out[2]
