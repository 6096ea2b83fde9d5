"""Entities from Rasa lookup tables and synonyms, exact first and fuzzy for typos.

Two kinds of tables:
- keyword tables (boat_type, service, issue_category, merchant_category, place,
  language_request, service_aspect): every surface form is listed in `lookup:` and mapped to its
  canonical value by a `synonym:` entry. A German compound that starts with a form
  ("Sperrmüllabholung", "Tretbootverleih") counts for the compound-friendly entities.
- name tables (merchant, street): whole names matched over a window of words with
  rapidfuzz, so "eiscafe am schlos" still finds "Eiscafé am Schloss".

Fuzzy matching runs only for words the training data does not know (a typo is rarely a
word used in two training sentences), which keeps it cheap and avoids matching "runde"
to "hunde".
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from nlu.normalize import norm, words

KEYWORD_ENTITIES = (
    "boat_type", "service", "issue_category", "merchant_category", "place", "language_request",
    "service_aspect",
)
NAME_ENTITIES = ("merchant", "street")
#: Entities whose forms may start a German compound word.
COMPOUND_ENTITIES = {"boat_type", "service", "issue_category", "place"}
FUZZY_CUTOFF = 85.0
MIN_FUZZY_LEN = 5

Hit = tuple[str, Any, int, int, str, float]  # entity, value, start, end, extractor, confidence


def _street_variants(name: str) -> list[str]:
    """ "Marktstraße" is also written "Marktstr." and "Marktstrasse"."""
    n = norm(name)
    out = [n]
    if n.endswith("strasse"):
        out.append(n[: -len("strasse")] + "str")
    return out


@dataclass
class KeywordTables:
    """Surface phrase (normalised tokens) → [(entity, value)]."""

    phrases: dict[tuple[str, ...], list[tuple[str, str]]] = field(default_factory=dict)
    max_len: int = 1
    fuzzy_choices: list[str] = field(default_factory=list)
    prefixes: list[tuple[str, str, str]] = field(default_factory=list)  # form, entity, value

    def add(self, surface: str, entity: str, value: str) -> None:
        toks = tuple(words(norm(surface)))
        if not toks:
            return
        bucket = self.phrases.setdefault(toks, [])
        if (entity, value) not in bucket:
            bucket.append((entity, value))
        self.max_len = max(self.max_len, len(toks))
        if len(toks) == 1 and len(toks[0]) >= MIN_FUZZY_LEN:
            self.fuzzy_choices.append(toks[0])
            if entity in COMPOUND_ENTITIES:
                self.prefixes.append((toks[0], entity, value))


@dataclass
class NameTable:
    """Names of one entity (merchants or streets) with a token index for candidates."""

    entity: str
    names: list[tuple[str, str, int]] = field(default_factory=list)  # norm, value, n_tokens
    index: dict[str, set[int]] = field(default_factory=dict)

    def build(self, values: list[str]) -> None:
        df: dict[str, set[int]] = defaultdict(set)
        for value in values:
            variants = _street_variants(value) if self.entity == "street" else [norm(value)]
            for variant in variants:
                toks = words(variant)
                if not toks:
                    continue
                idx = len(self.names)
                self.names.append((" ".join(toks), value, len(toks)))
                for tok in toks:
                    for part in {tok, *re.split(r"[-']", tok)}:
                        if len(part) >= 3:
                            df[part].add(idx)
        limit = max(3, len(values) // 10)  # "strasse", "am": too common to point anywhere
        # counted by name, not by spelling: "Wessumer Straße" is also "Wessumer Str."
        self.index = {
            tok: ids for tok, ids in df.items() if len({self.names[i][1] for i in ids}) <= limit
        }


class LookupExtractor:
    """Finds keyword and name entities in normalised text."""

    def __init__(
        self,
        lookups: dict[str, list[str]],
        synonyms: dict[str, list[str]],
        known_words: set[str],
    ) -> None:
        surface_to_value: dict[str, str] = {norm(value): value for value in synonyms}
        for value, forms in synonyms.items():
            for form in forms:
                surface_to_value[norm(form)] = value
        self.keywords = KeywordTables()
        for entity in KEYWORD_ENTITIES:
            for form in lookups.get(entity, []):
                value = surface_to_value.get(norm(form), form)
                self.keywords.add(form, entity, value)
        self.tables = []
        for entity in NAME_ENTITIES:
            table = NameTable(entity)
            table.build(lookups.get(entity, []))
            self.tables.append(table)
        fuzzy_set = set(self.keywords.fuzzy_choices)
        self.known_words = {w for w in known_words if w not in fuzzy_set}
        self.index_keys = sorted({k for t in self.tables for k in t.index if len(k) >= 5})

    def with_keywords(
        self, entity: str, table: Mapping[str, Iterable[str]]
    ) -> LookupExtractor:
        """A copy that also finds `table` (value → surface forms) as keyword `entity`.

        For tables the training data does not hold, such as the city's services, which the
        wiring reads from the service files; the trained model itself stays unchanged.
        """
        if entity not in KEYWORD_ENTITIES:
            raise ValueError(f"{entity!r} is not a keyword entity; known: {KEYWORD_ENTITIES}")
        clone = copy.copy(self)
        clone.keywords = copy.deepcopy(self.keywords)
        for value, forms in table.items():
            for form in forms:
                clone.keywords.add(form, entity, value)
        fuzzy_set = set(clone.keywords.fuzzy_choices)
        clone.known_words = {w for w in self.known_words if w not in fuzzy_set}
        return clone

    def extract(self, toks: list[tuple[str, int, int]]) -> list[Hit]:
        """Hits with offsets in the normalised text that `toks` came from."""
        return self._keywords(toks) + self._names(toks)

    def _keywords(self, toks: list[tuple[str, int, int]]) -> list[Hit]:
        hits: list[Hit] = []
        kw = self.keywords
        i = 0
        while i < len(toks):
            matched = 0
            for size in range(min(kw.max_len, len(toks) - i), 0, -1):
                key = tuple(t[0] for t in toks[i : i + size])
                found = kw.phrases.get(key)
                if found:
                    start, end = toks[i][1], toks[i + size - 1][2]
                    hits.extend((e, v, start, end, "lookup", 1.0) for e, v in found)
                    matched = size
                    break
            if not matched:
                hits.extend(self._single(toks[i]))
                matched = 1
            i += matched
        return hits

    def _single(self, tok: tuple[str, int, int]) -> list[Hit]:
        word, start, end = tok
        if len(word) < MIN_FUZZY_LEN:
            return []
        for form, entity, value in self.keywords.prefixes:
            if len(word) - len(form) >= 3 and word.startswith(form):
                return [(entity, value, start, end, "lookup", 0.9)]
        if word in self.known_words:
            return []
        best = process.extractOne(
            word, self.keywords.fuzzy_choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
        )
        if best is None:
            return []
        return [
            (e, v, start, end, "fuzzy", round(best[1] / 100, 3))
            for e, v in self.keywords.phrases[(best[0],)]
        ]

    def _names(self, toks: list[tuple[str, int, int]]) -> list[Hit]:
        hits: list[Hit] = []
        for table in self.tables:
            best: dict[str, Hit] = {}  # value -> its best window
            for i, (word, _, _) in enumerate(toks):
                ids = table.index.get(word)
                if ids is None and len(word) >= MIN_FUZZY_LEN and word not in self.known_words:
                    guess = process.extractOne(
                        word, self.index_keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
                    )
                    ids = table.index.get(guess[0]) if guess else None
                for idx in ids or ():
                    hit = self._window(table, idx, toks, i)
                    if hit and (hit[1] not in best or best[hit[1]][5] < hit[5]):
                        best[hit[1]] = hit
            hits.extend(_without_overlaps(best.values()))
        return hits

    @staticmethod
    def _window(table: NameTable, idx: int, toks: list[tuple[str, int, int]], i: int) -> Hit | None:
        name, value, size = table.names[idx]
        top: Hit | None = None
        for width in (size, size + 1, size - 1):
            if width < 1:
                continue
            for first in range(max(0, i - width + 1), min(i, len(toks) - width) + 1):
                window = " ".join(t[0] for t in toks[first : first + width])
                score = fuzz.ratio(window, name)
                if score >= FUZZY_CUTOFF and (top is None or score / 100 > top[5]):
                    extractor = "lookup" if score == 100 else "fuzzy"
                    start, end = toks[first][1], toks[first + width - 1][2]
                    top = (table.entity, value, start, end, extractor, round(score / 100, 3))
        return top


def _without_overlaps(hits: Iterable[Hit]) -> list[Hit]:
    """Keep the best of overlapping names: "Eiscafé am Schloss" (100) beats the window
    "Eiscafé am" that also resembles "Eiscafé Tim"; ties go to the longer span."""
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (-h[5], -(h[3] - h[2]), h[2])):
        if all(hit[3] <= k[2] or hit[2] >= k[3] for k in kept):
            kept.append(hit)
    return kept
