"""One way in for every channel: run the turn, count it, wake the dispatcher.

Webhooks (`api.routes.webhooks`), the web chat (`api.routes.chat`), Telegram polling and
the terminal chat (`bot.cli`) all hand their decoded `InboundMessage` to `ingest`, so the
metrics and the dispatcher's wake-up are the same whatever the channel. It blocks (one
database transaction); async callers run it in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.messages import InboundMessage
from bot.core.metrics import (
    DUPLICATES,
    FALLBACKS,
    HANDLE_SECONDS,
    HANDOFFS,
    INBOUND,
    NLU_CONFIDENCE,
    REPLIES,
)
from bot.core.outbox import PULL_CHANNELS
from bot.engine import Engine, Handled

# Channels that show buttons as a numbered list, so a typed "2" means the second button.
NUMBERED_CHOICE_CHANNELS = frozenset({"twilio", "whatsapp"})


def ingest(
    engine: Engine, inbound: InboundMessage, wake: Callable[[], None] | None = None
) -> Handled:
    """Handle `inbound` exactly once and return what became of it. `wake` (the
    dispatcher's) is called after every message on a push channel: it may have queued
    replies or released messages held for WhatsApp's 24-hour window."""
    with HANDLE_SECONDS.time():
        handled = engine.handle(
            inbound, resolve_choices=inbound.channel in NUMBERED_CHOICE_CHANNELS
        )
    INBOUND.labels(inbound.channel).inc()
    if handled.duplicate:
        DUPLICATES.labels(inbound.channel).inc()
    else:
        _count(inbound.channel, handled)
    if wake is not None and inbound.channel not in PULL_CHANNELS:
        wake()
    return handled


def _count(channel: str, handled: Handled) -> None:
    """What the operators watch per channel: replies, how sure the NLU was, fallbacks
    and handoffs (a redelivery counts once, as a duplicate)."""
    REPLIES.labels(channel).inc(len(handled.replies))
    if handled.confidence is not None:
        NLU_CONFIDENCE.labels(channel).observe(handled.confidence)
    if handled.fallback:
        FALLBACKS.labels(channel).inc()
    if handled.handoff_reason is not None:
        HANDOFFS.labels(channel, handled.handoff_reason).inc()
