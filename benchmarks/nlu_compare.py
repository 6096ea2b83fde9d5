"""Compare NLU designs on the held-out file: classifier kind, C, feature sets, language ID.

    .venv/bin/python benchmarks/nlu_compare.py

Prints one Markdown table row per design (held-out macro-F1 and accuracy, 5-fold
cross-validated macro-F1 on the training data, training seconds including calibration)
and the language-ID accuracy and per-message latency of the own model vs lingua.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from nlu import language
from nlu.classifier import train_linear
from nlu.engine import train
from nlu.features import Analyzer
from nlu.heldout import load_heldout
from nlu.model_store import DATA_DIR
from nlu.normalize import normalize
from nlu.rasa_io import load_dir

DESIGNS = [
    ("svc C=2 words+chars(2-5) (chosen)", "svc", 2.0, Analyzer()),
    ("svc C=0.5 words+chars(2-5)", "svc", 0.5, Analyzer()),
    ("svc C=1 words+chars(2-5)", "svc", 1.0, Analyzer()),
    ("svc C=1 words(1-2) only", "svc", 1.0, Analyzer(use_chars=False)),
    ("svc C=1 chars(2-5) only", "svc", 1.0, Analyzer(use_words=False)),
    ("svc C=1 words+chars(1-4)", "svc", 1.0, Analyzer(char_min=1, char_max=4)),
    ("svc C=1 words(1-2)+chars(3-5)", "svc", 1.0, Analyzer(char_min=3)),
    ("lr C=10 words+chars(2-5)", "lr", 10.0, Analyzer()),
]


def cv_macro_f1(data, kind: str, c: float, analyzer: Analyzer) -> float:  # type: ignore[no-untyped-def]
    """5-fold cross-validated macro-F1 of one design on the training data."""
    texts = np.array([normalize(e.text).text for e in data.examples], dtype=object)
    labels = np.array([e.intent for e in data.examples], dtype=object)
    pred = np.empty(len(texts), dtype=object)
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels):
        model = train_linear(
            list(texts[tr]), list(labels[tr]), analyzer, kind=kind, c=c, calibrate_folds=0
        )
        for i in te:
            pred[i] = model.labels[int(model.logits(texts[i]).argmax())]
    return float(f1_score(list(labels), list(pred), average="macro"))


def _lingua_high():  # type: ignore[no-untyped-def]
    from lingua import Language, LanguageDetectorBuilder

    detector = (
        LanguageDetectorBuilder.from_languages(Language.GERMAN, Language.ENGLISH, Language.DUTCH)
        .with_preloaded_language_models()
        .build()
    )

    def detect(text: str) -> str:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else "de"

    return detect


def main() -> None:
    data = load_dir(DATA_DIR)
    cases = load_heldout()
    gold = [c.intent for c in cases]
    print("| design | held-out macro-F1 | held-out accuracy | CV macro-F1 | train s |")
    print("| --- | --- | --- | --- | --- |")
    nlu = None
    for name, kind, c, analyzer in DESIGNS:
        started = time.perf_counter()
        nlu = train(data, kind=kind, c=c, analyzer=analyzer)
        seconds = time.perf_counter() - started
        pred = [nlu.classify(case.text)[0][0] for case in cases]
        f1 = f1_score(gold, pred, average="macro")
        cv = cv_macro_f1(data, kind, c, analyzer)
        print(f"| {name} | {f1:.3f} | {accuracy_score(gold, pred):.3f} | {cv:.3f} | "
              f"{seconds:.1f} |", flush=True)
    nlu = train(data)
    langs = [c.lang for c in cases]
    for label, fn in (
        ("own char-n-gram", lambda t: language.detect(nlu.language_model, t)[0]),
        ("lingua (3 langs, low accuracy mode)", lambda t: language.detect_lingua(t)[0]),
        ("lingua (3 langs, high accuracy mode)", _lingua_high()),
    ):
        fn(cases[0].text)  # warm up (lingua loads its models)
        times = []
        pred = []
        for case in cases:
            t0 = time.perf_counter()
            pred.append(fn(case.text))
            times.append((time.perf_counter() - t0) * 1e6)
        acc = accuracy_score(langs, pred)
        print(f"language ID {label}: accuracy {acc:.3f}, median {statistics.median(times):.0f} µs")


if __name__ == "__main__":
    main()
