"""The dispatcher's claims do not wait for earlier sends: one slow provider holds up no
other channel, and a channel keeps claiming while its own earlier sends are in flight.

Before the claims were pipelined, a round claimed every channel and then waited for all
of the round's sends: a provider that took seconds to answer stopped every channel for
as long, and under a saturated limit the slots between two rounds went unused.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from itertools import pairwise

import pytest
from sqlalchemy import event

from bot.channels.registry import build_adapters
from bot.core.db import make_engine, transaction
from bot.core.messages import Reply
from bot.dispatcher import Dispatcher
from tests.channels.conftest import Stack, fake_settings
from tests.channels.helpers import queue, wait_rows
from tests.support import queued_contact

SLOW = 4.0  # seconds the slow provider takes to answer; far above a normal send


def test_a_slow_provider_holds_up_no_other_channel(stack: Stack) -> None:
    stack.twilio.delay = SLOW
    queue(stack, "twilio", "+491701234567", [Reply(text="langsam")],
          last_inbound_at=datetime.now(UTC))
    assert wait_rows(stack, "sending", 1)  # claimed: its send now waits at the provider
    queue(stack, "telegram", "4711", [Reply(text="schnell")])

    assert stack.telegram.wait_for(1)[0]["text"] == "schnell"
    assert stack.twilio.sent == []  # Twilio had not answered yet
    assert wait_rows(stack, "sent", 2, timeout=SLOW + 10)
    assert [m["Body"] for m in stack.twilio.sent] == ["langsam"]


def test_a_channel_claims_again_while_its_sends_are_in_flight(stack: Stack) -> None:
    """With one chat's send hanging, later messages to other chats of the same channel
    still go out (a round that waited for all its sends would not claim them)."""
    stack.telegram.slow_chats["1"] = SLOW
    queue(stack, "telegram", "1", [Reply(text="erste")])
    assert wait_rows(stack, "sending", 1)
    for chat in range(2, 6):
        queue(stack, "telegram", str(chat), [Reply(text=f"an {chat}")])

    sent = stack.telegram.wait_for(4)
    assert sorted(m["chat_id"] for m in sent) == ["2", "3", "4", "5"]
    assert wait_rows(stack, "sent", 5, timeout=SLOW + 10)
    assert len(stack.telegram.sent) == 5


def test_a_claim_whose_commit_outlasted_its_first_slot_moves_the_block(
    sqlite_url: str, settings_for, fakes
) -> None:
    """Slots are reserved before the claim commits; if the commit takes longer than the
    first slot is away, the jobs must not all be due at once (they would go out in one
    burst above the limit): the block moves later, 1/rate apart as reserved."""
    settings = fake_settings(sqlite_url, settings_for, fakes["urls"], telegram_mps=30.0)
    db = make_engine(sqlite_url)
    with transaction(db) as session:
        for chat in range(8):
            queued_contact(session, "telegram", str(100 + chat), "Hallo", kind="staff")
    dispatcher = Dispatcher(db, settings, build_adapters(settings, db))
    event.listen(db, "commit", lambda _connection: time.sleep(0.3))  # a slow commit
    try:
        jobs, due, _idle = dispatcher.claim(dispatcher.adapters["telegram"])
        returned = time.time()
    finally:
        dispatcher.stop()
        db.dispose()

    assert len(jobs) == 7  # 1 + 0.2 s × 30/s slots
    slots = [job.not_before for job in jobs]
    assert slots[0] >= returned - 0.05  # not 0.3 s in the past
    assert all(b - a == pytest.approx(1 / 30, abs=1e-5) for a, b in pairwise(slots))
    assert due >= slots[-1] - 0.1 - 1e-6  # the next claim moved along with them
