"""Feature strings for the linear models: word n-grams and character n-grams.

One analyzer function serves training (as scikit-learn's `analyzer=` callable) and parsing
(the fast path in `nlu.classifier`), so the two can never disagree. Character n-grams
inside word boundaries carry typos ("gutshein" shares most trigrams with "gutschein");
word n-grams carry meaning that spans words ("nicht mehr", "wie viel").
"""

from __future__ import annotations

from dataclasses import dataclass

from nlu.normalize import words


@dataclass(frozen=True, slots=True)
class Analyzer:
    """Turns normalised text into feature strings; the settings are part of the model."""

    word_ngrams: int = 2
    char_min: int = 2
    char_max: int = 5
    use_words: bool = True
    use_chars: bool = True

    def __call__(self, text: str) -> list[str]:
        toks = words(text)
        feats: list[str] = []
        if self.use_words:
            feats.extend("w:" + t for t in toks)
            for n in range(2, self.word_ngrams + 1):
                feats.extend("w:" + " ".join(toks[i : i + n]) for i in range(len(toks) - n + 1))
        if self.use_chars:
            for tok in toks:
                padded = f" {tok} "
                size = len(padded)
                for n in range(self.char_min, self.char_max + 1):
                    if n > size:
                        break
                    feats.extend(padded[i : i + n] for i in range(size - n + 1))
        if not feats:
            feats.append("<empty>")
        return feats


@dataclass(frozen=True, slots=True)
class CharAnalyzer:
    """Character 1–4-grams over the whole lightly normalised text, for language ID."""

    char_min: int = 1
    char_max: int = 4

    def __call__(self, text: str) -> list[str]:
        padded = f" {text} "
        size = len(padded)
        feats: list[str] = []
        for n in range(self.char_min, self.char_max + 1):
            feats.extend(padded[i : i + n] for i in range(size - n + 1))
        return feats or ["<empty>"]
