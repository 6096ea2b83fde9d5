"""The dispatcher's claims do not wait for earlier sends: one slow provider holds up no
other channel, and a channel keeps claiming while its own earlier sends are in flight.

Before the claims were pipelined, a round claimed every channel and then waited for all
of the round's sends: a provider that took seconds to answer stopped every channel for
as long, and under a saturated limit the slots between two rounds went unused.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.messages import Reply
from tests.channels.conftest import Stack
from tests.channels.helpers import queue, wait_rows

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
