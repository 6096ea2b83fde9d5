"""Telegram end to end: webhook in → engine → outbox → dispatcher → fake Bot API."""

from __future__ import annotations

import time

from bot.channels.payloads import short_key
from bot.channels.telegram import encode_start_payload
from bot.core.db import transaction
from bot.core.messages import Button, Reply
from bot.core.models import Contact
from bot.core.outbox import enqueue
from tests.channels.conftest import SECRET, Stack
from tests.channels.helpers import wait_rows
from tests.fakes.server import Fault
from tests.fakes.telegram import (
    BLOCKED,
    SERVER_ERROR,
    callback_update,
    message_update,
    too_many_requests,
)

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


def post(stack: Stack, update: dict, headers: dict | None = None):
    return stack.http.post("/webhooks/telegram", json=update, headers=headers or HEADERS)


def queue(stack: Stack, chat_id: int, replies: list[Reply]) -> None:
    """Messages the city sends on its own (reminders, staff answers) enter the outbox."""
    with transaction(stack.engine.db) as session:
        contact = Contact(channel="telegram", channel_user_id=str(chat_id))
        session.add(contact)
        session.flush()
        for reply in replies:
            enqueue(session, contact, reply, kind="staff")
    stack.dispatcher.wake()


def test_conversation_with_deep_link_and_buttons(any_stack: Stack) -> None:
    stack = any_stack
    assert post(stack, message_update(1001, 555, "/start")).status_code == 200
    sent = stack.telegram.wait_for(1)
    assert sent[0]["method"] == "sendMessage" and sent[0]["chat_id"] == "555"
    assert "Stadtbot" in sent[0]["text"]
    keyboard = sent[0]["reply_markup"]["inline_keyboard"]
    data = [row[0]["callback_data"] for row in keyboard]
    assert "intent:book_boat" in data

    response = post(stack, callback_update(1002, 555, "intent:help"))
    assert response.json() == {"method": "answerCallbackQuery", "callback_query_id": "cbq1002"}
    sent = stack.telegram.wait_for(2)
    assert "Schreiben Sie mir einfach" in sent[1]["text"]

    post(stack, message_update(1003, 555, "Danke!"))
    assert "Gern geschehen" in stack.telegram.wait_for(3)[2]["text"]
    rows = wait_rows(stack, "sent", 3)
    assert all(r.provider_message_id for r in rows)


def test_duplicate_update_is_answered_once(stack: Stack) -> None:
    for _ in range(3):
        assert post(stack, message_update(2001, 556, "Hallo")).status_code == 200
    wait_rows(stack, "sent", 1)
    time.sleep(0.3)
    assert len(stack.telegram.sent) == 1
    assert len(stack.rows()) == 1


def test_bad_requests(stack: Stack) -> None:
    update = message_update(3001, 557, "Hallo")
    assert post(stack, update, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}).status_code == 403
    assert stack.http.post("/webhooks/telegram", json=update).status_code == 403
    bad_json = stack.http.post("/webhooks/telegram", content=b"{nope", headers=HEADERS)
    assert bad_json.status_code == 400
    assert post(stack, {"message": "no update id"}).status_code == 400
    sticker = message_update(
        3002,
        557,
        "",
        sticker={
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        },
    )
    assert post(stack, sticker).json()["ignored"] == "sticker"
    group = message_update(3003, 557, "Hallo")
    group["message"]["chat"] = {"id": -100, "type": "group", "title": "Verein"}
    assert post(stack, group).json()["ignored"] == "group chat"
    edited = {"update_id": 3004, "edited_message": message_update(3004, 557, "x")["message"]}
    assert post(stack, edited).status_code == 200
    time.sleep(0.2)
    assert stack.rows() == [] and stack.telegram.sent == []


def test_photo_and_location_reach_the_engine(stack: Stack) -> None:
    photo = message_update(
        4001,
        558,
        "",
        photo=[
            {"file_id": "small", "file_unique_id": "a", "width": 90, "height": 90},
            {"file_id": "big", "file_unique_id": "b", "width": 900, "height": 900},
        ],
    )
    location = message_update(4002, 558, "", location={"latitude": 52.07, "longitude": 7.01})
    assert post(stack, photo).status_code == 200
    assert post(stack, location).status_code == 200
    from sqlmodel import Session, select

    from bot.core.models import Message

    with Session(stack.engine.db) as session:
        inbound = session.exec(select(Message).where(Message.direction == "in")).all()
    assert inbound[0].data["media"][0]["provider_id"] == "big"
    assert inbound[1].data["location"]["latitude"] == 52.07


def test_429_and_500_burst_lose_nothing(stack: Stack) -> None:
    stack.telegram.faults.extend(
        [Fault(429, too_many_requests(1))] + [Fault(500, SERVER_ERROR)] * 3
    )
    started = time.monotonic()
    queue(stack, 559, [Reply(text=f"Nachricht {i}") for i in range(5)])
    sent = stack.telegram.wait_for(5, timeout=20)
    assert [m["text"] for m in sent] == [f"Nachricht {i}" for i in range(5)]
    assert time.monotonic() - started >= 1.0  # retry_after honoured
    rows = wait_rows(stack, "sent", 5)
    assert rows[0].attempts == 5 and rows[0].last_error is None


def test_blocked_bot_is_failed_not_retried(stack: Stack) -> None:
    stack.telegram.faults.append(Fault(403, BLOCKED))
    queue(stack, 560, [Reply(text="Erinnerung"), Reply(text="Zweite")])
    failed = wait_rows(stack, "failed", 1)
    assert "blocked" in failed[0].last_error and failed[0].attempts == 1
    assert [m["text"] for m in stack.telegram.wait_for(1)] == ["Zweite"]


def test_long_text_split_photo_and_long_payload(stack: Stack) -> None:
    paragraphs = "\n\n".join(f"Absatz {i}: " + "x" * 900 for i in range(9))
    long_payload = "flow:report_issue:" + "y" * 80
    queue(
        stack,
        561,
        [
            Reply(text=paragraphs, buttons=[Button(title="Melden", payload=long_payload)]),
            Reply(text="Ihr Ticket", image_url=stack.url + "/static/chat.css"),
        ],
    )
    sent = stack.telegram.wait_for(4)
    texts = [m for m in sent if m["method"] == "sendMessage"]
    assert len(texts) == 3 and all(len(m["text"]) <= 4096 for m in texts)
    assert texts[1]["text"].startswith("Absatz")  # cut at a paragraph boundary
    assert "reply_markup" not in texts[0] and "reply_markup" in texts[2]
    key = texts[2]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert key == short_key(long_payload) and len(key.encode()) <= 64
    photo = sent[3]
    assert photo["method"] == "sendPhoto" and photo["photo"]["size"] > 0
    assert photo["caption"] == "Ihr Ticket"
    # The long payload comes back through the table when the button is tapped.
    post(stack, callback_update(5001, 561, key))
    from sqlmodel import Session, select

    from bot.core.models import Message

    with Session(stack.engine.db) as session:
        tapped = session.exec(select(Message).where(Message.direction == "in")).one()
    assert tapped.payload == long_payload


def test_start_payload_encoding_round_trip() -> None:
    assert encode_start_payload("intent:book_boat") == "intent__book_boat"
    assert encode_start_payload("x" * 70).startswith("h_")
