"""What a dialogue turn produces: events the engine applies in its transaction.

The dialogue never sends or stores anything itself; it returns these, and the engine
writes replies to the outbox and changes contact and conversation together with the
new state. Each event has one name and one JSON shape (`as_dict`), used in golden
tests; `for_transcript` is what the engine keeps of it on the inbound line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bot.core.messages import Reply


@dataclass(frozen=True)
class Event:
    """Base class; `name` identifies the event type in stored JSON."""

    name = "event"

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.name, **asdict(self)}

    def for_transcript(self) -> dict[str, Any] | None:
        """What the transcript keeps of the event (None: nothing, it is stored elsewhere)."""
        return self.as_dict()


@dataclass(frozen=True)
class ReplySent(Event):
    """Send `reply` to the citizen."""

    reply: Reply
    name = "reply_sent"

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.name, "reply": self.reply.model_dump(exclude_none=True)}

    def for_transcript(self) -> dict[str, Any] | None:
        return None  # every reply is a transcript line of its own


@dataclass(frozen=True)
class ActionCalled(Event):
    """The flow ran backend action `action` with `params`: its `result`, or the
    `ActionError` code in `error`. The action already ran in the turn's transaction, so
    the engine has nothing to do; the event says what the turn did (golden files)."""

    action: str
    params: dict[str, Any]
    result: dict[str, Any] | None = None
    error: str | None = None
    name = "action_called"

    def as_dict(self) -> dict[str, Any]:
        # Not `asdict`: it deep-copies every result, and the dicts are the action's own.
        return {
            "type": self.name,
            "action": self.action,
            "params": self.params,
            "result": self.result,
            "error": self.error,
        }

    def for_transcript(self) -> dict[str, Any] | None:
        # Params and results may hold a PIN or a personal link: only what ran, and how.
        return {"type": self.name, "action": self.action, "error": self.error}


@dataclass(frozen=True)
class LanguageChanged(Event):
    """The citizen asked for another language; remember it."""

    language: str
    name = "language_changed"


@dataclass(frozen=True)
class HandoffRequested(Event):
    """Hand the conversation to staff; the bot stops answering until released."""

    reason: str
    name = "handoff_requested"


@dataclass(frozen=True)
class FallbackRecorded(Event):
    """The bot did not understand; keep the text for review and new training data."""

    text: str
    language: str
    ranking: list[dict[str, Any]] = field(default_factory=list)
    name = "fallback_recorded"


@dataclass(frozen=True)
class ConsentChanged(Event):
    """The citizen subscribed to (`broadcasts` true) or withdrew from a topic's broadcasts.

    `topic` is a topic id or "all"; `district` a part of town (None: the whole town);
    `wording` the exact text the citizen was shown and agreed to (kept as proof);
    `source` "chat" (a dialogue), or "stop" (a STOP word ended every subscription).
    """

    broadcasts: bool
    topic: str = "all"
    district: str | None = None
    wording: str = ""
    source: str = "chat"
    name = "consent_changed"
