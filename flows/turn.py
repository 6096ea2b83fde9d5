"""The typed input of one dialogue turn and the services a turn may call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.core.messages import Location, Media, Reply


@dataclass(frozen=True)
class Turn:
    """One citizen message as the dialogue sees it: text, tapped payload, NLU parse."""

    text: str
    payload: str | None
    parse: dict[str, Any]
    language: str
    now: datetime
    channel: str = "web"
    location: Location | None = None
    media: list[Media] = field(default_factory=list)
    # The knowledge base's answer to this message (or the full text its `knowledge:` button
    # asks for) and its relevance, looked up by the engine; None when the pages hold none.
    knowledge: Reply | None = None
    knowledge_score: float = 0.0

    @property
    def intent(self) -> str:
        return str((self.parse.get("intent") or {}).get("name") or "out_of_scope")

    @property
    def confidence(self) -> float:
        return float((self.parse.get("intent") or {}).get("confidence") or 0.0)

    def entities(self, name: str) -> list[Any]:
        """The values of every entity called `name`, in text order."""
        return [e["value"] for e in self.parse.get("entities", []) if e.get("entity") == name]

    def after_entity(self, name: str) -> str:
        """The text right after the first entity called `name` ("14, ein Sofa" after the
        street in "Wallstraße 14, ein Sofa"); empty if there is none."""
        for e in self.parse.get("entities", []):
            if e.get("entity") == name and isinstance(e.get("end"), int):
                return self.text[e["end"] :]
        return ""


class Services(Protocol):
    """What the dialogue may ask of the outside world, inside the engine's transaction."""

    def run_action(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run a backend action; raises `bot.core.errors.ActionError` for expected outcomes."""
        ...
