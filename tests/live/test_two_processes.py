"""50 messages from one person at once, over HTTP, to two server processes on PostgreSQL.

Each must be processed exactly once and never interleaved with another: the
conversation's counter ends at exactly 50 (plus the opening), and in the transcript
every inbound message is followed by its own replies before the next one starts.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlmodel import Session, select

from bot.core.db import make_engine
from bot.core.models import Contact, Conversation, Message
from tests.live.server import running_server

MESSAGES = 50


def test_fifty_concurrent_messages_on_two_processes(pg_url: str) -> None:
    # Fifty messages into one session in a moment: more than the per-session limit.
    free = {"CHAT_SESSION_MESSAGES_PER_MINUTE": "0", "CHAT_IP_MESSAGES_PER_MINUTE": "0"}
    with running_server(pg_url, **free) as first, running_server(pg_url, **free) as second:
        sid = httpx.post(f"{first}/api/chat", json={}, timeout=30).json()["session_id"]

        def send(i: int) -> httpx.Response:
            base = first if i % 2 else second
            body = {"session_id": sid, "text": "Hallo", "message_id": f"m-{i}"}
            return httpx.post(f"{base}/api/chat", json=body, timeout=60)

        with ThreadPoolExecutor(max_workers=MESSAGES) as pool:
            responses = list(pool.map(send, range(MESSAGES)))
            replays = list(pool.map(send, [7] * 10))  # the same message id, redelivered

    assert [r.status_code for r in responses + replays] == [200] * (MESSAGES + 10)
    assert all(r.json()["messages"] for r in responses)
    assert {tuple(m["id"] for m in r.json()["messages"]) for r in replays} == {
        tuple(m["id"] for m in responses[7].json()["messages"])
    }

    db = make_engine(pg_url)
    with Session(db) as session:
        contact = session.exec(select(Contact).where(Contact.channel_user_id == sid)).one()
        conversation = session.exec(
            select(Conversation).where(Conversation.contact_id == contact.id)
        ).one()
        transcript = session.exec(
            select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)
        ).all()
    db.dispose()

    assert conversation.message_count == MESSAGES + 1
    inbound = [m for m in transcript if m.direction == "in"]
    assert len(inbound) == MESSAGES + 1
    assert len({m.provider_message_id for m in inbound}) == MESSAGES + 1
    current = None
    for message in transcript:  # in, its replies, in, its replies, … never mixed
        if message.direction == "in":
            current = message.id
        else:
            assert message.reply_to_id == current
    replied = {m.reply_to_id for m in transcript if m.direction == "out"}
    assert replied == {m.id for m in inbound}
