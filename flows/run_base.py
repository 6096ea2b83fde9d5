"""What every part of a flow run shares: the turn, the flow stack, the events so far.

`FlowRun` (flows/runtime.py) is assembled from mixins, one job each: filling and asking
slots (flows/filling.py), reading values and conditions (flows/scope.py), walking steps
(flows/steps.py). They all work on this state.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.core.errors import ActionError
from bot.core.messages import Button, Reply
from flows.definition import Condition, Flow, Option, SlotDef
from flows.events import ActionCalled, Event, ReplySent
from flows.slots import Problem
from flows.state import Frame, State
from flows.turn import Services, Turn

MAX_STEPS_PER_TURN = 50
MAX_FAILS = 3
MAX_STACK = 3
MAX_BUTTONS = 8
# Slot types whose typed form is distinctive enough to read as a correction at the summary.
CORRECTABLE_TYPES = ("date", "time", "datetime", "reference", "email")
NOT_A_TOPIC_CHANGE = frozenset({"affirm", "deny", "out_of_scope", "cancel", "thanks"})
TOPIC_CHANGE_CONFIDENCE = 0.85
# Intents without a flow that still leave a free-text question ("Mitarbeiter bitte").
ESCAPE_INTENTS = frozenset({"human_handoff"})


@dataclass
class RunBase:
    """One turn's work on the flow stack; collects events, mutates `state` in place."""

    flows: dict[str, Flow]
    state: State
    turn: Turn
    services: Services
    lang: str
    threshold: float
    events: list[Event] = field(default_factory=list)

    # --- stack helpers ---------------------------------------------------------------

    @property
    def stack(self) -> list[Frame]:
        return self.state.setdefault("flows", [])

    @property
    def frame(self) -> Frame | None:
        return self.stack[-1] if self.stack else None

    def flow_of(self, frame: Frame) -> Flow:
        return self.flows[frame["flow"]]

    def say(self, text: str, buttons: list[Button] | None = None, image: str | None = None) -> None:
        self.events.append(ReplySent(Reply(text=text, buttons=buttons or [], image_url=image)))

    def act(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run a backend action through the services, leaving an `ActionCalled` event
        either way; an `ActionError` is raised on to the caller's handler."""
        try:
            result = self.services.run_action(name, params)
        except ActionError as exc:
            self.events.append(ActionCalled(name, params, error=exc.code))
            raise
        self.events.append(ActionCalled(name, params, result=result))
        return result

    def remembered(self, name: str) -> dict[str, Any]:
        """The slots flow `name` takes from earlier flows (a voucher code given before)."""
        memory = self.state.get("memory") or {}
        return {k: memory[k] for k in self.flows[name].remember if k in memory}

    def new_frame(self, name: str, preset: dict[str, Any] | None = None) -> Frame:
        """A fresh frame; remembered slots (a voucher code given earlier) are filled in."""
        slots = self.remembered(name)
        return {
            "flow": name,
            "step": 0,
            "slots": {**slots, **(preset or {})},
            "vars": {},
            "asking": None,
            "mode": None,
            "fails": {},
            "options": {},
            "updated": self.turn.now.isoformat(),
        }

    @property
    def confident(self) -> bool:
        return self.turn.confidence >= self.threshold

    if TYPE_CHECKING:
        # What the mixins call of one another; `FlowRun` has them all. Declared for the
        # type checker only, so each mixin is checked against the others' signatures.
        @abstractmethod
        def reprompt(self) -> None: ...
        @abstractmethod
        def ask(self, frame: Frame, name: str) -> None: ...
        @abstractmethod
        def fill(
            self, frame: Frame, asked: str | None, strict: bool
        ) -> tuple[bool, Problem | None]: ...
        @abstractmethod
        def options(self, frame: Frame, slot: SlotDef) -> list[Option]: ...
        @abstractmethod
        def load_options(self, frame: Frame, slot: SlotDef) -> list[Option]: ...
        @abstractmethod
        def scope_raw(self, frame: Frame) -> dict[str, Any]: ...
        @abstractmethod
        def scope(self, frame: Frame) -> dict[str, Any]: ...
        @abstractmethod
        def holds(self, frame: Frame, condition: Condition) -> bool: ...
        @abstractmethod
        def params(self, frame: Frame, spec: dict[str, Any]) -> dict[str, Any]: ...
        @abstractmethod
        def param(self, template: Any, scope: dict[str, Any]) -> Any: ...
