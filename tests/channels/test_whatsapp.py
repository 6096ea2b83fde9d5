"""WhatsApp Cloud API end to end: verification, signed events, sends to the fake Graph."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core.messages import Button, Reply
from tests.channels.conftest import APP_SECRET, PHONE_ID, VERIFY_TOKEN, Stack, build_stack
from tests.channels.helpers import inbound_messages, queue, wait_rows
from tests.fakes.graph import graph_error
from tests.fakes.server import Fault

WA_ID = "4915112345678"


def envelope(messages: list | None = None, statuses: list | None = None) -> dict[str, Any]:
    """The documented `whatsapp_business_account` webhook shape."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_ID},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": "Anna Schulte"}, "wa_id": WA_ID}]
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }


def text(wamid: str, body: str) -> dict[str, Any]:
    return {
        "from": WA_ID,
        "id": wamid,
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": body},
    }


def post(stack: Stack, data: dict[str, Any], secret: str = APP_SECRET):
    raw = json.dumps(data).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return stack.http.post(
        "/webhooks/whatsapp",
        content=raw,
        headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"},
    )


def test_verification(stack: Stack) -> None:
    ok = stack.http.get(
        "/webhooks/whatsapp",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = stack.http.get(
        "/webhooks/whatsapp",
        params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
    )
    assert bad.status_code == 403


def test_conversation_with_list_buttons_and_statuses(any_stack: Stack) -> None:
    stack = any_stack
    assert post(stack, envelope([text("wamid.A1", "Hallo")])).status_code == 200
    first = stack.graph.wait_for(1)[0]
    assert first["to"] == WA_ID and first["type"] == "interactive"
    assert first["interactive"]["type"] == "list"  # six menu options
    rows = first["interactive"]["action"]["sections"][0]["rows"]
    assert rows[0] == {"id": "intent:book_boat", "title": "Boot buchen"}

    reply = {
        "from": WA_ID,
        "id": "wamid.A2",
        "timestamp": "1749416400",
        "type": "interactive",
        "interactive": {
            "type": "list_reply",
            "list_reply": {"id": "intent:help", "title": "Hilfe"},
        },
    }
    assert post(stack, envelope([reply])).status_code == 200
    assert post(stack, envelope([text("wamid.A3", "danke")])).status_code == 200
    sent = stack.graph.wait_for(3)
    assert "Gern geschehen" in sent[2]["text"]["body"]
    assert inbound_messages(stack)[1].payload == "intent:help"

    out = wait_rows(stack, "sent", 3)
    status = {
        "id": out[0].provider_message_id,
        "status": "read",
        "timestamp": "1749416500",
        "recipient_id": WA_ID,
    }
    assert post(stack, envelope(statuses=[status])).json()["statuses"] == 1
    assert stack.rows()[0].provider_status == "read"


def test_duplicates_bad_signature_and_unknown_types(stack: Stack) -> None:
    for _ in range(2):
        assert post(stack, envelope([text("wamid.B1", "Hallo")])).status_code == 200
    assert post(stack, envelope([text("wamid.B2", "Hallo")]), secret="wrong").status_code == 403
    assert stack.http.post("/webhooks/whatsapp", json=envelope()).status_code == 403
    assert post(stack, {"object": "page"}).status_code == 400
    sticker = {
        "from": WA_ID,
        "id": "wamid.B3",
        "timestamp": "1",
        "type": "sticker",
        "sticker": {"id": "1", "mime_type": "image/webp"},
    }
    assert post(stack, envelope([sticker])).status_code == 200
    wait_rows(stack, "sent", 1)
    time.sleep(0.2)
    assert len(stack.graph.sent) == 1


def test_reply_buttons_image_and_throttling(stack: Stack) -> None:
    stack.graph.faults.extend(
        [Fault(429, graph_error(130429, "Rate limit hit")), Fault(500, graph_error(1, "Unknown"))]
    )
    now = datetime.now(UTC)
    queue(
        stack,
        "whatsapp",
        "+" + WA_ID,
        [
            Reply(
                text="Ja oder nein?",
                buttons=[
                    Button(title="Ja, bitte gern sofort!", payload="y"),
                    Button(title="Nein", payload="n"),
                ],
            ),
            Reply(text="Ihr Ticket", image_url="/static/chat.css"),
        ],
        last_inbound_at=now,
    )
    sent = stack.graph.wait_for(3, timeout=15)
    assert sent[0]["interactive"]["type"] == "button"
    assert (
        sent[0]["interactive"]["action"]["buttons"][0]["reply"]["title"]
        == "Ja, bitte gern sofort!"[:20]
    )
    assert sent[1]["type"] == "image" and sent[1]["image"]["link"].endswith("/static/chat.css")
    assert sent[2]["text"]["body"] == "Ihr Ticket"


@pytest.fixture
def templated(sqlite_url, settings_for, fakes):
    yield from build_stack(
        sqlite_url, settings_for, fakes, whatsapp_templates={"broadcast": "stadtbot_news"}
    )


def queue_after_window(stack: Stack, text: str, kind: str) -> None:
    """Queue a message for a citizen whose last message was 30 hours ago."""
    old = datetime.now(UTC) - timedelta(hours=30)
    queue(stack, "whatsapp", "+" + WA_ID, [Reply(text=text)], kind=kind, last_inbound_at=old)


def test_24_hour_window(templated: Stack) -> None:
    stack = templated
    queue_after_window(stack, "Stadtfest am Samstag!", "broadcast")
    queue(stack, "whatsapp", "+" + WA_ID, [Reply(text="Freitext")], kind="reply")
    sent = stack.graph.wait_for(1)
    held = wait_rows(stack, "held", 1)
    assert sent[0]["type"] == "template" and sent[0]["template"]["name"] == "stadtbot_news"
    params = sent[0]["template"]["components"][0]["parameters"]
    assert params == [{"type": "text", "text": "Stadtfest am Samstag!"}]
    assert held[0].body["text"] == "Freitext"
    time.sleep(0.2)
    assert len(stack.graph.sent) == 1


def test_held_messages_go_out_when_the_citizen_writes_again(templated: Stack) -> None:
    stack = templated
    queue_after_window(stack, "Ihr Antrag ist da.", "staff")
    wait_rows(stack, "held", 1)
    assert stack.graph.sent == []
    assert post(stack, envelope([text("wamid.H1", "Danke!")])).status_code == 200
    sent = stack.graph.wait_for(2)
    assert sent[0]["type"] == "text" and sent[0]["text"]["body"] == "Ihr Antrag ist da."
    assert sent[1]["to"] == WA_ID  # the bot's answer to "Danke!" comes after it
    assert wait_rows(stack, "held", 0) == []
