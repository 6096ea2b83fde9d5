"""The city's actions as `rasa_sdk` actions (needs the optional extra `stadtbot[rasa]`).

Each class is thin: `CityAction` hands the call to the bridge (in a worker thread, since
it waits on the database) and turns its answer into rasa_sdk terms: responses through
the dispatcher, slot events as the return value, `ActionExecutionRejection` when the
action cannot run. `FlowFormValidation` is the `validate_<form>` action of every form
that `stadtbot rasa export` writes: each slot Rasa just filled is parsed and checked with
the slot type of the flow the form came from, and set to its stored value or to None
with the flow's help text.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from functools import partial
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from rasa_sdk.interfaces import ActionExecutionRejection

from bot.core.settings import Settings
from bot.rasa.bridge import Bridge, Call
from bot.rasa.catalog import CATALOG, RasaAction, form_flows, form_name
from bot.rasa.slotvalues import problem_text, read_slot
from flows.definition import Flow

VALIDATE_PREFIX = "validate_"


def call_of(tracker: Tracker, action: str) -> Call:
    """The facts of Rasa's tracker the bridge needs."""
    latest = tracker.latest_message or {}
    loops = [e.get("name") for e in tracker.events if e.get("event") == "active_loop"]
    return Call(
        action=action,
        sender_id=str(tracker.sender_id),
        input_channel=tracker.get_latest_input_channel(),
        slots=dict(tracker.slots),
        message_id=latest.get("message_id"),
        last_event=tracker.events[-1] if tracker.events else None,
        last_form=next((name for name in reversed(loops) if name), None),
    )


class CityAction(Action):
    """A catalog action (`action_book_boat`, …) run by the bridge."""

    def __init__(self, spec: RasaAction, bridge: Bridge) -> None:
        self.spec = spec
        self.bridge = bridge

    def name(self) -> str:
        return self.spec.name

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        answer = await asyncio.to_thread(self.bridge.call, self.spec, call_of(tracker, self.name()))
        if answer.rejected is not None:
            raise ActionExecutionRejection(self.name(), answer.rejected)
        for response in answer.responses:
            dispatcher.utter_message(
                text=response["text"], buttons=response["buttons"], image=response.get("image")
            )
        return answer.events


class FlowFormValidation(FormValidationAction):
    """`validate_<flow>_form`: newly filled slots checked with the flow's slot types."""

    def __init__(self, flow: Flow, settings: Settings) -> None:
        self.flow = flow
        self.settings = settings

    def name(self) -> str:
        return VALIDATE_PREFIX + form_name(self.flow.name)

    def __getattr__(self, attribute: str) -> Any:
        """rasa_sdk looks up `validate_<slot>` for each slot it validates."""
        slot = attribute.removeprefix(VALIDATE_PREFIX)
        if attribute.startswith(VALIDATE_PREFIX) and slot in self.__dict__["flow"].slots:
            return partial(self.validate_slot, slot)
        raise AttributeError(attribute)

    def validate_slot(
        self,
        name: str,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> dict[str, Any]:
        """{slot: stored value}, or {slot: None} and the reason said to the citizen."""
        slot = self.flow.slots[name]
        stored, problem = read_slot(slot, value, datetime.now(self.settings.tz))
        if problem is not None:
            lang = self.settings.default_language
            dispatcher.utter_message(text=problem_text(slot, problem, lang))
            return {name: None}
        return {name: stored}


def build_executor(bridge: Bridge) -> ActionExecutor:
    """An executor with every catalog action and every form's validation action."""
    executor = ActionExecutor()
    for spec in CATALOG:
        executor.register_action(CityAction(spec, bridge))
    for flow in form_flows(bridge.flows):
        executor.register_action(FlowFormValidation(flow, bridge.settings))
    return executor
