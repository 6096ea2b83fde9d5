"""WhatsApp's 24-hour customer service window, shared by the Twilio and Cloud adapters.

Inside 24 hours after the citizen's last message anything may be sent. Outside it,
WhatsApp only delivers pre-approved templates: a reminder, a status change or a
broadcast goes out as the template configured for its kind, and anything else
(an ordinary reply, a late staff answer) is held and marked, never sent as free text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.channels.base import HoldMessage, OutboundJob

WINDOW = timedelta(hours=24)


def window_open(last_inbound_at: datetime | None, now: datetime | None = None) -> bool:
    """True while free-form messages may be sent to the contact."""
    if last_inbound_at is None:
        return False
    if last_inbound_at.tzinfo is None:  # SQLite hands back naive UTC
        last_inbound_at = last_inbound_at.replace(tzinfo=UTC)
    return (now or datetime.now(UTC)) - last_inbound_at < WINDOW


def template_outside_window(job: OutboundJob, templates: dict[str, str]) -> str | None:
    """None inside the window; outside it the template for the job's kind, else hold."""
    if window_open(job.last_inbound_at):
        return None
    template = templates.get(job.kind)
    if not template:
        raise HoldMessage(f"24-hour window closed and no template for kind {job.kind!r}")
    return template
