"""The dialogue manager: conversation state and one turn in, new state and events out.

It decides what a message means for the conversation (a tapped button, a language
switch, an answer to "Meinten Sie …?", an intent worth starting) and says what to do
as events. It performs no I/O: the engine stores the state and applies the events in
one transaction, so a turn can be tested with no server and no database.

The conversation state it reads and returns is typed in `flows.state`.

Payloads: `intent:NAME` (as if the citizen said NAME), `flow:NAME` (start a flow),
`slot:NAME=VALUE`, `skip:NAME`, `confirm:yes|no`, `edit:NAME`, `staff:yes|no`, `cancel`,
`knowledge:PAGE` (the full text of a knowledge page, looked up by the engine);
anything else is a deep-link start payload (`boat_dock`, `shop_17`, `service_bulky_waste`,
`voucher`) looked up in the flows' `start_payloads`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.core.i18n import catalog, t
from bot.core.messages import Button, Reply
from flows.definition import LANGS, Flow
from flows.events import (
    ActionCalled,
    ConsentChanged,
    Event,
    FallbackRecorded,
    HandoffRequested,
    LanguageChanged,
    ReplySent,
)
from flows.loader import load_flows
from flows.runtime import FlowRun
from flows.services import service_intent
from flows.slots import is_word, vocabulary
from flows.state import State
from flows.turn import Services, Turn

DEFINITIONS_DIR = Path(__file__).parent / "definitions"
INTENT_PAYLOAD = "intent:"
MISUNDERSTANDINGS_BEFORE_HANDOFF = 2
# How sure the NLU must be that a message is small talk or another topic to answer it as
# such; below, it may be gibberish or a typo'd request, which is a misunderstanding.
SMALL_TALK_CONFIDENCE = 0.8
# A follow-up reuses the last answer's question: "und am Sonntag?", "and the library?".
ELLIPSIS_RE = re.compile(
    r"^\s*(?:und|and|en|what about|how about|und was ist mit|und wie ist es mit|en wat dacht je van"
    r"|wie ist es mit|und die|und das|und der)\b",
    re.IGNORECASE,
)
ELLIPSIS_MAX_WORDS = 8
# Intents never offered in "Meinten Sie …?": they are no useful guess.
NOT_CLARIFIABLE = frozenset({"out_of_scope", "affirm", "deny"})
# Intent payloads that answer the open flow rather than start something new.
FLOW_ANSWERS = frozenset({"affirm", "deny"})
FLOW_PAYLOAD = "flow:"
KNOWLEDGE_PAYLOAD = "knowledge:"
# An answer from the city's pages this relevant beats a confident intent whose flow the
# message names nothing of ("Wann ist die Bürgersprechstunde?" is no place's opening hours).
KNOWLEDGE_OVER_FLOW = 0.3


LOCATION_FLOW = "find_acceptance_point"


def _unusable_media(turn: Turn) -> bool:
    """A voice note, video, sticker or file with no text: nothing the bot can read yet."""
    usable = turn.text or turn.payload or turn.location
    return bool(turn.media) and not usable and all(m.kind != "image" for m in turn.media)


def _load_yaml(name: str) -> Any:
    return yaml.safe_load((DEFINITIONS_DIR / name).read_text(encoding="utf-8"))


@dataclass
class Dialogue:
    """Routes turns to answers and flows; built once per process from `definitions/`."""

    threshold: float
    expiry_minutes: int = 60
    flow_dirs: tuple[Path, ...] = (DEFINITIONS_DIR,)
    # The backend's catalogue, action name → whether it writes (handed in by the wiring,
    # which knows `actions`); None skips the action checks, for tests with a fake backend.
    actions: Mapping[str, bool] | None = None
    # Intents configured to go straight to staff (the teams file's `escalate`).
    handoff_intents: frozenset[str] = frozenset()
    # The answers of intents without a flow, and the main menu: read when it is built.
    answers: dict[str, dict[str, Any]] = field(default_factory=lambda: _load_yaml("answers.yaml"))
    menu: list[dict[str, str]] = field(default_factory=lambda: _load_yaml("menu.yaml"))
    flows: dict[str, Flow] = field(init=False)

    def __post_init__(self) -> None:
        self.flows = load_flows(self.flow_dirs, self.actions)
        # What a turn reads is read now, so a turn opens no file (tests/flows/test_no_files.py).
        vocabulary()
        for lang in LANGS:
            catalog(lang)
        self.by_intent = {i: f.name for f in self.flows.values() for i in f.intents}
        self.start_payloads = _start_payloads(self.flows.values())

    def respond(
        self, state: State, turn: Turn, services: Services
    ) -> tuple[State, list[Event]]:
        """Handle one turn; returns the new state and the events to apply."""
        state = state.copy()
        state["flows"] = [f.copy() for f in state.get("flows") or [] if f.get("flow") in self.flows]
        events: list[Event] = []
        lang = turn.language
        turn = _start_command(turn)
        if _is_stop(turn):
            return self._stop(state, lang)

        requested = turn.entities("language_request")
        if requested and requested[0] != lang:
            lang = requested[0]
            events.append(LanguageChanged(language=lang))
            if self._only_language_request(turn):
                state["misunderstood"] = 0
                events.append(ReplySent(Reply(text=t("language.switched", lang))))
                return state, events + self._run(state, turn, services, lang, "reprompt")

        self._expire(state, events, turn, lang)
        if _unusable_media(turn):
            events.append(ReplySent(Reply(text=t("media.unsupported", lang))))
            if state["flows"]:
                run = FlowRun(self.flows, state, turn, services, lang, self.threshold)
                run.reprompt()
                events += run.events
            return state, events
        if turn.payload and turn.payload.startswith(KNOWLEDGE_PAYLOAD):
            return state, events + self._full_text(state, turn, services, lang)
        intent, chosen = self._intent(turn)
        if not chosen and (about := service_intent(turn, intent, self.threshold)):
            intent, chosen = about, True  # a named service: asked about it, or applied
        awaiting = state.pop("awaiting", None)
        state.pop("clarify", None)

        if awaiting == "handoff_offer" and intent in ("affirm", "deny"):
            if intent == "affirm":
                return self._handoff(state, events, lang, "offer_accepted")
            state["misunderstood"] = 0
            events.append(ReplySent(Reply(text=t("handoff.declined", lang))))
            return state, events

        start = (
            self._start_for(turn.payload)
            or self._typed_start(turn)
            or self._location_start(turn, state)
        )
        if start is not None:
            state["flows"] = []  # a scanned code or an "apply now" button starts afresh
            return state, events + self._run(state, turn, services, lang, "start", *start)

        run = FlowRun(self.flows, state, turn, services, lang, self.threshold)
        resumable = state["flows"][-1] if state["flows"] else None
        answers_flow = resumable is not None and not (chosen and intent not in FLOW_ANSWERS)
        if answers_flow and run.handle():
            return state, events + run.events
        if run.events:  # a call made while trying the open flow happened all the same
            events += [e for e in run.events if isinstance(e, ActionCalled)]
            run.events = [e for e in run.events if not isinstance(e, ActionCalled)]
        follow_up = None if chosen or resumable else self._follow_up(state, turn)
        if follow_up is not None:
            state["misunderstood"] = 0
            return state, events + self._run(state, turn, services, lang, "start", *follow_up)
        unsure = _unsure(intent, turn.confidence, self.threshold)
        if not chosen and unsure and turn.knowledge is not None:
            state["misunderstood"] = 0  # answered from the city's pages, with the source
            events.append(ReplySent(turn.knowledge))
        elif not chosen and _small_talk(turn, self.threshold):
            state, events = self._out_of_scope(state, events, turn, lang)
        elif not chosen and unsure:
            state, events = self._not_understood(state, events, turn, lang)
        else:
            state["misunderstood"] = 0
            if intent in self.handoff_intents:
                return self._handoff(state, events, lang, f"intent:{intent}")
            if intent in self.by_intent and self._knowledge_fits_better(turn, intent):
                events.append(ReplySent(turn.knowledge))  # type: ignore[arg-type]
            elif intent in self.by_intent:
                run.start(self.by_intent[intent])
                return state, events + run.events
            else:
                state, events = self._route(state, events, intent, lang)
        if state.get("flows") and state["flows"][-1] is resumable:
            run.events = []
            run.reprompt()
            events += run.events
        return state, events

    def _run(
        self,
        state: State,
        turn: Turn,
        services: Services,
        lang: str,
        what: str,
        name: str = "",
        preset: dict[str, Any] | None = None,
    ) -> list[Event]:
        """Start a flow or re-ask the open one; returns the run's events."""
        run = FlowRun(self.flows, state, turn, services, lang, self.threshold)
        if what == "start":
            run.start(name, preset)
        elif state.get("flows"):
            run.reprompt()
        return run.events

    def may_use_knowledge(self, text: str, parse: dict[str, Any]) -> bool:
        """Whether the city's pages could answer this typed message: only an unsure one
        or a question can be (see `respond` and `_knowledge_fits_better`). The engine
        asks before it searches, so a confident "danke" or a slot answer costs no search."""
        intent = parse.get("intent") or {}
        name = str(intent.get("name") or "out_of_scope")
        return _unsure(name, float(intent.get("confidence") or 0.0), self.threshold) or "?" in text

    def _knowledge_fits_better(self, turn: Turn, intent: str) -> bool:
        """A question the intent's flow cannot place: its flow would ask which of its
        options is meant ("Für welche Einrichtung?") as the message names none, and the
        city's pages answer it well ("Wann ist die Bürgersprechstunde?")."""
        if turn.knowledge is None or turn.knowledge_score < KNOWLEDGE_OVER_FLOW:
            return False
        if "?" not in turn.text:
            return False
        flow = self.flows[self.by_intent[intent]]
        choices = [
            slot
            for slot in flow.slots.values()
            if slot.type == "choice" and not slot.optional and slot.when is None
        ]
        named = any(turn.entities(entity) for slot in choices for entity in slot.entities)
        return bool(choices) and not named

    def _full_text(
        self, state: State, turn: Turn, services: Services, lang: str
    ) -> list[Event]:
        """The "full text" button of an answer: the page, then the open flow's question."""
        reply = turn.knowledge or Reply(text=t("knowledge.gone", lang))
        return [ReplySent(reply), *self._run(state, turn, services, lang, "reprompt")]

    def _expire(self, state: State, events: list[Event], turn: Turn, lang: str) -> None:
        """Drop a flow left alone longer than `expiry_minutes`, telling the citizen so."""
        if not state["flows"]:
            return
        top = state["flows"][-1]
        updated = datetime.fromisoformat(top["updated"])
        if turn.now - updated > timedelta(minutes=self.expiry_minutes):
            title = self.flows[top["flow"]].title[lang]
            state["flows"] = []
            events.append(ReplySent(Reply(text=t("flow.expired", lang, title=title))))

    @staticmethod
    def _stop(state: State, lang: str) -> tuple[State, list[Event]]:
        """STOP: every subscription ends at once, confirmed; an open flow is aborted too
        (STOP was one of its cancel words, and says so)."""
        events: list[Event] = []
        if state["flows"]:
            events.append(ReplySent(Reply(text=t("cancelled", lang))))
        state["flows"] = []
        state["misunderstood"] = 0
        state.pop("awaiting", None)
        consent, confirmation = stop_events(lang)
        return state, [consent, *events, confirmation]

    def _typed_start(self, turn: Turn) -> tuple[str, dict[str, Any]] | None:
        """A WhatsApp deep link arrives as text: a message that is exactly a start payload."""
        text = turn.text.strip()
        if turn.payload or not text or " " in text or text.startswith(FLOW_PAYLOAD):
            return None
        return self._start_for(text)

    def _location_start(
        self, turn: Turn, state: State
    ) -> tuple[str, dict[str, Any]] | None:
        """A location shared out of the blue: the shops nearby are the likeliest wish."""
        if turn.location is None or turn.text or turn.payload or state["flows"]:
            return None
        return (LOCATION_FLOW, {}) if LOCATION_FLOW in self.flows else None

    def _start_for(self, payload: str | None) -> tuple[str, dict[str, Any]] | None:
        """The flow (and preset slots) a `flow:NAME` or deep-link payload starts."""
        if not payload:
            return None
        if payload.startswith(FLOW_PAYLOAD):
            name = payload[len(FLOW_PAYLOAD) :]
            return (name, {}) if name in self.flows else None
        for pattern, (name, preset) in self.start_payloads.items():
            if m := pattern.fullmatch(payload):
                return name, {**preset, **m.groupdict()}
        return None

    def _route(
        self, state: State, events: list[Event], intent: str, lang: str
    ) -> tuple[State, list[Event]]:
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

    def _follow_up(self, state: State, turn: Turn) -> tuple[str, dict[str, Any]] | None:
        """An elliptical message ("und am Sonntag?", "and the library?", "en morgen?")
        asks the last answered question again with what it names: the last answer's flow
        with its slots, those the message names replaced."""
        last = state.get("answered")
        if not last or last.get("flow") not in self.flows or not turn.text:
            return None
        short = len(turn.text.split()) <= 4  # "and on Sunday?" names no new topic
        elsewhere = self.by_intent.get(turn.intent, last["flow"]) != last["flow"] and not short
        if turn.confidence >= self.threshold and (not ELLIPSIS_RE.match(turn.text) or elsewhere):
            return None
        flow = self.flows[last["flow"]]
        named = {
            name
            for name, slot in flow.slots.items()
            if any(turn.entities(entity) for entity in slot.entities)
        }
        if not named or len(turn.text.split()) > ELLIPSIS_MAX_WORDS:
            return None
        kept = {k: v for k, v in (last.get("slots") or {}).items() if k not in named}
        return flow.name, kept

    def _out_of_scope(
        self, state: State, events: list[Event], turn: Turn, lang: str
    ) -> tuple[State, list[Event]]:
        """Small talk, another topic or emoji only: say briefly what the bot can do, with
        the main menu. It is no misunderstanding, so it never counts towards staff."""
        ranking = list(turn.parse.get("intent_ranking") or [])
        events.append(FallbackRecorded(text=turn.text, language=lang, ranking=ranking[:5]))
        reply = Reply(text=t("understood.out_of_scope", lang), buttons=self.menu_buttons(lang))
        events.append(ReplySent(reply))
        return state, events

    def _not_understood(
        self, state: State, events: list[Event], turn: Turn, lang: str
    ) -> tuple[State, list[Event]]:
        ranking = list(turn.parse.get("intent_ranking") or [])
        events.append(FallbackRecorded(text=turn.text, language=lang, ranking=ranking[:5]))
        state["misunderstood"] = int(state.get("misunderstood", 0)) + 1
        if state["misunderstood"] >= MISUNDERSTANDINGS_BEFORE_HANDOFF:
            state["misunderstood"] = 0
            state["awaiting"] = "handoff_offer"
            events.append(ReplySent(self._yes_no(t("handoff.offer", lang), lang)))
            return state, events
        guesses = [r["name"] for r in ranking if r.get("name") not in NOT_CLARIFIABLE][:2]
        buttons = [
            Button(title=t(f"intent.{name}", lang), payload=INTENT_PAYLOAD + name)
            for name in guesses
        ]
        if guesses:
            state["clarify"] = guesses
        if "?" in turn.text:  # a question the city's pages do not answer: said so
            person = Button(
                title=t("knowledge.ask_person", lang), payload=INTENT_PAYLOAD + "human_handoff"
            )
            reply = Reply(
                text=t("knowledge.none", lang),
                buttons=[*(buttons or self.menu_buttons(lang)), person],
            )
        elif guesses:
            reply = Reply(text=t("clarify", lang), buttons=buttons)
        else:
            reply = Reply(text=t("fallback", lang), buttons=self.menu_buttons(lang))
        events.append(ReplySent(reply))
        return state, events

    def _handoff(
        self, state: State, events: list[Event], lang: str, reason: str
    ) -> tuple[State, list[Event]]:
        state["misunderstood"] = 0
        state["flows"] = []
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


def _start_payloads(flows: Any) -> dict[re.Pattern[str], tuple[str, dict[str, Any]]]:
    """Deep-link payloads → (flow, preset slots); `shop_{merchant_id}` captures a slot.

    Every service flow also answers to `service_<name>`.
    """
    table: dict[re.Pattern[str], tuple[str, dict[str, Any]]] = {}
    for flow in flows:
        entries = dict(flow.start_payloads)
        if flow.is_service:
            entries.setdefault(f"service_{flow.name}", {})
        for key, preset in entries.items():
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[A-Za-z0-9_-]+)", re.escape(key))
            table[re.compile(regex)] = (flow.name, dict(preset))
    return table


def _small_talk(turn: Turn, threshold: float) -> bool:
    """A message the NLU surely puts out of scope ("wer wird Meister?"), or emoji only
    ("🙂🙂"); "??" stays a misunderstanding."""
    if turn.payload or turn.location or turn.media:
        return False
    if turn.intent != "out_of_scope" and turn.confidence >= threshold:
        return False
    if turn.text and not re.search(r"[^\W_]", turn.text):  # emoji only, not "??"
        return any(unicodedata.category(ch) == "So" for ch in turn.text)
    return turn.intent == "out_of_scope" and turn.confidence >= SMALL_TALK_CONFIDENCE


def _unsure(intent: str, confidence: float, threshold: float) -> bool:
    """Not understood well enough to act on: out of scope, or below the threshold."""
    return intent == "out_of_scope" or confidence < threshold


def _is_stop(turn: Turn) -> bool:
    return is_stop_message(turn.text, turn.payload)


def is_stop_message(text: str, payload: str | None) -> bool:
    """The whole message (or a tapped payload) is a STOP word in any language."""
    if payload:
        return payload.lower() == "stop"
    return bool(text) and is_word(text, "stop")


def stop_events(lang: str) -> tuple[ConsentChanged, ReplySent]:
    """STOP's effect wherever the chat is (with the bot, with staff, being rated): every
    subscription ends, and the citizen is told so, with a way back."""
    text = t("subscriptions.stopped", lang)
    again = Button(title=t("subscriptions.subscribe_again", lang), payload="flow:subscribe")
    return (
        ConsentChanged(broadcasts=False, topic="all", wording=text, source="stop"),
        ReplySent(Reply(text=text, buttons=[again])),
    )


def _start_command(turn: Turn) -> Turn:
    """Telegram's "/start PAYLOAD" typed or forwarded as text means the payload."""
    if not turn.payload and turn.text.startswith("/start "):
        return replace(turn, payload=turn.text[7:].strip(), text="")
    return turn
