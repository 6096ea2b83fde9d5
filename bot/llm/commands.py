"""What the model may propose about a message, and the check that keeps it honest.

The model answers with JSON: `{"command": "start_flow", "flow": …, "slots": {…}}`,
`{"command": "set_slots", "slots": {…}}` (answers for the flow under way),
`{"command": "answer"}` (a question for the city's pages), `{"command": "handoff"}` or
`{"command": "out_of_scope"}`. A proposal is turned into an NLU parse (intent and
entities), so the dialogue treats it exactly like the classifier's: a flow still asks
what is missing and confirms before anything is written. Anything that does not fit the
catalogue (an unknown flow or slot, a value the slot's type or options refuse, broken
JSON) makes the whole proposal void: the classifier's parse stands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flows.definition import Flow, SlotDef
from flows.slots import parse_text, validate

COMMANDS = ("start_flow", "set_slots", "answer", "handoff", "out_of_scope")
#: The proposals that only add to a flow under way; the others replace the intent, which
#: the engine undoes while a flow is open (the classifier's reading of an answer stands).
FLOW_SAFE = frozenset({"set_slots", "handoff"})
# Flows the model may not start: they act on a citizen's data or consent and need the
# citizen's own words (the engine handles them before the model is asked at all).
NOT_FOR_THE_MODEL = frozenset({"delete_my_data", "unsubscribe"})


@dataclass(frozen=True)
class Catalogue:
    """The flows a proposal may name, with the slots it may set."""

    flows: dict[str, Flow]
    services: tuple[str, ...]  # values of `options: services`

    @classmethod
    def of(cls, flows: dict[str, Flow]) -> Catalogue:
        startable = {
            name: flow
            for name, flow in flows.items()
            if flow.intents and name not in NOT_FOR_THE_MODEL
        }
        services = tuple(name for name, flow in flows.items() if flow.is_service)
        return cls(startable, services)

    def describe(self) -> str:
        """The catalogue as the prompt lists it: flow, what it does, its slots."""
        lines = []
        for name, flow in sorted(self.flows.items()):
            slots = ", ".join(_slot_hint(slot, self.services) for slot in flow.slots.values())
            title = flow.title.get("en") or name
            lines.append(f"- {name}: {title}" + (f"; slots: {slots}" if slots else ""))
        return "\n".join(lines)


def _slot_hint(slot: SlotDef, services: tuple[str, ...]) -> str:
    values = _choices(slot, services)
    if values is not None:
        return f"{slot.name} (one of {'|'.join(values)})"
    return f"{slot.name} ({slot.type})"


def _choices(slot: SlotDef, services: tuple[str, ...]) -> tuple[str, ...] | None:
    if slot.type != "choice":
        return None
    if slot.options_of == "services":
        return services
    return tuple(option.value for option in slot.options)


def to_parse(
    raw: str, parse: dict[str, Any], catalogue: Catalogue, now: datetime
) -> dict[str, Any] | None:
    """The parse a valid proposal stands for (the classifier's with intent and entities
    replaced), or None when the proposal is void."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("command") not in COMMANDS:
        return None
    command = data["command"]
    if command == "handoff":
        return _with(parse, "human_handoff", 1.0, [], command)
    if command == "out_of_scope":
        return _with(parse, "out_of_scope", 1.0, [], command)
    if command == "answer":  # below the threshold: the dialogue answers from the pages
        return _with(parse, "out_of_scope", 0.0, [], command)
    slots = data.get("slots") or {}
    if not isinstance(slots, dict):
        return None
    if command == "set_slots":  # any flow's slot of that name must accept the value
        flows = list(catalogue.flows.values())
    else:
        flow = catalogue.flows.get(str(data.get("flow")))
        if flow is None:
            return None
        flows = [flow]
    entities = []
    for name, value in slots.items():
        entity = _entity(flows, str(name), value, catalogue.services, now)
        if entity is None:
            return None
        entities.append(entity)
    if command == "set_slots":
        if not entities:
            return None
        intent = parse.get("intent") or {}
        return _with(
            parse, str(intent.get("name")), float(intent.get("confidence") or 0), entities, command
        )
    return _with(parse, flows[0].intents[0], 1.0, entities, command)


def _entity(
    flows: list[Flow], name: str, value: Any, services: tuple[str, ...], now: datetime
) -> dict[str, Any] | None:
    """The NLU entity for slot `name` of one of `flows`, if a slot of it takes `value`."""
    for flow in flows:
        slot = flow.slots.get(name)
        if slot is None or not slot.entities:
            continue
        checked = _checked(slot, value, services, now)
        if checked is not None:
            return {"entity": slot.entities[0], "value": checked, "source": "llm"}
    return None


def _checked(slot: SlotDef, value: Any, services: tuple[str, ...], now: datetime) -> Any:
    """The value in the slot's stored shape if its type, options and range allow it."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    choices = _choices(slot, services)
    if choices is not None:
        return value if value in choices else None
    if slot.type == "choice":  # options from the backend: the model cannot know them
        return None
    parsed = parse_text(slot, str(value), [], now)
    if parsed is None or isinstance(parsed, dict):
        return None
    return parsed if validate(slot, parsed, now) is None else None


def _with(
    parse: dict[str, Any], intent: str, confidence: float, entities: list[dict[str, Any]], how: str
) -> dict[str, Any]:
    replaced = {e["entity"] for e in entities}
    kept = [e for e in parse.get("entities", []) if e.get("entity") not in replaced]
    return {
        **parse,
        "intent": {"name": intent, "confidence": confidence},
        "entities": kept + entities,
        "llm": how,
        "classifier": {"intent": parse.get("intent"), "entities": parse.get("entities", [])},
    }


def for_open_flow(parse: dict[str, Any]) -> dict[str, Any]:
    """The parse to use while a flow is under way: a proposal that would change the
    intent is undone (the citizen is most likely answering the flow's question)."""
    if parse.get("llm") in (None, *FLOW_SAFE) or "classifier" not in parse:
        return parse
    before = parse["classifier"]
    rest = {k: v for k, v in parse.items() if k not in ("llm", "classifier")}
    return {**rest, "intent": before["intent"], "entities": before["entities"]}
