"""The city's service catalogue, derived from the `service:` blocks of the loaded flows.

One city service is one YAML file: its `service:` block names it (title, synonyms in
de/en/nl), describes it (summary, requirements, fees, where, processing time, legal
basis) and carries the rules the backend applies to it. Everything else is derived here:

- the options of every choice slot written `options: services` (apply_service,
  service_info), with the service's title and synonyms;
- the NLU's `service` lookup (`nlu_lookup`), which the wiring hands to the NLU;
- the backend rules per service (`backend_rules`), which the wiring hands to actions;
- the names of flows in replies (the `service` template filter, `flow_title`);
- the aspect of a description a question asks for (`ASPECTS`), and questions about a
  service the intent classifier cannot know by name (`service_intent`).

The file format is checked here, for the loader: a mistake names file and line.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from bot.core.i18n import t
from flows.definition import LANGS, SERVICE_PARTS, Flow, Option, ServiceDef, Texts
from flows.turn import Turn

#: The parts of a description a question can ask for (values of the `service_aspect` entity).
ASPECTS = SERVICE_PARTS[1:]
#: Built-in choice options: `options: services` (one per loaded service) and
#: `options: aspects` (the parts of a description, named by `service.<part>` texts).
BUILTIN_OPTIONS = ("services", "aspects")
#: The "Mehr: …" button under a short answer: service_info's start payload `info_{service}`.
MORE_PAYLOAD = "info_"
SERVICE_BLOCK_KEYS = {"title", "synonyms", "rules", *SERVICE_PARTS}

# Flow name → its service's title (or the flow's, for a report), for naming a backend
# code (`{case.service|service}`) in a reply.
# Filled when flows are loaded; every loaded set adds to it (names are unique per city).
_TITLES: dict[str, Texts] = {}


class Builder(Protocol):
    """The part of the loader's `FlowBuilder` this module uses."""

    def fail(self, node: Any, message: str) -> Exception: ...

    def texts(self, value: Any, parent: Any, where: str) -> Texts: ...


def parse_service(builder: Builder, raw: Any, flow_title: Texts) -> ServiceDef:
    """The `service:` block of one file, or the loader's error naming file and line.

    `title` defaults to the flow's title, `synonyms` and `rules` to none.
    """
    if not isinstance(raw, dict):
        raise builder.fail(raw, "service: must be a mapping")
    unknown = set(raw) - SERVICE_BLOCK_KEYS
    if unknown:
        raise builder.fail(
            raw, f"service: unknown key(s) {sorted(unknown)}; allowed: {sorted(SERVICE_BLOCK_KEYS)}"
        )
    synonyms = raw.get("synonyms") or {}
    if not isinstance(synonyms, dict) or set(synonyms) - set(LANGS):
        raise builder.fail(raw, f"service synonyms: a list per language {list(LANGS)}")
    for lang, words in synonyms.items():
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise builder.fail(synonyms, f"service synonyms {lang}: a list of words")
    rules = raw.get("rules") or {}
    if not isinstance(rules, dict):
        raise builder.fail(raw, "service rules: must be a mapping")
    missing = [key for key in SERVICE_PARTS if key not in raw]
    if missing:
        raise builder.fail(raw, f"service: missing part(s) {missing}")
    return ServiceDef(
        title=builder.texts(raw["title"], raw, "service title") if "title" in raw else flow_title,
        synonyms={lang: tuple(synonyms.get(lang) or ()) for lang in LANGS},
        description={key: builder.texts(raw[key], raw, f"service {key}") for key in SERVICE_PARTS},
        rules=_plain(rules),
    )


def _plain(value: Any) -> Any:
    """YAML mappings as plain dicts (the loader's carry line numbers)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def services(flows: dict[str, Flow]) -> list[tuple[str, ServiceDef]]:
    """(flow name, service) of every service flow, in file order."""
    return [(flow.name, flow.service) for flow in flows.values() if flow.service is not None]


def synonyms(service: ServiceDef) -> list[str]:
    """Every synonym of a service, all languages."""
    return [word for lang in LANGS for word in service.synonyms[lang]]


def service_options(flows: dict[str, Flow]) -> tuple[Option, ...]:
    """One choice option per service: its title and every synonym."""
    return tuple(
        Option(value=name, title=service.title, synonyms=tuple(synonyms(service)))
        for name, service in services(flows)
    )


def aspect_options() -> tuple[Option, ...]:
    """The parts of a description as choice options ("Kosten", "Fees", "Kosten")."""
    return tuple(
        Option(value=part, title={lang: t(f"service.{part}", lang) for lang in LANGS})
        for part in ASPECTS
    )


def with_catalogue(flows: dict[str, Flow]) -> dict[str, Flow]:
    """The flows with built-in options filled in; remembers the titles for replies."""
    builtin = {"services": service_options(flows), "aspects": aspect_options()}
    result = {}
    for name, flow in flows.items():
        if any(slot.options_of for slot in flow.slots.values()):
            slots = {
                key: replace(slot, options=builtin[slot.options_of]) if slot.options_of else slot
                for key, slot in flow.slots.items()
            }
            flow = replace(flow, slots=slots)
        result[name] = flow
    _TITLES.update(
        {name: flow.service.title if flow.service else flow.title for name, flow in flows.items()}
    )
    return result


def nlu_lookup(flows: dict[str, Flow]) -> dict[str, list[str]]:
    """The NLU's `service` lookup: service name → its titles and synonyms, all languages."""
    return {
        name: list(dict.fromkeys([*service.title.values(), *synonyms(service)]))
        for name, service in services(flows)
    }


def backend_rules(flows: dict[str, Flow]) -> dict[str, dict[str, Any]]:
    """Service name → the rules its `cases.submit` applies (for actions, via the wiring).

    A flow without a `service:` block that submits a case under a fixed name (a form
    imported from Rasa) gets the default rules, so its applications are accepted."""
    rules: dict[str, dict[str, Any]] = {
        name: dict(service.rules) for name, service in services(flows)
    }
    for flow in flows.values():
        for step in flow.steps:
            named = (step.params or {}).get("service") if step.action == "cases.submit" else None
            if isinstance(named, str) and "{" not in named:
                rules.setdefault(named, {})
    return rules


def flow_title(name: Any, lang: str) -> str:
    """A case's service (a flow's name) as the citizen reads it: "Hundeanmeldung"."""
    title = _TITLES.get(str(name))
    return title[lang] if title else str(name)


def titles(flows: dict[str, Flow], lang: str) -> str:
    """"Sperrmüllabholung, Hundeanmeldung, …": what the bot can apply for."""
    return ", ".join(service.title[lang] for _, service in services(flows))


#: Intents of service questions and applications; see `service_intent`.
QUESTION_INTENT, APPLY_INTENT = "service_info", "apply_service"
#: Above this confidence the classifier's intent stands even with a service named.
SURE = 0.9


def service_intent(turn: Turn, intent: str, threshold: float) -> str | None:
    """The intent of a message about a named service where the classifier is unsure or
    wrong, or None to keep the classifier's.

    The classifier learns services from training sentences, but a service added as one
    file is known only to the entity lookup: "How much is a library card?" reads like
    the library's opening hours. So a message naming a service is a question about it
    (`service_info`) if it asks for a part of its description (`service_aspect`) or is
    the service's name alone, unless the classifier is sure of another intent; and when
    the classifier hesitates between applying and asking (below `threshold`, where it
    would ask "Meinten Sie …?"), the aspect decides: none means the citizen wants to apply.
    """
    entities = turn.parse.get("entities") or []
    kinds = {e.get("entity") for e in entities}
    if "service" not in kinds:
        return None
    asks = "service_aspect" in kinds
    if intent in (QUESTION_INTENT, APPLY_INTENT):
        ranking = [r.get("name") for r in (turn.parse.get("intent_ranking") or [])[:2]]
        hesitant = set(ranking) == {QUESTION_INTENT, APPLY_INTENT} and turn.confidence < threshold
        return (QUESTION_INTENT if asks else APPLY_INTENT) if hesitant else None
    if asks and turn.confidence < SURE:
        return QUESTION_INTENT
    text = turn.text.strip().rstrip("?!. ")
    alone = kinds == {"service"} and any(
        e.get("start") == 0 and e.get("end", 0) >= len(text) for e in entities
    )
    return QUESTION_INTENT if alone else None
