"""Rasa 3's documented project schema, checked without Rasa (which is not installed).

What `rasa data validate` and `rasa train` insist on, after Rasa's docs (domain,
training data format, forms, rules, slot mappings, endpoints, model configuration):
format version "3.1"; every intent of the NLU data declared in the domain and every
declared intent trained; annotated entities declared; slots with a known type and
mappings of a known type, whose entities and `active_loop` conditions exist; forms
whose required slots are slots and are asked by an `utter_ask_…` response; rules whose
steps name declared intents, actions, responses, forms and slots.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

FORMAT = "3.1"
DOMAIN_KEYS = {"version", "intents", "entities", "slots", "forms", "responses", "actions",
               "session_config", "config", "e2e_actions"}
SLOT_TYPES = {"text", "bool", "categorical", "float", "list", "any"}
MAPPING_TYPES = {"from_entity", "from_text", "from_intent", "from_trigger_intent", "custom"}
DEFAULT_ACTIONS = {
    "action_listen", "action_restart", "action_session_start", "action_default_fallback",
    "action_deactivate_loop", "action_revert_fallback_events", "action_default_ask_affirmation",
    "action_default_ask_rephrase", "action_two_stage_fallback", "action_unlikely_intent",
    "action_back", "action_extract_slots",
}
STEP_KEYS = {"intent", "action", "active_loop", "slot_was_set", "user", "bot", "entities"}
ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]*\}))")


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def nlu_intents_and_entities(nlu: dict[str, Any]) -> tuple[set[str], set[str], list[str]]:
    """Intents with examples, annotated entities and problems of one NLU file."""
    intents: set[str] = set()
    entities: set[str] = set()
    problems: list[str] = []
    for item in nlu.get("nlu") or []:
        kinds = [k for k in ("intent", "synonym", "regex", "lookup") if k in item]
        if len(kinds) != 1 or not isinstance(item.get("examples"), str):
            problems.append(f"nlu item {item!r:.80} needs one of intent/synonym/regex/lookup "
                            "and an examples block")
            continue
        lines = [ln.strip() for ln in item["examples"].splitlines() if ln.strip()]
        if not lines or not all(ln.startswith("- ") for ln in lines):
            problems.append(f"{kinds[0]} {item[kinds[0]]!r}: examples must be '- ' lines")
        if kinds[0] != "intent":
            continue
        intents.add(str(item["intent"]))
        for line in lines:
            for match in ANNOTATION.finditer(line):
                if match["json"]:
                    entities.add(json.loads(match["json"])["entity"])
                else:
                    entities.add(match["short"].split(":")[0])
    return intents, entities, problems


def check_project(root: Path) -> list[str]:
    """Every violation of the schema in the project at `root` (empty: valid)."""
    problems: list[str] = []
    domain = _load(root / "domain.yml")
    for name in ("domain.yml", "data/nlu.yml", "data/rules.yml"):
        if _load(root / name).get("version") != FORMAT:
            problems.append(f"{name}: version must be the string {FORMAT!r}")
    problems += [f"domain: unknown key {k!r}" for k in set(domain) - DOMAIN_KEYS]

    trained, annotated, nlu_problems = nlu_intents_and_entities(_load(root / "data" / "nlu.yml"))
    problems += nlu_problems
    intents = {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or []}
    problems += [f"intent {i!r} of nlu.yml is not in the domain" for i in trained - intents]
    problems += [f"domain intent {i!r} has no examples" for i in intents - trained]
    entities = set(domain.get("entities") or [])
    problems += [f"entity {e!r} annotated but not declared" for e in annotated - entities]

    slots: dict[str, Any] = domain.get("slots") or {}
    forms: dict[str, Any] = domain.get("forms") or {}
    responses: dict[str, Any] = domain.get("responses") or {}
    for name, slot in slots.items():
        if slot.get("type") not in SLOT_TYPES:
            problems.append(f"slot {name!r}: type {slot.get('type')!r} is not one of {SLOT_TYPES}")
        if slot.get("type") == "categorical" and not slot.get("values"):
            problems.append(f"slot {name!r}: a categorical slot needs values")
        if not isinstance(slot.get("mappings"), list) or not slot["mappings"]:
            problems.append(f"slot {name!r}: Rasa 3 slots need mappings")
            continue
        for mapping in slot["mappings"]:
            if mapping.get("type") not in MAPPING_TYPES:
                problems.append(f"slot {name!r}: mapping type {mapping.get('type')!r}")
            if mapping.get("type") == "from_entity" and mapping.get("entity") not in entities:
                problems.append(f"slot {name!r}: entity {mapping.get('entity')!r} not declared")
            for condition in mapping.get("conditions") or []:
                if condition.get("active_loop") not in forms:
                    problems.append(f"slot {name!r}: condition names no form "
                                    f"{condition.get('active_loop')!r}")
    for form, spec in forms.items():
        for slot in spec.get("required_slots") or []:
            if slot not in slots:
                problems.append(f"form {form!r}: required slot {slot!r} is not declared")
            if not {f"utter_ask_{form}_{slot}", f"utter_ask_{slot}"} & set(responses):
                problems.append(f"form {form!r}: no utter_ask response for {slot!r}")
    for name, variants in responses.items():
        if not name.startswith("utter_") or not isinstance(variants, list) or not variants:
            problems.append(f"response {name!r}: must be utter_… with a list of variants")
            continue
        for variant in variants:
            if not any(k in variant for k in ("text", "image", "custom", "buttons")):
                problems.append(f"response {name!r}: a variant needs text, image or custom")
            for button in variant.get("buttons") or []:
                if set(button) < {"title", "payload"}:
                    problems.append(f"response {name!r}: a button needs title and payload")

    actions = set(domain.get("actions") or []) | set(responses) | set(forms) | DEFAULT_ACTIONS
    rules = _load(root / "data" / "rules.yml").get("rules") or []
    for rule in rules:
        label = rule.get("rule")
        if not label or not isinstance(rule.get("steps"), list):
            problems.append(f"rule {rule!r:.60}: needs a name and steps")
            continue
        for step in [*rule.get("condition", []), *rule["steps"]]:
            if len(set(step) & STEP_KEYS) != 1:
                problems.append(f"rule {label!r}: step {step!r} must be one of {STEP_KEYS}")
            if "intent" in step and step["intent"] not in intents:
                problems.append(f"rule {label!r}: intent {step['intent']!r} not declared")
            if "action" in step and step["action"] not in actions:
                problems.append(f"rule {label!r}: action {step['action']!r} not declared")
            if "active_loop" in step and step["active_loop"] not in (None, *forms):
                problems.append(f"rule {label!r}: active_loop {step['active_loop']!r} is no form")
            for item in step.get("slot_was_set") or []:
                for slot in item if isinstance(item, dict) else [item]:
                    if slot != "requested_slot" and slot not in slots:
                        problems.append(f"rule {label!r}: slot {slot!r} not declared")

    endpoints = _load(root / "endpoints.yml")
    url = (endpoints.get("action_endpoint") or {}).get("url", "")
    if not str(url).startswith(("http://", "https://")):
        problems.append("endpoints.yml: action_endpoint.url must be an http(s) URL")
    config = _load(root / "config.yml")
    if not config.get("language") or not config.get("pipeline") or not config.get("policies"):
        problems.append("config.yml: language, pipeline and policies are needed")
    return problems
