"""The trained NLU: intent classifier, language model and entity extractors in one object.

`Nlu.parse` is the whole runtime path and never raises: any failure inside an extractor
is logged and that extractor's entities are dropped, so a citizen's odd message can only
make the answer less precise, never break the conversation.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from nlu import language
from nlu.classifier import LinearTextModel, train_linear
from nlu.entities import EntityExtractor
from nlu.features import Analyzer
from nlu.normalize import normalize
from nlu.rasa_io import TrainingData, load_dir

log = logging.getLogger(__name__)

OUT_OF_SCOPE = "out_of_scope"
RANKING_SIZE = 10
#: The intent is decided by the first 500 characters; longer texts cost time, not accuracy.
CLASSIFY_CHARS = 500
#: Intent model: classifier kind and regularisation, chosen by measurement (BENCHMARKS.md).
INTENT_KIND = "svc"
INTENT_C = 2.0


@dataclass
class Nlu:
    """Everything `parse` needs; pickled as one file by `nlu.model_store`."""

    intent_model: LinearTextModel
    language_model: LinearTextModel
    extractor: EntityExtractor
    data_hash: str = ""
    train_seconds: float = 0.0

    def with_lookup(self, entity: str, table: Mapping[str, Iterable[str]]) -> Nlu:
        """This model finding `table` (value → surface forms) as entity `entity` too."""
        return replace(self, extractor=self.extractor.with_lookup(entity, table))

    def classify(self, text: str) -> list[tuple[str, float]]:
        """Intents and calibrated confidences for raw `text`, best first."""
        normed = normalize(text, max_chars=CLASSIFY_CHARS).text
        if not any(ch.isalpha() for ch in normed):
            return [(OUT_OF_SCOPE, 1.0)] + [
                (name, 0.0) for name in self.intent_model.labels if name != OUT_OF_SCOPE
            ]
        probs = self.intent_model.predict_proba(normed)
        order = probs.argsort()[::-1]
        return [(self.intent_model.labels[i], float(probs[i])) for i in order]

    def parse(self, text: str, lang: str | None = None, now: datetime | None = None) -> dict:
        """Rasa's parse shape for `text`; `lang` is the caller's hint, `now` the clock."""
        text = text if isinstance(text, str) else str(text)
        ranking = self.classify(text)
        detected, lang_conf = language.detect(self.language_model, text)
        try:
            entities = self.extractor.extract(text, now=now, lang=lang or detected)
        except Exception:  # pragma: no cover - defensive: parse must never raise
            log.exception("entity extraction failed")
            entities = []
        top_name, top_conf = ranking[0]
        return {
            "text": text,
            "intent": {"name": top_name, "confidence": round(top_conf, 4)},
            "intent_ranking": [
                {"name": name, "confidence": round(conf, 4)}
                for name, conf in ranking[:RANKING_SIZE]
            ],
            "entities": entities,
            "language": detected,
            "language_confidence": lang_conf,
        }


def train(
    data: TrainingData,
    *,
    data_hash: str = "",
    kind: str = INTENT_KIND,
    c: float = INTENT_C,
    analyzer: Analyzer | None = None,
) -> Nlu:
    """Train all parts of the NLU on `data`."""
    started = time.perf_counter()
    texts = [normalize(e.text).text for e in data.examples]
    intents = [e.intent for e in data.examples]
    intent_model = train_linear(texts, intents, analyzer or Analyzer(), kind=kind, c=c)
    with_lang = [e for e in data.examples if e.lang in language.LANGS]
    language_model = language.train_language_model(
        [e.text for e in with_lang], [str(e.lang) for e in with_lang]
    )
    extractor = EntityExtractor.from_data(data)
    return Nlu(
        intent_model, language_model, extractor, data_hash, time.perf_counter() - started
    )


def train_dir(data_dir: Path, data_hash: str = "", extra: tuple[Path, ...] = ()) -> Nlu:
    """Train on every Rasa file below `data_dir` and the `extra` directories."""
    data = load_dir(data_dir)
    for directory in extra:
        data.merge(load_dir(directory))
    return train(data, data_hash=data_hash)

