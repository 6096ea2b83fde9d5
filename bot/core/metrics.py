"""Prometheus metrics shared by the API and the workers (`GET /metrics`)."""

from prometheus_client import Counter, Histogram

INBOUND = Counter("stadtbot_inbound_messages_total", "Inbound messages handled", ["channel"])
DUPLICATES = Counter("stadtbot_duplicate_messages_total", "Redelivered messages", ["channel"])
REPLIES = Counter("stadtbot_replies_total", "Replies written to the outbox", ["channel"])
HANDLE_SECONDS = Histogram(
    "stadtbot_handle_seconds",
    "Time to handle one inbound message (NLU, dialogue, commit)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
