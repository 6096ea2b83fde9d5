"""Bad input never raises: it yields out_of_scope or a low confidence."""

from __future__ import annotations

from datetime import datetime

import pytest

import nlu
from nlu.engine import Nlu

BAD = [
    "",
    " ",
    "\n\t",
    "🙂🙂🙂",
    "👍",
    "x" * 4000,
    "Gutschein " * 400,
    "<script>alert('x')</script>",
    "'; DROP TABLE contact; --",
    "\x00\x01\x02\x1b[31m",
    "\ud800",
    "AHS-" * 1000,
    "12.13.2026 um 25:99 uhr",
    "29.2.2027",
    "am 31.4.",
    "99999999999999999999 €",
    "+" * 50 + "0" * 50,
    "@" * 100,
    "ich möchte ein boat rent morgen om drie uur please",
    "[text](entity) {\"entity\": 1}",
    "Ｇｕｔｓｃｈｅｉｎ",
    "ǅǈǋ ﬁ ﬂ ẞ",
]


@pytest.mark.parametrize("text", BAD)
def test_bad_input_never_raises(model: Nlu, now: datetime, text: str) -> None:
    result = model.parse(text, now=now)
    assert set(result) >= {"text", "intent", "intent_ranking", "entities", "language"}
    assert result["language"] in ("de", "en", "nl")
    assert 0.0 <= result["intent"]["confidence"] <= 1.0
    for ent in result["entities"]:
        assert 0 <= ent["start"] < ent["end"] <= len(text)


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂", "\x00\x01"])
def test_empty_or_symbol_only_is_out_of_scope(model: Nlu, text: str) -> None:
    assert model.parse(text)["intent"]["name"] == "out_of_scope"


@pytest.mark.parametrize("text", ["<script>alert('x')</script>", "select * from users"])
def test_code_is_not_acted_upon(model: Nlu, text: str) -> None:
    intent = model.parse(text)["intent"]
    assert intent["name"] == "out_of_scope" or intent["confidence"] < nlu.CONFIDENCE_THRESHOLD


@pytest.mark.parametrize("text", ["ok", "ja", "hi", "👍"])
def test_short_texts_have_low_language_confidence(model: Nlu, text: str) -> None:
    assert model.parse(text)["language_confidence"] < 0.6


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Ich möchte morgen gerne ein Ruderboot für zwei Stunden mieten", "de"),
        ("I would like to rent a rowing boat for two hours tomorrow", "en"),
        ("Ik wil morgen graag een roeiboot huren voor twee uur", "nl"),
    ],
)
def test_long_texts_have_confident_language(model: Nlu, text: str, lang: str) -> None:
    result = model.parse(text)
    assert result["language"] == lang
    assert result["language_confidence"] > 0.8


def test_module_parse_uses_berlin_clock_by_default() -> None:
    result = nlu.parse("morgen")
    assert [e["entity"] for e in result["entities"]] == ["date"]
