"""Language identification among German, English and Dutch.

Own model: character 1–4-grams of the lightly normalised text (umlauts kept: "ü", "ß",
"ij" are strong signals) and a calibrated logistic regression trained on the NLU examples,
whose file names carry the language. Measured against lingua (restricted to the three
languages) in `benchmarks/nlu_compare.py`; see BENCHMARKS.md for why the own model is used.

Short texts ("ok", "ja", "hi") are genuinely ambiguous, so the reported confidence is
shrunk toward 1/3 for texts with fewer than `FULL_CONFIDENCE_LETTERS` letters: the caller
keeps the contact's sticky language unless the detection is confident.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from nlu.classifier import LinearTextModel, train_linear
from nlu.features import CharAnalyzer
from nlu.normalize import normalize

LANGS = ("de", "en", "nl")
FULL_CONFIDENCE_LETTERS = 15


def light(text: str) -> str:
    """Normalisation for language ID: like the intent model's, but umlauts are kept."""
    return normalize(text, fold=False, max_chars=300).text


def train_language_model(texts: Sequence[str], langs: Sequence[str]) -> LinearTextModel:
    """Fit the char-n-gram language model on raw example texts and their languages.

    Data in fewer than two languages (an imported single-language project) gives a
    constant model that always answers that language (German if there is none).
    """
    if len(set(langs)) < 2:
        only = langs[0] if langs else LANGS[0]
        return LinearTextModel(
            labels=[only], analyzer=CharAnalyzer(), vocab={}, idf=np.zeros(0),
            coef=np.zeros((0, 1)), intercept=np.zeros(1),
        )
    return train_linear([light(t) for t in texts], list(langs), CharAnalyzer(), kind="svc", c=1.0)


def shrink(confidence: float, text: str) -> float:
    """Pull a confidence toward chance (1/3) when the text has few letters."""
    letters = sum(ch.isalpha() for ch in text[:300])
    weight = min(1.0, letters / FULL_CONFIDENCE_LETTERS)
    return 1 / 3 + (confidence - 1 / 3) * weight


def detect(model: LinearTextModel, text: str) -> tuple[str, float]:
    """The most likely language of `text` and a length-aware confidence."""
    lightened = light(text)
    if not any(ch.isalpha() for ch in lightened):
        return LANGS[0], 0.0
    probs = model.predict_proba(lightened)
    best = int(probs.argmax())
    return model.labels[best], round(shrink(float(probs[best]), lightened), 4)


@lru_cache(maxsize=1)
def lingua_detector() -> Any:
    """lingua restricted to de/en/nl, low-accuracy mode and preloaded (for comparison)."""
    from lingua import Language, LanguageDetectorBuilder

    return (
        LanguageDetectorBuilder.from_languages(Language.GERMAN, Language.ENGLISH, Language.DUTCH)
        .with_low_accuracy_mode()
        .with_preloaded_language_models()
        .build()
    )


def detect_lingua(text: str) -> tuple[str, float]:
    """lingua's answer in the same shape as `detect` (used by the comparison benchmark)."""
    values = lingua_detector().compute_language_confidence_values(text)
    if not values:
        return LANGS[0], 0.0
    top = values[0]
    return top.language.iso_code_639_1.name.lower(), float(top.value)
