"""`stadtbot rasa export DIR`: Stadtbot as a minimal Rasa 3 project that uses its actions.

Written files (Rasa's YAML format 3.1):

    config.yml      German pipeline and policies (RulePolicy for the forms)
    domain.yml      intents, entities, slots with mappings, forms, German responses, actions
    endpoints.yml   action_endpoint → `stadtbot actions serve`
    data/nlu.yml    the German training data (nlu/data), with synonyms, regexes, lookups
    data/rules.yml  answer intents, start and finish each form, run the direct actions

Every flow with slots to ask and a catalog action to run after becomes a form
(`book_boat_form`), its slots asked with the flow's German prompts
(`utter_ask_book_boat_form_boat_type`) and checked by the action server's
`validate_book_boat_form`. Slot names are the flows' and the catalog's, so what the
exported assistant fills is what the action server reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from bot.core.i18n import t
from bot.rasa.catalog import (
    CATALOG,
    SERVICE_SLOT,
    after_form,
    form_flows,
    form_name,
    form_slots,
)
from flows.definition import Flow, SlotDef
from flows.dialogue import DEFINITIONS_DIR
from nlu.rasa_io import TrainingData, dump

RASA_FORMAT = "3.1"
LANGUAGE = "de"
DEFAULT_ACTION_SERVER = "http://127.0.0.1:5055/webhook"
SERVICE_CHOOSER = "apply_service"
# Yes and no mean something else inside a conversation; Rasa's forms handle them.
NOT_ANSWERED = frozenset({"affirm", "deny"})
CONFIG = {
    "recipe": "default.v1",
    "language": LANGUAGE,
    "assistant_id": "stadtbot-export",
    "pipeline": [
        {"name": "WhitespaceTokenizer"},
        {"name": "RegexFeaturizer"},
        {"name": "LexicalSyntacticFeaturizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        {"name": "DIETClassifier", "epochs": 100},
        {"name": "EntitySynonymMapper"},
        {"name": "FallbackClassifier", "threshold": 0.6},
    ],
    "policies": [
        {"name": "MemoizationPolicy"},
        {"name": "RulePolicy"},
        {"name": "TEDPolicy", "max_history": 5, "epochs": 100},
    ],
}
# Slots the catalog actions set, typed for Rasa (others are text).
SET_SLOT_TYPES = {"boat_available": "bool", "price_cents": "float", "balance_cents": "float"}


def german_data(data: TrainingData) -> TrainingData:
    """The German examples (and every synonym, regex and lookup)."""
    return TrainingData(
        examples=[e for e in data.examples if e.lang in (LANGUAGE, None)],
        synonyms=data.synonyms,
        regexes=data.regexes,
        lookups=data.lookups,
    )


def _slot_mappings(name: str, slot: SlotDef | None, forms: list[str]) -> list[dict[str, Any]]:
    mappings: list[dict[str, Any]] = [
        {"type": "from_entity", "entity": entity} for entity in (slot.entities if slot else ())
    ]
    if forms:
        conditions = [{"active_loop": form, "requested_slot": name} for form in forms]
        mappings.append({"type": "from_text", "conditions": conditions})
    return mappings or [{"type": "custom"}]


def _slots(flows: dict[str, Flow], forms: list[Flow]) -> dict[str, dict[str, Any]]:
    """Every slot a form asks or a catalog action reads or sets, with Rasa mappings."""
    definitions: dict[str, SlotDef] = {}
    asked_in: dict[str, list[str]] = {}
    for flow in forms:
        for name in form_slots(flow):
            definitions.setdefault(name, flow.slots[name])
            asked_in.setdefault(name, []).append(form_name(flow.name))
    for spec in CATALOG:
        flow = flows.get(spec.flow)
        for name in spec.slots:
            if flow is not None and name in flow.slots:
                definitions.setdefault(name, flow.slots[name])
            asked_in.setdefault(name, [])
    slots: dict[str, dict[str, Any]] = {}
    for name in sorted(asked_in):
        slot = definitions.get(name)
        kind = "bool" if slot is not None and slot.type == "yes_no" else "text"
        slots[name] = {
            "type": SET_SLOT_TYPES.get(name, kind),
            "influence_conversation": name in SET_SLOT_TYPES and SET_SLOT_TYPES[name] == "bool",
            "mappings": _slot_mappings(name, slot, asked_in[name]),
        }
    chooser = flows.get(SERVICE_CHOOSER)
    if chooser is not None:  # which service form apply_service starts (see rules)
        slots[SERVICE_SLOT] = {
            "type": "categorical",
            "values": [o.value for o in chooser.slots[SERVICE_SLOT].options],
            "influence_conversation": True,
            "mappings": [{"type": "from_entity", "entity": e}
                         for e in chooser.slots[SERVICE_SLOT].entities],
        }
    return slots


def _ask_responses(forms: list[Flow]) -> dict[str, list[dict[str, Any]]]:
    responses: dict[str, list[dict[str, Any]]] = {}
    for flow in forms:
        for name in form_slots(flow):
            slot = flow.slots[name]
            response: dict[str, Any] = {"text": slot.prompt[LANGUAGE]}
            if slot.options:
                response["buttons"] = [
                    {"title": o.title[LANGUAGE], "payload": o.value} for o in slot.options
                ]
            responses[f"utter_ask_{form_name(flow.name)}_{name}"] = [response]
    return responses


def answers(intents: Iterable[str]) -> dict[str, str]:
    """Intent → German text of Stadtbot's one-message answers (answers.yaml)."""
    table = yaml.safe_load((DEFINITIONS_DIR / "answers.yaml").read_text(encoding="utf-8"))
    return {
        intent: t(table[intent]["text"], LANGUAGE)
        for intent in intents
        if intent in table and intent not in NOT_ANSWERED
    }


def _rules(flows: dict[str, Flow], forms: list[Flow], intents: set[str]) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        {"rule": f"answer {intent}", "steps": [{"intent": intent}, {"action": f"utter_{intent}"}]}
        for intent in answers(sorted(intents))
    ]
    chooser = flows.get(SERVICE_CHOOSER)
    services = {o.value for o in chooser.slots[SERVICE_SLOT].options} if chooser else set()
    for flow in forms:
        form = form_name(flow.name)
        starts = [i for i in flow.intents if i in intents]
        for intent in starts:
            rules.append({"rule": f"start {form} on {intent}", "steps": [
                {"intent": intent}, {"action": form}, {"active_loop": form}]})
        if flow.name in services and SERVICE_CHOOSER in intents:
            rules.append({"rule": f"start {form} for the service", "steps": [
                {"intent": SERVICE_CHOOSER}, {"slot_was_set": [{SERVICE_SLOT: flow.name}]},
                {"action": form}, {"active_loop": form}]})
        rules.append({
            "rule": f"finish {form}",
            "condition": [{"active_loop": form}],
            "steps": [
                {"action": form},
                {"active_loop": None},
                {"slot_was_set": [{"requested_slot": None}]},
                *({"action": name} for name in after_form(flow)),
            ],
        })
    form_names = {f.name for f in forms}
    for spec in CATALOG:  # actions of flows without a form run on the flow's intent
        flow = flows.get(spec.flow)
        if flow is None or flow.name in form_names:
            continue
        for intent in (i for i in flow.intents if i in intents):
            rules.append({"rule": f"{spec.name} on {intent}",
                          "steps": [{"intent": intent}, {"action": spec.name}]})
    return rules


def _entities(data: TrainingData, slots: dict[str, dict[str, Any]]) -> list[str]:
    annotated = {e["entity"] for ex in data.examples for e in ex.entities}
    mapped = {m["entity"] for s in slots.values() for m in s["mappings"] if "entity" in m}
    return sorted(annotated | mapped)


def build_domain(flows: dict[str, Flow], data: TrainingData) -> dict[str, Any]:
    """domain.yml as a mapping."""
    forms = form_flows(flows)
    slots = _slots(flows, forms)
    intents = data.intents
    responses = {f"utter_{intent}": [{"text": text}] for intent, text in answers(intents).items()}
    responses.update(_ask_responses(forms))
    actions = [spec.name for spec in CATALOG]
    actions += [f"validate_{form_name(flow.name)}" for flow in forms]
    return {
        "version": RASA_FORMAT,
        "intents": intents,
        "entities": _entities(data, slots),
        "slots": slots,
        "forms": {form_name(f.name): {"required_slots": form_slots(f)} for f in forms},
        "responses": responses,
        "actions": actions,
        "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
    }


def _write(path: Path, content: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else yaml.safe_dump(
        content, allow_unicode=True, sort_keys=False, width=100
    )
    path.write_text(text, encoding="utf-8")
    return path


def export_project(
    target: Path, flows: dict[str, Flow], data: TrainingData,
    action_server: str = DEFAULT_ACTION_SERVER,
) -> list[Path]:
    """Write the Rasa project into `target`; returns the files written."""
    data = german_data(data)
    domain = build_domain(flows, data)
    rules = _rules(flows, form_flows(flows), set(data.intents))
    return [
        _write(target / "config.yml", CONFIG),
        _write(target / "domain.yml", domain),
        _write(target / "endpoints.yml", {"action_endpoint": {"url": action_server}}),
        _write(target / "data" / "nlu.yml", dump(data)),
        _write(target / "data" / "rules.yml", {"version": RASA_FORMAT, "rules": rules}),
    ]
