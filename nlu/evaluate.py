"""Measuring the NLU: held-out scores, confusions, language ID, threshold, cross-validation.

The confidence threshold is chosen by cost: acting on a wrong intent costs
`WRONG_ACTION_COST` (the citizen has to notice and undo), asking "Meinten Sie …?" costs 1
(one extra tap). The threshold minimising the total cost on the held-out file is printed;
`nlu.CONFIDENCE_THRESHOLD` holds the value measured for the current data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from nlu import language
from nlu.classifier import train_linear
from nlu.engine import INTENT_C, INTENT_KIND, Nlu
from nlu.features import Analyzer
from nlu.heldout import Case
from nlu.normalize import normalize
from nlu.rasa_io import TrainingData

WRONG_ACTION_COST = 3.0


@dataclass
class Report:
    """Scores of one evaluation run (printed by `stadtbot nlu evaluate`)."""

    n: int
    accuracy: float
    macro_f1: float
    per_intent: dict[str, tuple[float, float, float, int]]
    confused: list[tuple[str, str, int]]
    language_accuracy: float
    threshold: float
    threshold_table: list[tuple[float, float, float, float]] = field(default_factory=list)
    errors: list[tuple[str, str, str, float]] = field(default_factory=list)


def evaluate(nlu: Nlu, cases: list[Case]) -> Report:
    """Score `nlu` on held-out `cases`."""
    gold = [c.intent for c in cases]
    top = [nlu.classify(c.text)[0] for c in cases]
    pred = [t[0] for t in top]
    conf = np.array([t[1] for t in top])
    labels = sorted(set(gold) | set(pred))
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    per_intent = {
        lab: (float(p[i]), float(r[i]), float(f[i]), int(s[i])) for i, lab in enumerate(labels)
    }
    confused = Counter((g, q) for g, q in zip(gold, pred, strict=True) if g != q)
    langs = [language.detect(nlu.language_model, c.text)[0] for c in cases]
    correct = np.array([g == q for g, q in zip(gold, pred, strict=True)])
    threshold, table = tune_threshold(conf, correct)
    return Report(
        n=len(cases),
        accuracy=float(accuracy_score(gold, pred)),
        macro_f1=float(f1_score(gold, pred, labels=sorted(set(gold)), average="macro")),
        per_intent=per_intent,
        confused=[(g, q, n) for (g, q), n in confused.most_common(10)],
        language_accuracy=float(accuracy_score([c.lang for c in cases], langs)),
        threshold=threshold,
        threshold_table=table,
        errors=[
            (c.text, c.intent, q, float(k))
            for c, q, k in zip(cases, pred, conf, strict=True)
            if q != c.intent
        ],
    )


def tune_threshold(
    conf: np.ndarray, correct: np.ndarray
) -> tuple[float, list[tuple[float, float, float, float]]]:
    """Best threshold by cost, and rows (threshold, asked share, wrong-acted share, cost)."""
    rows = []
    for t in np.round(np.arange(0.1, 0.95, 0.05), 2):
        asked = conf < t
        wrong_acted = (~asked) & (~correct)
        cost = (asked.sum() + WRONG_ACTION_COST * wrong_acted.sum()) / max(1, len(conf))
        rows.append((float(t), float(asked.mean()), float(wrong_acted.mean()), float(cost)))
    best = min(rows, key=lambda row: (row[3], row[0]))
    return best[0], rows


def cross_validate(data: TrainingData, folds: int = 5, seed: int = 0) -> tuple[float, float]:
    """Accuracy and macro-F1 of k-fold cross-validation of the intent model on `data`."""
    texts = np.array([normalize(e.text).text for e in data.examples], dtype=object)
    labels = np.array([e.intent for e in data.examples], dtype=object)
    pred = np.empty(len(texts), dtype=object)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for tr, te in splitter.split(texts, labels):
        model = train_linear(
            list(texts[tr]), list(labels[tr]), Analyzer(), kind=INTENT_KIND, c=INTENT_C,
            calibrate_folds=0,
        )
        for i in te:
            pred[i] = model.labels[int(model.logits(texts[i]).argmax())]
    return (
        float(accuracy_score(labels, pred)),
        float(f1_score(list(labels), list(pred), average="macro")),
    )


def format_report(
    report: Report, cv: tuple[float, float] | None = None, realistic: Report | None = None
) -> str:
    """The text `stadtbot nlu evaluate` prints."""
    lines = [
        f"held-out examples: {report.n}",
        f"accuracy:          {report.accuracy:.3f}",
        f"macro-F1:          {report.macro_f1:.3f}",
        f"language-ID acc.:  {report.language_accuracy:.3f}",
        f"tuned threshold:   {report.threshold:.2f} (wrong action costs {WRONG_ACTION_COST:g}, "
        "a question 1)",
    ]
    if cv:
        lines.append(f"cross-validation (5-fold, training data): accuracy {cv[0]:.3f}, "
                     f"macro-F1 {cv[1]:.3f}")
    if realistic:
        worst = sorted(realistic.per_intent.items(), key=lambda kv: kv[1][2])[:5]
        lines += [
            f"realistic file ({realistic.n} citizen-style messages): accuracy "
            f"{realistic.accuracy:.3f}, macro-F1 {realistic.macro_f1:.3f}, "
            f"language-ID {realistic.language_accuracy:.3f}, "
            f"best threshold there {realistic.threshold:.2f}",
            "  weakest intents there: "
            + ", ".join(f"{name} {vals[2]:.2f}" for name, vals in worst),
        ]
    lines += ["", f"{'intent':<24}{'P':>7}{'R':>7}{'F1':>7}{'n':>5}"]
    for name, (p, r, f, n) in sorted(report.per_intent.items()):
        lines.append(f"{name:<24}{p:>7.3f}{r:>7.3f}{f:>7.3f}{n:>5}")
    lines += ["", "most confused (gold -> predicted: count):"]
    lines += [f"  {g} -> {q}: {n}" for g, q, n in report.confused] or ["  none"]
    lines += ["", "threshold  asked  wrong-acted  cost"]
    lines += [f"  {t:.2f}    {a:.3f}   {w:.3f}       {c:.3f}" for t, a, w, c in
              report.threshold_table]
    return "\n".join(lines)
