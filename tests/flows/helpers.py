"""Test doubles for pure flow tests: a scripted backend and turns built by hand.

The dialogue is pure, so a test feeds it state + turn and compares state + events; the
NLU parse is written out (intent, entities) so the tests pin the runtime's behaviour,
not a model's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from actions.registry import ActionError
from bot.core.messages import Location, Media
from flows.dialogue import Dialogue
from flows.events import Event, ReplySent
from flows.turn import Turn

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=BERLIN)  # a Friday

Handler = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class FakeServices:
    """Answers actions from a table of handlers and records every call."""

    handlers: dict[str, Handler | dict[str, Any] | ActionError] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def run_action(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((name, params))
        handler = self.handlers.get(name)
        if handler is None:
            raise AssertionError(f"unexpected action {name} {params}")
        if isinstance(handler, ActionError):
            raise handler
        result = handler(params) if callable(handler) else handler
        if isinstance(result, ActionError):  # a scripted sequence may fail on one call
            raise result
        return result

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


def turn(
    text: str = "",
    intent: str = "out_of_scope",
    confidence: float = 0.95,
    entities: dict[str, Any] | None = None,
    payload: str | None = None,
    lang: str = "de",
    now: datetime = NOW,
    media: list[Media] | None = None,
    location: Location | None = None,
) -> Turn:
    """A turn with a hand-written NLU parse."""
    ents = [{"entity": k, "value": v, "start": 0, "end": 0} for k, v in (entities or {}).items()]
    ranking = [{"name": intent, "confidence": confidence}]
    return Turn(
        text=text,
        payload=payload,
        parse={"text": text, "intent": ranking[0], "intent_ranking": ranking, "entities": ents},
        language=lang,
        now=now,
        media=media or [],
        location=location,
    )


@dataclass
class Chat:
    """A conversation with the pure dialogue: keeps the state between turns."""

    services: FakeServices
    dialogue: Dialogue = field(default_factory=lambda: Dialogue(threshold=0.5))
    state: dict[str, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    def send(self, *args: Any, **kwargs: Any) -> list[str]:
        """One turn; returns the texts of the replies."""
        self.state, self.events = self.dialogue.respond(
            self.state, turn(*args, **kwargs), self.services
        )
        return self.texts()

    def texts(self) -> list[str]:
        return [e.reply.text for e in self.events if isinstance(e, ReplySent)]

    def buttons(self) -> list[str]:
        return [b.payload for e in self.events if isinstance(e, ReplySent) for b in e.reply.buttons]

    @property
    def frame(self) -> dict[str, Any]:
        return self.state["flows"][-1]
