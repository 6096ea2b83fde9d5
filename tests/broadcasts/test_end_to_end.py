"""Broadcasts end to end against the fake providers, over real sockets: citizens
subscribe on Telegram and both WhatsApp channels by deep link, one says STOP; the
team composes and sends through the API; every subscriber gets exactly one message in
their language, the withdrawn one nothing; delivery statuses come back through the
status webhooks; a reply is counted. Pause, resume and cancel while sending."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.core.db import transaction
from bot.core.subscriptions import ConsentRecord, Subscription
from bot.scheduler import Scheduler
from tests.broadcasts.conftest import subscriber
from tests.channels.conftest import Stack, any_stack, build_stack, fakes  # noqa: F401 - fixtures
from tests.channels.test_telegram import post as telegram_post
from tests.channels.test_twilio import inbound as twilio_inbound
from tests.channels.test_twilio import post as twilio_post
from tests.channels.test_whatsapp import envelope
from tests.channels.test_whatsapp import post as cloud_post
from tests.fakes.telegram import callback_update, message_update
from tests.support import StaffLogin, keyword_nlu

PRESS = StaffLogin("presse", "presse-password-1")
TEXTS = {
    "de": "Unwetterwarnung: heute ab 18 Uhr Sturm in Ahaus.",
    "en": "Severe weather warning: storm in Ahaus from 6 pm today.",
    "nl": "Weerwaarschuwing: vandaag vanaf 18 uur storm in Ahaus.",
}
GREETINGS = {"hello": "en", "hoi": "nl"}
SLOW_COUNT = 30


def greeting_nlu(text: str, lang: str | None, now: datetime) -> dict[str, Any]:
    """The keyword NLU, plus a confident language for an English or Dutch greeting."""
    parse = keyword_nlu(text, lang, now)
    word = text.strip().lower()
    if word in GREETINGS:
        parse.update(language=GREETINGS[word], language_confidence=0.95)
    return parse


class Citizens:
    """Messages in from each channel, as the providers post them."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.n = 0

    def _id(self) -> int:
        self.n += 1
        return 5000 + self.n

    def telegram(self, chat: int, text: str = "", data: str | None = None) -> None:
        update = callback_update(self._id(), chat, data) if data else message_update(
            self._id(), chat, text
        )
        assert telegram_post(self.stack, update).status_code == 200

    def twilio(self, number: str, text: str) -> None:
        params = twilio_inbound(
            f"SM{self._id()}", text, From=f"whatsapp:{number}", WaId=number[1:]
        )
        assert twilio_post(self.stack, "/webhooks/twilio", params).status_code == 200

    def cloud(self, wa_id: str, text: str = "", reply_id: str | None = None) -> None:
        message: dict[str, Any] = {"from": wa_id, "id": f"wamid.IN{self._id()}",
                                   "timestamp": str(int(time.time()))}
        if reply_id:
            message.update(type="interactive", interactive={
                "type": "list_reply", "list_reply": {"id": reply_id, "title": "x"}})
        else:
            message.update(type="text", text={"body": text})
        body = envelope([message])
        body["entry"][0]["changes"][0]["value"]["contacts"][0]["wa_id"] = wa_id
        assert cloud_post(self.stack, body).status_code == 200


def subscribe_everyone(citizens: Citizens) -> None:
    for chat, greeting in ((701, "hallo"), (702, "hello")):
        citizens.telegram(chat, greeting)
        citizens.telegram(chat, "/start subscribe_warnungen")
        citizens.telegram(chat, data="slot:district=all")
        citizens.telegram(chat, data="confirm:yes")
    citizens.twilio("+4915100000001", "hoi")
    citizens.twilio("+4915100000001", "subscribe_warnungen")
    citizens.twilio("+4915100000001", "1")  # the numbered list: 1. Ganz Ahaus
    citizens.twilio("+4915100000001", "ja")
    for wa_id in ("4915100000002", "4915100000003"):
        citizens.cloud(wa_id, "hallo")
        citizens.cloud(wa_id, "subscribe_warnungen")
        citizens.cloud(wa_id, reply_id="slot:district=all")
        citizens.cloud(wa_id, "ja")
    citizens.cloud("4915100000003", "STOP")


def broadcast_texts(stack: Stack) -> dict[str, list[str]]:
    """Who got which broadcast text, from the fakes' records."""
    got: dict[str, list[str]] = {}
    texts = set(TEXTS.values())
    for item in stack.telegram.sent:
        if item.get("text") in texts:
            got.setdefault(f"tg:{item['chat_id']}", []).append(item["text"])
    for item in stack.twilio.sent:
        body = item.get("Body") or json.loads(item.get("ContentVariables") or "{}").get("1")
        if body in texts:
            got.setdefault(item["To"], []).append(body)
    for item in stack.graph.sent:
        body = (item.get("text") or {}).get("body")
        if body in texts:
            got.setdefault(f"wa:{item['to']}", []).append(body)
    return got


def wait_for(condition, timeout: float = 30.0) -> Any:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    return condition()


def test_subscribe_compose_send_statuses_and_report(any_stack: Stack) -> None:  # noqa: F811
    stack = any_stack
    stack.engine.understand = greeting_nlu
    citizens = Citizens(stack)
    subscribe_everyone(citizens)
    with transaction(stack.engine.db) as session:
        PRESS.add(session, ["communications"])
    with Session(stack.engine.db) as session:
        assert len(session.exec(select(Subscription)).all()) == 4
        withdrawals = session.exec(
            select(ConsentRecord).where(ConsentRecord.action == "withdraw")
        ).all()
        assert [(r.channel, r.source, r.topic) for r in withdrawals] == [
            ("whatsapp", "stop", "warnungen")
        ]
    scheduler = Scheduler(stack.engine.db, stack.settings)
    scheduler.start()
    try:
        http = stack.http
        headers = {"Idempotency-Key": "sturm-2026-12-01"}
        body = {"texts": TEXTS, "topics": ["warnungen"], "urgent": True}
        created = http.post("/api/broadcasts", json=body, headers=headers, auth=PRESS).json()
        assert created["recipients"] == 4
        assert http.post("/api/broadcasts", json=body, headers=headers, auth=PRESS).json() == (
            created
        )
        bid = created["id"]
        assert http.post(f"/api/broadcasts/{bid}/send", auth=PRESS).status_code == 200
        assert http.post(f"/api/broadcasts/{bid}/send", auth=PRESS).status_code == 409
        stack.dispatcher.wake()
        got = wait_for(lambda: len(broadcast_texts(stack)) >= 4 and broadcast_texts(stack))
        assert got == {
            "tg:701": [TEXTS["de"]],
            "tg:702": [TEXTS["en"]],
            "whatsapp:+4915100000001": [TEXTS["nl"]],
            "wa:4915100000002": [TEXTS["de"]],
        }
        report = wait_for(
            lambda: (r := http.get(f"/api/broadcasts/{bid}", auth=PRESS).json())["status"]
            == "done" and r
        )
        assert report["counts"]["sent"] == 4
        rows = {r.channel: r for r in stack.rows() if r.broadcast_id == bid}
        status = {"MessageSid": rows["twilio"].provider_message_id, "MessageStatus": "delivered",
                  "AccountSid": "AC", "To": "whatsapp:+4915100000001"}
        assert twilio_post(stack, "/webhooks/twilio/status", status).status_code == 200
        read = {"id": rows["whatsapp"].provider_message_id, "status": "read",
                "timestamp": str(int(time.time())), "recipient_id": "4915100000002"}
        assert cloud_post(stack, envelope(statuses=[read])).status_code == 200
        citizens.telegram(701, "danke")
        report = http.get(f"/api/broadcasts/{bid}", auth=PRESS).json()
        assert {k: v for k, v in report["counts"].items() if v} == {
            "sent": 2, "delivered": 1, "read": 1
        }
        assert report["by_channel"]["telegram"]["sent"] == 2  # no receipts on Telegram
        assert report["by_language"]["nl"]["delivered"] == 1
        assert report["replies"] == 1
    finally:
        scheduler.stop()


@pytest.fixture
def slow(sqlite_url: str, settings_for, fakes) -> Iterator[Stack]:  # noqa: F811
    """Two sends at a time, each 0.15 s: a broadcast to 30 takes over two seconds."""
    fakes["telegram"].delay = 0.15
    yield from build_stack(
        sqlite_url, settings_for, fakes, dispatch_batch_size=2, dispatch_concurrency=2
    )


def test_pause_resume_and_cancel_while_sending(slow: Stack) -> None:
    stack = slow
    with transaction(stack.engine.db) as session:
        PRESS.add(session, ["communications"])
    for i in range(SLOW_COUNT):
        subscriber(stack.engine.db, "telegram", str(800 + i))
    http = stack.http
    bid = http.post(
        "/api/broadcasts", json={"texts": TEXTS, "topics": ["warnungen"]}, auth=PRESS
    ).json()["id"]
    http.post(f"/api/broadcasts/{bid}/send", auth=PRESS)
    stack.dispatcher.wake()
    wait_for(lambda: len(stack.telegram.sent) >= 2)
    assert http.post(f"/api/broadcasts/{bid}/pause", auth=PRESS).json()["status"] == "paused"
    time.sleep(0.5)  # what was in flight lands
    paused_at = len(stack.telegram.sent)
    time.sleep(1.0)
    assert len(stack.telegram.sent) == paused_at < SLOW_COUNT  # nothing more while paused
    assert http.post(f"/api/broadcasts/{bid}/resume", auth=PRESS).json()["status"] == "sending"
    stack.dispatcher.wake()
    wait_for(lambda: len(stack.telegram.sent) >= paused_at + 2)
    assert http.post(f"/api/broadcasts/{bid}/cancel", auth=PRESS).json()["status"] == "cancelled"
    time.sleep(0.5)
    cancelled_at = len(stack.telegram.sent)
    time.sleep(1.0)
    assert len(stack.telegram.sent) == cancelled_at < SLOW_COUNT
    chats = [item["chat_id"] for item in stack.telegram.sent]
    assert len(chats) == len(set(chats))  # nobody twice
    counts = http.get(f"/api/broadcasts/{bid}", auth=PRESS).json()["counts"]
    assert counts["sent"] == cancelled_at and counts["cancelled"] == SLOW_COUNT - cancelled_at
