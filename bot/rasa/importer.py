"""`stadtbot rasa import DIR`: a Rasa 3 project's forms and NLU data as Stadtbot flows.

Each form becomes one flow file: its required slots are collected in order (types from
the slot definitions, entities from `from_entity` mappings, yes/no from `from_intent`
mappings of affirm/deny, questions from `utter_ask_<form>_<slot>` or `utter_ask_<slot>`),
then a summary to confirm, then the answers are submitted as a case (`cases.submit`
with the form's name as the service), so staff see them in Stadtbot and the citizen
gets a reference. Texts said after the form in the project's rules become the flow's
last message. The intents that start the form in rules or stories start the flow.

Training data: examples of the intents that start an imported flow or that Stadtbot
already knows (greet, affirm, …), with synonyms, regexes and lookups; they are added
to Stadtbot's own data (EXTRA_NLU_DIR). Rasa has one language per project (config.yml);
its texts are copied into the other two languages and the report says so.

Everything that cannot be converted is reported, never silently dropped: custom
actions (their code stays in Rasa), stories and rules beyond starting and finishing a
form, slot types and mappings Stadtbot has no equivalent for, intents without a flow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from flows.definition import LANGS, Flow
from flows.summary import TEMPLATE_RE
from nlu.rasa_io import TrainingData, export_dir, load_dir

YES_NO_INTENTS = {"affirm": True, "deny": False}
SLOT_TYPES = {"text": "text", "bool": "yes_no", "float": "integer", "categorical": "choice"}
SUBMIT_TEXT = {
    "de": "Danke! Ihr Anliegen ist eingegangen, Aktenzeichen {case.reference}.",
    "en": "Thank you! Your request has been received, reference {case.reference}.",
    "nl": "Dank u! Uw verzoek is ontvangen, kenmerk {case.reference}.",
}
CONFIRM_TEXT = {
    "de": "Bitte prüfen Sie Ihre Angaben:\n{summary}\nAbsenden?",
    "en": "Please check your details:\n{summary}\nSubmit?",
    "nl": "Controleer uw gegevens:\n{summary}\nVersturen?",
}


@dataclass
class ImportResult:
    """What was made of a Rasa project, and what could not be converted."""

    flows: dict[str, dict[str, Any]] = field(default_factory=dict)  # file stem → flow YAML
    data: TrainingData = field(default_factory=TrainingData)
    not_converted: list[str] = field(default_factory=list)
    language: str = "de"


def _yaml_files(root: Path) -> list[Path]:
    return sorted([*root.rglob("*.yml"), *root.rglob("*.yaml")])


def _documents(root: Path) -> list[dict[str, Any]]:
    docs = []
    for path in _yaml_files(root):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict):
            docs.append(doc)
    return docs


def load_domain(root: Path) -> dict[str, Any]:
    """The domain: `domain.yml` or every file of a `domain/` directory, merged."""
    domain: dict[str, Any] = {}
    single = root / "domain.yml"
    for doc in [_documents(root / "domain")] if (root / "domain").is_dir() else []:
        for part in doc:
            for key, value in part.items():
                _merge(domain, key, value)
    if single.exists():
        for key, value in (yaml.safe_load(single.read_text(encoding="utf-8")) or {}).items():
            _merge(domain, key, value)
    return domain


def _merge(domain: dict[str, Any], key: str, value: Any) -> None:
    if isinstance(value, dict):
        domain.setdefault(key, {}).update(value)
    elif isinstance(value, list):
        domain.setdefault(key, []).extend(value)
    else:
        domain[key] = value


def _steps_of(docs: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(name, steps) of every rule and story in the training data."""
    found = []
    for doc in docs:
        for kind in ("rules", "stories"):
            for item in doc.get(kind) or []:
                label = item.get("rule") or item.get("story") or kind
                found.append((str(label), list(item.get("steps") or [])))
    return found


def _texts(text: str, lang: str) -> dict[str, str]:
    """One text in all three languages (the project's in its own, copied to the others)."""
    return {code: text for code in LANGS} | {lang: text}


def _first_text(responses: dict[str, Any], name: str) -> str | None:
    variants = responses.get(name) or []
    texts = [v.get("text") for v in variants if isinstance(v, dict) and v.get("text")]
    return str(texts[0]) if texts else None


class Importer:
    """Converts one project; `run` returns the result with its report."""

    def __init__(self, root: Path, taken_flows: set[str], taken_intents: set[str],
                 known_intents: set[str]) -> None:
        self.root = root
        self.taken_flows = taken_flows
        self.taken_intents = taken_intents
        self.known_intents = known_intents
        self.result = ImportResult()

    def note(self, message: str) -> None:
        if message not in self.result.not_converted:
            self.result.not_converted.append(message)

    def run(self) -> ImportResult:
        domain = load_domain(self.root)
        config = (yaml.safe_load((self.root / "config.yml").read_text(encoding="utf-8"))
                  if (self.root / "config.yml").exists() else {}) or {}
        lang = str(config.get("language") or "de")
        if lang not in LANGS:
            self.note(f"language {lang!r}: texts are stored as German")
            lang = "de"
        self.result.language = lang
        others = [code for code in LANGS if code != lang]
        self.note(f"texts are in {lang} only: copied untranslated into {', '.join(others)}")
        data_docs = _documents(self.root / "data") if (self.root / "data").is_dir() else []
        steps = _steps_of(data_docs)
        starters: set[str] = set()
        for form, spec in (domain.get("forms") or {}).items():
            starters |= self.convert_form(str(form), spec or {}, domain, steps, lang)
        self.report_rules(set(domain.get("forms") or {}), steps)
        self.convert_nlu(starters, lang)
        custom = [a for a in domain.get("actions") or [] if not str(a).startswith("validate_")]
        for action in custom:
            self.note(f"custom action {action!r}: its code stays with Rasa (not converted)")
        return self.result

    # --- forms -----------------------------------------------------------------

    def flow_name(self, form: str) -> str:
        name = re.sub(r"[^a-z0-9_]", "_", form.lower().removesuffix("_form")).strip("_")
        name = name if re.match(r"[a-z]", name) else f"rasa_{name}"
        return f"rasa_{name}" if name in self.taken_flows else name

    def convert_form(
        self, form: str, spec: dict[str, Any], domain: dict[str, Any],
        steps: list[tuple[str, list[dict[str, Any]]]], lang: str,
    ) -> set[str]:
        """Write the flow of one form; returns the intents that start it."""
        required = spec.get("required_slots") or []
        if isinstance(required, dict):  # Rasa 2 format: slot → mappings
            self.note(f"form {form!r}: Rasa 2 form format; its slot mappings were ignored")
            required = list(required)
        if not required:
            self.note(f"form {form!r}: no required slots, nothing to ask (not converted)")
            return set()
        name = self.flow_name(form)
        responses = domain.get("responses") or {}
        known = set(required)
        slots = {
            s: self.slot(form, s, (domain.get("slots") or {}).get(s) or {}, responses, lang, known)
            for s in required
        }
        intents, after = self.form_context(form, steps)
        for intent in sorted(intents & self.taken_intents):
            self.note(f"form {form!r}: intent {intent!r} already starts a Stadtbot flow; "
                      f"start this one with the payload flow:{name}")
        intents -= self.taken_intents
        said = [_first_text(responses, a) for a in after if a.startswith("utter_")]
        done = [text for text in said if text]
        for action in (a for a in after if not a.startswith("utter_")):
            self.note(f"form {form!r}: {action!r} after the form is not run; the answers are "
                      "submitted as a case instead")
        final = {code: " ".join([*done, SUBMIT_TEXT[code]]) for code in LANGS}
        flow: dict[str, Any] = {
            "flow": name,
            "title": _texts(form.removesuffix("_form").replace("_", " ").capitalize(), lang),
            "intents": sorted(intents),
            "slots": slots,
            "steps": [
                {"id": "ask", "collect": list(slots)},
                {"id": "confirm", "confirm": dict(CONFIRM_TEXT)},
                {"id": "submit", "action": "cases.submit", "save_as": "case",
                 "params": {"service": name, "fields": {s: f"{{{s}}}" for s in slots}}},
                {"id": "done", "say": self.known_templates(final, set(slots) | {"case"}, form)},
            ],
        }
        self.result.flows[name] = flow
        return intents

    def slot(self, form: str, name: str, spec: dict[str, Any], responses: dict[str, Any],
             lang: str, known: set[str]) -> dict[str, Any]:
        """A flow slot from a Rasa slot definition and its ask response."""
        rasa_type = str(spec.get("type") or "text")
        kind = SLOT_TYPES.get(rasa_type, "text")
        if rasa_type not in SLOT_TYPES:
            self.note(f"slot {name!r}: type {rasa_type!r} is read as text")
        elif rasa_type == "float":
            self.note(f"slot {name!r}: float is read as a whole number")
        slot: dict[str, Any] = {"type": kind}
        entities = []
        for mapping in spec.get("mappings") or []:
            mapping_type = mapping.get("type")
            if mapping_type == "from_entity" and mapping.get("entity"):
                entities.append(str(mapping["entity"]))
            elif mapping_type == "from_intent" and mapping.get("intent") in YES_NO_INTENTS:
                slot["type"] = "yes_no"
            elif mapping_type != "from_text":
                what = mapping.get("intent") if mapping_type == "from_intent" else ""
                self.note(f"slot {name!r}: mapping {mapping_type} {what or ''} is not converted; "
                          "the slot is asked and typed")
        if entities:
            slot["entity"] = entities[0] if len(entities) == 1 else entities
        if slot["type"] == "choice":
            values = [str(v) for v in spec.get("values") or []]
            slot["options"] = [{"value": v, "title": _texts(v, lang)} for v in values]
            if not values:
                slot["type"] = "text"
        label = name.replace("_", " ").capitalize()
        slot["label"] = _texts(label, lang)
        question = (_first_text(responses, f"utter_ask_{form}_{name}")
                    or _first_text(responses, f"utter_ask_{name}"))
        if question is None:
            self.note(f"slot {name!r}: no utter_ask_{form}_{name} or utter_ask_{name}; "
                      "asked with its name")
            question = f"{label}?"
        slot["prompt"] = self.known_templates(_texts(question, lang), known, form)
        return slot

    def known_templates(self, texts: dict[str, str], names: set[str], form: str) -> dict[str, str]:
        """Texts whose `{slot}` placeholders the flow knows; others become plain words."""
        def keep(match: re.Match[str]) -> str:
            if match[1].split(".")[0] in names:
                return match[0]
            self.note(f"form {form!r}: placeholder {match[0]} is not a slot of the flow")
            return match[1]

        return {code: TEMPLATE_RE.sub(keep, text) for code, text in texts.items()}

    def form_context(
        self, form: str, stories: list[tuple[str, list[dict[str, Any]]]]
    ) -> tuple[set[str], list[str]]:
        """Intents right before the form starts, and actions right after it ends."""
        intents: set[str] = set()
        after: list[str] = []
        for _label, steps in stories:
            for index, step in enumerate(steps):
                if step.get("action") != form:
                    continue
                if index and "intent" in steps[index - 1]:
                    intents.add(str(steps[index - 1]["intent"]))
                ends = [i for i, s in enumerate(steps) if "active_loop" in s
                        and s["active_loop"] is None and i > index]
                if ends:
                    tail = [s.get("action") for s in steps[ends[0] + 1:] if "action" in s]
                    after += [a for a in tail if a and a not in after]
        return intents, after

    def report_rules(self, forms: set[str], stories: list[tuple[str, list[Any]]]) -> None:
        for label, steps in stories:
            if not any(s.get("action") in forms or s.get("active_loop") in forms for s in steps):
                self.note(f"rule/story {label!r}: not converted (only forms become flows)")

    # --- NLU -------------------------------------------------------------------

    def convert_nlu(self, starters: set[str], lang: str) -> None:
        data = load_dir(self.root / "data") if (self.root / "data").is_dir() else TrainingData()
        wanted = starters | self.known_intents
        dropped = sorted({e.intent for e in data.examples} - wanted)
        for intent in dropped:
            self.note(f"intent {intent!r}: starts no flow; its examples were not imported")
        for example in data.examples:
            example.lang = lang
        data.examples = [e for e in data.examples if e.intent in wanted]
        self.result.data = data


def import_project(root: Path, existing: dict[str, Flow], known_intents: set[str]) -> ImportResult:
    """Convert the Rasa project at `root` next to the `existing` flows."""
    taken = {i for flow in existing.values() for i in flow.intents}
    return Importer(root, set(existing), taken, known_intents).run()


def write_result(result: ImportResult, out: Path) -> list[Path]:
    """Flows into `out/flows`, training data into `out/nlu`; returns the files."""
    flows_dir, nlu_dir = out / "flows", out / "nlu"
    flows_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, flow in result.flows.items():
        path = flows_dir / f"{name}.yaml"
        header = "# Imported from a Rasa project by `stadtbot rasa import`; edit freely.\n"
        path.write_text(header + yaml.safe_dump(flow, allow_unicode=True, sort_keys=False,
                                                width=100), encoding="utf-8")
        written.append(path)
    if result.data.examples:
        written += export_dir(result.data, nlu_dir)
    return written
