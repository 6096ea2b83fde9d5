"""Read and write NLU data in Rasa 3 YAML (`nlu:` with intent/synonym/regex/lookup items).

Supported annotations: `[text](entity)`, `[text](entity:value)` (Rasa 1 shorthand) and
`[text]{"entity": "x", "value": "y", "role": …}`. Examples may be a block string of
"- …" lines or a list of `{text: …, metadata: …}` mappings, as Rasa allows.

Stadtbot's own files carry their language in the file name (`nlu_de.yml`), because Rasa's
format has no per-example language; imported files without one get `lang=None`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]*\}))")
_LANG_IN_NAME = re.compile(r"(?:^|[_\-./])(de|en|nl)(?:\.ya?ml)?$")


@dataclass
class Example:
    """One training sentence with its intent and annotated entities (offsets in `text`)."""

    text: str
    intent: str
    entities: list[dict[str, Any]] = field(default_factory=list)
    lang: str | None = None


@dataclass
class TrainingData:
    """Everything a Rasa NLU file can hold."""

    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, list[str]] = field(default_factory=dict)
    regexes: dict[str, list[str]] = field(default_factory=dict)
    lookups: dict[str, list[str]] = field(default_factory=dict)

    def merge(self, other: TrainingData) -> None:
        """Add `other`'s content; lists under the same name are concatenated."""
        self.examples.extend(other.examples)
        for target, source in (
            (self.synonyms, other.synonyms),
            (self.regexes, other.regexes),
            (self.lookups, other.lookups),
        ):
            for key, values in source.items():
                target.setdefault(key, []).extend(v for v in values if v not in target[key])

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})


def parse_annotated(raw: str) -> tuple[str, list[dict[str, Any]]]:
    """Strip entity annotations from one example; return plain text and entity dicts."""
    text_parts: list[str] = []
    entities: list[dict[str, Any]] = []
    pos = 0
    length = 0
    for m in _ANNOTATION.finditer(raw):
        before = raw[pos : m.start()]
        text_parts.append(before)
        length += len(before)
        surface = m.group("text")
        ent: dict[str, Any]
        if m.group("json"):
            try:
                ent = dict(json.loads(m.group("json")))
            except json.JSONDecodeError:
                ent = {}
            if "entity" not in ent:  # not an annotation after all: keep it as text
                text_parts.append(m.group(0))
                length += len(m.group(0))
                pos = m.end()
                continue
        else:
            name, _, value = m.group("short").partition(":")
            ent = {"entity": name.strip()}
            if value:
                ent["value"] = value.strip()
        ent["start"] = length
        ent["end"] = length + len(surface)
        ent.setdefault("value", surface)
        entities.append(ent)
        text_parts.append(surface)
        length += len(surface)
        pos = m.end()
    text_parts.append(raw[pos:])
    return "".join(text_parts), entities


def _example_lines(examples: Any) -> list[str]:
    if isinstance(examples, str):
        lines = []
        for line in examples.splitlines():
            line = line.strip()
            if line.startswith("- "):
                lines.append(line[2:].strip())
            elif line == "-":
                continue
        return lines
    if isinstance(examples, list):
        return [(str(e["text"]) if isinstance(e, dict) else str(e)).strip() for e in examples]
    return []


def language_of(path: Path) -> str | None:
    """The language a Stadtbot data file declares by its name (`nlu_de.yml`), if any."""
    m = _LANG_IN_NAME.search(path.name.lower())
    return m.group(1) if m else None


def load_file(path: Path, lang: str | None = None) -> TrainingData:
    """Load one Rasa NLU YAML file; files without an `nlu:` key give empty data."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    data = TrainingData()
    if not isinstance(doc, dict):
        return data
    lang = lang or language_of(path)
    for item in doc.get("nlu") or []:
        if not isinstance(item, dict):
            continue
        lines = _example_lines(item.get("examples"))
        if "intent" in item:
            for line in lines:
                text, ents = parse_annotated(line)
                data.examples.append(Example(text, str(item["intent"]), ents, lang))
        elif "synonym" in item:
            data.synonyms.setdefault(str(item["synonym"]), []).extend(lines)
        elif "regex" in item:
            data.regexes.setdefault(str(item["regex"]), []).extend(lines)
        elif "lookup" in item:
            data.lookups.setdefault(str(item["lookup"]), []).extend(lines)
    return data


def load_dir(root: Path) -> TrainingData:
    """Load every `*.yml`/`*.yaml` below `root` (sorted, so the result is deterministic)."""
    data = TrainingData()
    for path in sorted([*root.rglob("*.yml"), *root.rglob("*.yaml")]):
        data.merge(load_file(path))
    # Annotations like [rudeboot](boat_type:Ruderboot) are synonyms in Rasa's semantics.
    for ex in data.examples:
        for ent in ex.entities:
            surface = ex.text[ent["start"] : ent["end"]]
            value = str(ent.get("value", surface))
            if value != surface:
                known = data.synonyms.setdefault(value, [])
                if surface not in known:
                    known.append(surface)
    return data


def annotate(example: Example) -> str:
    """Re-insert entity annotations into an example's text (Rasa's JSON form if needed)."""
    out: list[str] = []
    pos = 0
    for ent in sorted(example.entities, key=lambda e: e["start"]):
        surface = example.text[ent["start"] : ent["end"]]
        out.append(example.text[pos : ent["start"]])
        extra = {k: v for k, v in ent.items() if k not in ("start", "end", "entity", "value")}
        value = ent.get("value", surface)
        if not extra and value == surface:
            out.append(f"[{surface}]({ent['entity']})")
        else:
            body: dict[str, Any] = {"entity": ent["entity"]}
            if value != surface:
                body["value"] = value
            body.update(extra)
            out.append(f"[{surface}]{json.dumps(body, ensure_ascii=False)}")
        pos = ent["end"]
    out.append(example.text[pos:])
    return "".join(out)


def _block(kind: str, name: str, lines: list[str]) -> str:
    body = "".join(f"      - {line}\n" for line in lines)
    return f"  - {kind}: {json.dumps(name, ensure_ascii=False)}\n    examples: |\n{body}"


def dump(data: TrainingData) -> str:
    """Serialise `data` as one Rasa 3 NLU YAML document."""
    parts = ['version: "3.1"\n', "nlu:\n"]
    by_intent: dict[str, list[str]] = {}
    for ex in data.examples:
        by_intent.setdefault(ex.intent, []).append(annotate(ex))
    parts.extend(_block("intent", name, lines) for name, lines in by_intent.items())
    for kind, table in (("synonym", data.synonyms), ("regex", data.regexes),
                        ("lookup", data.lookups)):
        parts.extend(_block(kind, name, values) for name, values in table.items() if values)
    return "".join(parts)


def export_dir(data: TrainingData, target: Path) -> list[Path]:
    """Write `data` to `target` as Rasa files: one `nlu_<lang>.yml` per language + extras."""
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    langs = sorted({e.lang or "" for e in data.examples})
    for lang in langs:
        part = TrainingData(examples=[e for e in data.examples if (e.lang or "") == lang])
        path = target / (f"nlu_{lang}.yml" if lang else "nlu.yml")
        path.write_text(dump(part), encoding="utf-8")
        written.append(path)
    extras = TrainingData(synonyms=data.synonyms, regexes=data.regexes, lookups=data.lookups)
    path = target / "synonyms_regexes_lookups.yml"
    path.write_text(dump(extras), encoding="utf-8")
    written.append(path)
    return written
