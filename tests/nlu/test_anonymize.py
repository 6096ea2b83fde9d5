"""The anonymiser masks personal data in citizens' messages and keeps the rest."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nlu.anonymize import anonymize

CASES = yaml.safe_load(
    (Path(__file__).parents[1] / "data" / "anonymizer_cases.yml").read_text(encoding="utf-8")
)
RECALL_TARGET = 0.95


def test_recall_on_messages_with_known_personal_data(capsys: pytest.CaptureFixture[str]) -> None:
    """Share of personal strings gone after masking (reported; BENCHMARKS.md)."""
    total = missed = 0
    leaks = []
    for case in CASES:
        masked = anonymize(case["text"])
        for item in case["personal"]:
            total += 1
            if str(item) in masked:
                missed += 1
                leaks.append((str(item), masked))
    recall = (total - missed) / total
    with capsys.disabled():
        print(f"\nanonymiser recall: {recall:.3f} ({total - missed}/{total} personal strings)")
    assert recall >= RECALL_TARGET, leaks


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:30] for c in CASES])
def test_the_rest_of_the_sentence_stays_usable(case: dict) -> None:
    masked = anonymize(case["text"])
    for word in case["keep"]:
        assert word in masked, masked


@pytest.mark.parametrize(
    "text",
    [
        "Wann hat der Wertstoffhof am Samstag geöffnet?",
        "Ich möchte morgen um 14:30 ein Ruderboot für 2 Stunden",
        "12,50 € bei Eiscafé am Schloss bezahlen",
        "When is the town hall open in 2026?",
        "Hoeveel kost een kano op 3 juni?",
    ],
)
def test_messages_without_personal_data_are_unchanged(text: str) -> None:
    assert anonymize(text) == text


def test_a_known_profile_name_is_masked_in_any_wording() -> None:
    masked = anonymize("hallo, hier schreibt jens wegen der Laterne", known_names=["Jens Ploeger"])
    assert "jens" not in masked.lower() and "Laterne" in masked
