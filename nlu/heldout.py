"""The held-out evaluation file: texts with their intent and language, never trained on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

HELDOUT_PATH = Path(__file__).resolve().parent.parent / "tests" / "data" / "nlu_heldout.yml"
#: Second test set: messages written the way citizens write on WhatsApp (long, rambling,
#: one-word, typos, mixed languages, near-misses); never trained on, never paraphrased.
REALISTIC_PATH = HELDOUT_PATH.with_name("nlu_realistic.yml")


@dataclass(frozen=True)
class Case:
    text: str
    intent: str
    lang: str


def load_heldout(path: Path = HELDOUT_PATH) -> list[Case]:
    """Cases from a file of `- intent: x` items with `de:`/`en:`/`nl:` lists of texts."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    cases: list[Case] = []
    for item in doc:
        for lang in ("de", "en", "nl"):
            cases.extend(Case(str(t), str(item["intent"]), lang) for t in item.get(lang) or [])
    return cases
