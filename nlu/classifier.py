"""A linear text classifier trained with scikit-learn and evaluated without it.

Training uses `TfidfVectorizer` + a linear model (`LinearSVC` by default, multinomial
`LogisticRegression` as the alternative measured in BENCHMARKS.md); the learned vocabulary,
idf weights and coefficients are then kept as plain dicts and numpy arrays. Parsing one
message through scikit-learn costs ~0.5 ms of input validation alone; doing the same
arithmetic directly (sublinear tf × idf, l2 norm, a gather of coefficient rows, softmax)
takes a few microseconds, which is how parse stays within its 1 ms budget.

Calibration: the logits are divided by a temperature fitted on out-of-fold predictions of
the training data (minimum log-loss), so a confidence of 0.8 means roughly "right 8 times
in 10" on data the model did not see.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

Analyzer = Callable[[str], list[str]]


@dataclass
class LinearTextModel:
    """Vocabulary, idf and weights of a trained model, ready for fast prediction."""

    labels: list[str]
    analyzer: Analyzer
    vocab: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray  # (n_features, n_labels): one row gathered per feature
    intercept: np.ndarray
    temperature: float = 1.0

    def logits(self, text: str) -> np.ndarray:
        """Raw scores for normalised `text`; unknown features are ignored."""
        counts = Counter(self.analyzer(text))
        idx: list[int] = []
        vals: list[float] = []
        for feat, n in counts.items():
            j = self.vocab.get(feat)
            if j is not None:
                idx.append(j)
                vals.append(1.0 + math.log(n))
        if not idx:
            return self.intercept.copy()
        ix = np.fromiter(idx, dtype=np.int64, count=len(idx))
        weights = np.asarray(vals, dtype=np.float64) * self.idf[ix]
        weights /= math.sqrt(float(weights @ weights))
        return weights @ self.coef[ix] + self.intercept

    def predict_proba(self, text: str) -> np.ndarray:
        """Calibrated probabilities over `labels`."""
        z = self.logits(text) / self.temperature
        z = np.exp(z - z.max())
        return z / z.sum()


def _make_classifier(kind: str, c: float) -> LinearSVC | LogisticRegression:
    if kind == "svc":
        return LinearSVC(C=c)
    if kind == "lr":
        return LogisticRegression(C=c, max_iter=2000)
    raise ValueError(f"classifier kind {kind!r} is not 'svc' or 'lr'")


def _fit_sklearn(
    texts: Sequence[str], labels: Sequence[str], analyzer: Analyzer, c: float, kind: str
) -> tuple[TfidfVectorizer, LinearSVC | LogisticRegression]:
    vec = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, lowercase=False, dtype=np.float64)
    x = vec.fit_transform(texts)
    clf = _make_classifier(kind, c)
    clf.fit(x, labels)
    return vec, clf


def _fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature minimising log-loss of out-of-fold logits (grid search, robust)."""
    best_t, best_loss = 1.0, math.inf
    for t in np.exp(np.linspace(math.log(0.01), math.log(5.0), 81)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        loss = -float(logp[np.arange(len(y)), y].mean())
        if loss < best_loss:
            best_t, best_loss = float(t), loss
    return best_t


def train_linear(
    texts: Sequence[str],
    labels: Sequence[str],
    analyzer: Analyzer,
    *,
    kind: str = "svc",
    c: float = 1.0,
    calibrate_folds: int = 5,
    seed: int = 0,
) -> LinearTextModel:
    """Train on normalised `texts`; calibrate a temperature by k-fold if `calibrate_folds`."""
    vec, clf = _fit_sklearn(texts, labels, analyzer, c, kind)
    classes = [str(c_) for c_ in clf.classes_]
    coef = clf.coef_
    intercept = clf.intercept_
    if len(classes) == 2:  # binary LR stores one row; expand to two symmetric logits
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    model = LinearTextModel(
        labels=classes,
        analyzer=analyzer,
        vocab={k: int(v) for k, v in vec.vocabulary_.items()},
        idf=vec.idf_.astype(np.float64),
        coef=np.ascontiguousarray(coef.T, dtype=np.float64),
        intercept=np.asarray(intercept, dtype=np.float64),
    )
    if calibrate_folds >= 2:
        model.temperature = _fit_temperature(
            *_out_of_fold_logits(texts, labels, analyzer, c, kind, classes, calibrate_folds, seed)
        )
    return model


def _out_of_fold_logits(
    texts: Sequence[str],
    labels: Sequence[str],
    analyzer: Analyzer,
    c: float,
    kind: str,
    classes: list[str],
    folds: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    y = np.array([classes.index(lab) for lab in labels])
    counts = np.bincount(y, minlength=len(classes))
    folds = max(2, min(folds, int(counts[counts > 0].min())))
    out = np.zeros((len(texts), len(classes)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    arr = np.asarray(texts, dtype=object)
    lab = np.asarray(labels, dtype=object)
    for tr, te in splitter.split(arr, y):
        vec, clf = _fit_sklearn(list(arr[tr]), list(lab[tr]), analyzer, c, kind)
        scores = clf.decision_function(vec.transform(list(arr[te])))
        if scores.ndim == 1:
            scores = np.column_stack([-scores / 2, scores / 2])
        cols = [classes.index(str(k)) for k in clf.classes_]
        full = np.full((len(te), len(classes)), -1e3)
        full[:, cols] = scores
        out[te] = full
    return out, y
