"""The dialogue manager: conversation state and one turn in, new state and events out.

It decides what a message means for the conversation (a tapped button, a language
switch, an answer to "Meinten Sie …?", an intent worth starting) and says what to do
as events. It performs no I/O: the engine stores the state and applies the events in
one transaction, so a turn can be tested with no server and no database.

State keys (JSON): `misunderstood` (misunderstandings in a row), `awaiting`
(`"handoff_offer"` while the bot waits for yes/no), `clarify` (intents offered).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.i18n import t
from bot.messages import Button, Reply
from flows.events import (
    Event,
    FallbackRecorded,
    HandoffRequested,
    LanguageChanged,
    ReplySent,
)
from flows.turn import Services, Turn

DEFINITIONS_DIR = Path(__file__).parent / "definitions"
INTENT_PAYLOAD = "intent:"
MISUNDERSTANDINGS_BEFORE_HANDOFF = 2
# Intents never offered in "Meinten Sie …?": they are no useful guess.
NOT_CLARIFIABLE = frozenset({"out_of_scope", "affirm", "deny"})


def _load_yaml(name: str) -> Any:
    return yaml.safe_load((DEFINITIONS_DIR / name).read_text(encoding="utf-8"))


@dataclass
class Dialogue:
    """Routes turns to answers and flows; built once per process from `definitions/`."""

    threshold: float
    answers: dict[str, dict[str, Any]] = field(default_factory=lambda: _load_yaml("answers.yaml"))
    menu: list[dict[str, str]] = field(default_factory=lambda: _load_yaml("menu.yaml"))

    def respond(
        self, state: dict[str, Any], turn: Turn, services: Services
    ) -> tuple[dict[str, Any], list[Event]]:
        """Handle one turn; returns the new state and the events to apply."""
        state = dict(state)
        events: list[Event] = []
        lang = turn.language

        requested = turn.entities("language_request")
        if requested and requested[0] != lang:
            lang = requested[0]
            events.append(LanguageChanged(language=lang))
            if self._only_language_request(turn):
                state["misunderstood"] = 0
                events.append(ReplySent(Reply(text=t("language.switched", lang))))
                return state, events

        intent, chosen = self._intent(turn)
        awaiting = state.pop("awaiting", None)
        state.pop("clarify", None)

        if awaiting == "handoff_offer" and intent in ("affirm", "deny"):
            if intent == "affirm":
                return self._handoff(state, events, lang, "offer_accepted")
            state["misunderstood"] = 0
            events.append(ReplySent(Reply(text=t("handoff.declined", lang))))
            return state, events

        if not chosen and (intent == "out_of_scope" or turn.confidence < self.threshold):
            return self._not_understood(state, events, turn, lang)

        state["misunderstood"] = 0
        return self._route(state, events, intent, lang)

    def _route(
        self, state: dict[str, Any], events: list[Event], intent: str, lang: str
    ) -> tuple[dict[str, Any], list[Event]]:
        if intent == "human_handoff":
            return self._handoff(state, events, lang, "citizen_asked")
        if intent == "cancel":
            events.append(ReplySent(Reply(text=t("nothing_to_cancel", lang))))
            return state, events
        answer = self.answers.get(intent)
        if answer is None:
            state["awaiting"] = "handoff_offer"
            events.append(ReplySent(self._yes_no(t("not_available", lang), lang)))
            return state, events
        buttons = self.menu_buttons(lang) if answer.get("menu") else []
        events.append(ReplySent(Reply(text=t(answer["text"], lang), buttons=buttons)))
        return state, events

    def _not_understood(
        self, state: dict[str, Any], events: list[Event], turn: Turn, lang: str
    ) -> tuple[dict[str, Any], list[Event]]:
        ranking = list(turn.parse.get("intent_ranking") or [])
        events.append(FallbackRecorded(text=turn.text, language=lang, ranking=ranking[:5]))
        state["misunderstood"] = int(state.get("misunderstood", 0)) + 1
        if state["misunderstood"] >= MISUNDERSTANDINGS_BEFORE_HANDOFF:
            state["misunderstood"] = 0
            state["awaiting"] = "handoff_offer"
            events.append(ReplySent(self._yes_no(t("handoff.offer", lang), lang)))
            return state, events
        guesses = [r["name"] for r in ranking if r.get("name") not in NOT_CLARIFIABLE][:2]
        if guesses:
            state["clarify"] = guesses
            buttons = [
                Button(title=t(f"intent.{name}", lang), payload=INTENT_PAYLOAD + name)
                for name in guesses
            ]
            events.append(ReplySent(Reply(text=t("clarify", lang), buttons=buttons)))
        else:
            events.append(
                ReplySent(Reply(text=t("fallback", lang), buttons=self.menu_buttons(lang)))
            )
        return state, events

    def _handoff(
        self, state: dict[str, Any], events: list[Event], lang: str, reason: str
    ) -> tuple[dict[str, Any], list[Event]]:
        state["misunderstood"] = 0
        events.append(HandoffRequested(reason=reason))
        events.append(ReplySent(Reply(text=t("handoff.started", lang))))
        return state, events

    def _intent(self, turn: Turn) -> tuple[str, bool]:
        """The intent of the turn and whether the citizen chose it explicitly (a button)."""
        if turn.payload and turn.payload.startswith(INTENT_PAYLOAD):
            return turn.payload[len(INTENT_PAYLOAD) :], True
        return turn.intent, False

    @staticmethod
    def _only_language_request(turn: Turn) -> bool:
        """True when the message asks for a language and nothing else worth routing."""
        return turn.intent in ("out_of_scope", "greet", "affirm", "help") or turn.confidence < 0.9

    def menu_buttons(self, lang: str) -> list[Button]:
        return [Button(title=t(item["title"], lang), payload=item["payload"]) for item in self.menu]

    @staticmethod
    def _yes_no(text: str, lang: str) -> Reply:
        return Reply(
            text=text,
            buttons=[
                Button(title=t("handoff.offer.yes", lang), payload=INTENT_PAYLOAD + "affirm"),
                Button(title=t("handoff.offer.no", lang), payload=INTENT_PAYLOAD + "deny"),
            ],
        )
