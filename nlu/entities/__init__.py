"""Entity extraction: one object built from the training data, one `extract` call.

Order of work on a message: fixed-shape patterns on the original text (codes, e-mail,
phone, then amounts outside their spans: "AHS-DEMO-0009 € 12,50" pays 12,50 €), then
dates/times/durations and lookups on the normalised text, whose
offsets are mapped back to the original. Overlaps between a pattern entity and a
temporal one are resolved in favour of the pattern ("15,50 €" is money, not a time).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from nlu.entities import patterns
from nlu.entities.lookup import LookupExtractor
from nlu.entities.temporal import dateparser_fallback, extract_temporal, needs_fallback
from nlu.normalize import normalize, word_spans, words
from nlu.rasa_io import TrainingData

Entity = dict[str, Any]

#: Entities are looked for in the first 1,000 characters: a longer chat message is a paste,
#: and scanning all 4,000 characters would cost the latency budget of every message.
MAX_ENTITY_CHARS = 1000


def _known_words(data: TrainingData) -> set[str]:
    """Words used in at least two training sentences: surely not typos."""
    counts: Counter[str] = Counter()
    for ex in data.examples:
        counts.update(set(words(normalize(ex.text).text)))
    return {w for w, n in counts.items() if n >= 2}


@dataclass
class EntityExtractor:
    """All entity extractors, configured by the Rasa regexes, lookups and synonyms."""

    regexes: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)
    lookup: LookupExtractor | None = None

    @classmethod
    def from_data(cls, data: TrainingData) -> EntityExtractor:
        lookups = {k: list(v) for k, v in data.lookups.items()}
        for ex in data.examples:  # annotated surfaces are lookup forms too (Rasa semantics)
            for ent in ex.entities:
                lookups.setdefault(ent["entity"], []).append(ex.text[ent["start"] : ent["end"]])
        return cls(
            regexes=patterns.compile_regexes(data.regexes),
            lookup=LookupExtractor(lookups, data.synonyms, _known_words(data)),
        )

    def with_lookup(self, entity: str, table: Mapping[str, Iterable[str]]) -> EntityExtractor:
        """A copy that also finds `table` (value → forms) as keyword entity `entity`."""
        base = self.lookup or LookupExtractor({}, {}, set())
        return replace(self, lookup=base.with_keywords(entity, table))

    def extract(
        self, text: str, *, now: datetime | None = None, lang: str | None = None
    ) -> list[Entity]:
        """Entities of `text` with offsets into `text`; `now` anchors relative dates."""
        text = text[:MAX_ENTITY_CHARS]
        found: list[Entity] = []
        found += patterns.regex_entities(text, self.regexes)
        found += patterns.emails(text)
        found += patterns.phones(text, "NL" if lang == "nl" else "DE")
        found += patterns.amounts(text, [(e["start"], e["end"]) for e in found])
        taken = [(e["start"], e["end"]) for e in found]
        normed = normalize(text)
        if now is not None:
            temporal = extract_temporal(normed.text, now)
            for name, value, s, e in temporal:
                start, end = normed.span(s, e)
                if all(end <= a or start >= b for a, b in taken):
                    found.append(_entity(name, value, start, end, "rules", 1.0))
            if needs_fallback(normed.text, temporal):
                for name, value, start, end in dateparser_fallback(text, now, lang):
                    if all(end <= a or start >= b for a, b in taken):
                        found.append(_entity(name, value, start, end, "dateparser", 0.8))
        if self.lookup is not None:
            for name, value, s, e, extractor, conf in self.lookup.extract(
                word_spans(normed.text)
            ):
                start, end = normed.span(s, e)
                if all(end <= a or start >= b for a, b in taken):
                    found.append(_entity(name, value, start, end, extractor, conf))
        return sorted(found, key=lambda e: (e["start"], e["entity"]))


def _entity(name: str, value: Any, start: int, end: int, extractor: str, conf: float) -> Entity:
    return {
        "entity": name, "value": value, "start": start, "end": end,
        "extractor": extractor, "confidence": conf,
    }
