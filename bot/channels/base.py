"""What every channel adapter shares: the job it sends, its errors, text helpers.

An adapter turns one outbox row (`OutboundJob`) into provider API calls and reports
the outcome by returning a `Delivery` or raising one of these errors, which the
dispatcher maps to the row's next status:

    ChannelError                      base, never raised itself
    ├── TransientError                429, 5xx, time-outs: retried with backoff
    │                                 (`retry_after` when the provider said so)
    ├── PermanentError                blocked bot, invalid number, 63016 …: `failed`,
    │                                 never retried
    └── HoldMessage                   WhatsApp free text outside the 24-hour window
                                      with no template for its kind: `held`

Provider libraries' own exceptions (telegram.error, TwilioRestException, httpx) are
translated into these once, inside each adapter.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy.engine import Engine as DbEngine

from bot.core.messages import Reply
from bot.core.settings import Settings
from bot.ratelimit import Rate


class ChannelError(Exception):
    """Base of the errors an adapter raises from `send`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:500]


class TransientError(ChannelError):
    """Worth trying again later; `parts_done` says how many parts already went out."""

    def __init__(
        self, reason: str, *, retry_after: float | None = None, parts_done: int = 0
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.parts_done = parts_done


class PermanentError(ChannelError):
    """Will fail the same way every time: mark failed, never retry."""


class HoldMessage(ChannelError):
    """May not be sent now (24-hour window closed and no template): mark held."""


@dataclass(frozen=True)
class OutboundJob:
    """One claimed outbox row with what the adapter needs to know about its contact."""

    id: int
    contact_id: int
    channel: str
    recipient: str
    body: dict[str, Any]
    attempts: int
    last_inbound_at: datetime | None = None
    # Epoch seconds of the rate limit's slot reserved for it: not to be sent earlier.
    not_before: float = 0.0

    @property
    def reply(self) -> Reply:
        return Reply(**{k: v for k, v in self.body.items() if k in Reply.model_fields})

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", "reply"))

    @property
    def parts_done(self) -> int:
        """Parts of a split message already accepted by the provider (earlier attempt)."""
        return int(self.body.get("parts_done", 0))


@dataclass(frozen=True)
class Delivery:
    """The provider accepted the message; its id is what status callbacks refer to."""

    provider_message_id: str | None
    provider_status: str = "accepted"
    extra: dict[str, Any] = field(default_factory=dict)


class ChannelAdapter(ABC):
    """Sends outbox rows of one channel; subclasses translate to one provider's API."""

    name: ClassVar[str]

    def __init__(self, settings: Settings, db: DbEngine) -> None:
        self.settings = settings
        self.db = db

    @abstractmethod
    def send(self, job: OutboundJob) -> Delivery:
        """Deliver one job or raise a `ChannelError` saying what to do with it."""

    def rate(self) -> Rate | None:
        """The provider's limit for this sender across all workers (None: unlimited)."""
        return None

    def chat_limit(self) -> tuple[int, float] | None:
        """At most `n` messages per `seconds` into one chat, or None."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook, most adapters need nothing
        """Release connections (called when the dispatcher stops)."""

    def send_parts(self, job: OutboundJob, parts: list[Callable[[], str | None]]) -> Delivery:
        """Send a split message part by part, skipping parts an earlier attempt sent.

        A failure after k parts is re-raised with `parts_done=k`, so the retry does not
        repeat what the citizen already got.
        """
        last_id: str | None = None
        for index in range(job.parts_done, len(parts)):
            try:
                last_id = parts[index]() or last_id
            except TransientError as exc:
                raise TransientError(
                    exc.reason, retry_after=exc.retry_after, parts_done=index
                ) from exc
        return Delivery(last_id)


_BREAKS = ("\n\n", "\n", ". ", " ")


def split_text(text: str, limit: int) -> list[str]:
    """Split `text` into chunks of at most `limit` characters, at paragraph boundaries
    where possible, then lines, sentences, words, and only then mid-word."""
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = -1
        for mark in _BREAKS:
            cut = window.rfind(mark)
            if cut > limit // 4:
                cut += len(mark.rstrip())
                break
            cut = -1
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not chunks:
        chunks.append(rest)
    return chunks


def numbered_text(reply: Reply) -> str:
    """Buttons as a numbered list the citizen answers by number or by title."""
    if not reply.buttons:
        return reply.text
    lines = [f"{i}. {button.title}" for i, button in enumerate(reply.buttons, start=1)]
    return (reply.text.rstrip() + "\n\n" + "\n".join(lines)).strip()


_ABSOLUTE = re.compile(r"^https?://", re.IGNORECASE)


def absolute_url(url: str, settings: Settings) -> str:
    """Image URLs in replies may be paths on our own app (`/qr/ticket/…`); providers and
    our own downloads need them absolute, so they are resolved against PUBLIC_BASE_URL."""
    if _ABSOLUTE.match(url):
        return url
    if not settings.public_base_url:
        raise PermanentError(f"image_url {url!r} is relative and PUBLIC_BASE_URL is not set")
    return settings.public_base_url.rstrip("/") + "/" + url.lstrip("/")
