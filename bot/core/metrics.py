"""Prometheus metrics shared by the API and the workers (`GET /metrics`)."""

from prometheus_client import Counter, Gauge, Histogram

INBOUND = Counter("stadtbot_inbound_messages_total", "Inbound messages handled", ["channel"])
DUPLICATES = Counter("stadtbot_duplicate_messages_total", "Redelivered messages", ["channel"])
REPLIES = Counter("stadtbot_replies_total", "Replies written to the outbox", ["channel"])
NLU_CONFIDENCE = Histogram(
    "stadtbot_nlu_confidence",
    "NLU confidence of the top intent for typed messages (tapped buttons are not counted)",
    ["channel"],
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0),
)
# Rates for dashboards: divide by stadtbot_inbound_messages_total.
FALLBACKS = Counter(
    "stadtbot_fallbacks_total", "Messages the bot did not understand (fallback)", ["channel"]
)
HANDOFFS = Counter(
    "stadtbot_handoffs_total", "Conversations handed to staff, by reason", ["channel", "reason"]
)
HANDLE_SECONDS = Histogram(
    "stadtbot_handle_seconds",
    "Time to handle one inbound message (NLU, dialogue, commit)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
REQUEST_SECONDS = Histogram(
    "stadtbot_http_request_seconds",
    "HTTP request latency by route (webhooks, web chat, staff, API)",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
# Read from the database when /metrics is scraped, so every API process reports the
# whole outbox, whoever wrote to it.
OUTBOX_DEPTH = Gauge(
    "stadtbot_outbox_messages", "Unsent outbox messages", ["channel", "status"]
)
OUTBOX_AGE = Gauge(
    "stadtbot_outbox_oldest_due_seconds", "Age of the oldest due and unsent outbox message"
)

# The optional language model (bot/llm): calls by kind and outcome, tokens, and the
# month's use against its budget (read from the database when /metrics is scraped).
LLM_CALLS = Counter(
    "stadtbot_llm_calls_total", "Language model calls by kind and outcome", ["kind", "outcome"]
)
LLM_TOKENS = Counter("stadtbot_llm_tokens_total", "Language model tokens used by this process")
LLM_MONTH_TOKENS = Gauge("stadtbot_llm_tokens_month", "Language model tokens used this month")
LLM_TOKEN_BUDGET = Gauge(
    "stadtbot_llm_token_budget", "Monthly language model token budget (0: no limit)"
)
