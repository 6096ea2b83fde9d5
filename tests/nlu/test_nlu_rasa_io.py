"""Rasa interoperability: import a real Rasa 3 `data/nlu.yml`, export, re-import."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from nlu.cli import nlu_app
from nlu.rasa_io import load_dir, parse_annotated

FIXTURE = Path(__file__).parent / "fixtures" / "rasa_project"


def test_parse_annotations() -> None:
    text, ents = parse_annotated(
        'fly from [Berlin]{"entity": "city", "role": "departure"} to [NYC](city:New York City)'
        " on [tomorrow](date)"
    )
    assert text == "fly from Berlin to NYC on tomorrow"
    assert [(e["entity"], e["value"], text[e["start"] : e["end"]]) for e in ents] == [
        ("city", "Berlin", "Berlin"),
        ("city", "New York City", "NYC"),
        ("date", "tomorrow", "tomorrow"),
    ]
    assert ents[0]["role"] == "departure"


def test_import_reads_everything_from_a_rasa_project() -> None:
    data = load_dir(FIXTURE)
    assert data.intents == [
        "book_flight", "check_balance", "goodbye", "greet", "inform", "mood_great",
    ]
    assert len(data.examples) == 22
    balance = [e for e in data.examples if e.intent == "check_balance"]
    assert balance[1].text == "What's the balance on my credit card account"
    assert balance[1].entities[0]["value"] == "credit"
    mood = [e.text for e in data.examples if e.intent == "mood_great"]
    assert mood == ["perfect", "I am feeling very good"]
    assert "credit card account" in data.synonyms["credit"]
    assert "NYC" in data.synonyms["New York City"]
    assert data.regexes == {"account_number": [r"\d{10,12}"]}
    assert data.lookups["banks"] == ["JPMC", "Comerica", "Bank of America"]


def test_round_trip_through_export_is_lossless(tmp_path: Path) -> None:
    original = load_dir(FIXTURE)
    runner = CliRunner()
    result = runner.invoke(nlu_app, ["import", str(FIXTURE), "--dest", str(tmp_path / "in")])
    assert result.exit_code == 0, result.output
    again = load_dir(tmp_path / "in")
    assert [(e.text, e.intent, e.entities) for e in again.examples] == [
        (e.text, e.intent, e.entities) for e in original.examples
    ]
    assert again.synonyms == original.synonyms
    assert again.regexes == original.regexes
    assert again.lookups == original.lookups


def test_export_writes_valid_rasa_yaml_of_our_data(tmp_path: Path) -> None:
    result = CliRunner().invoke(nlu_app, ["export", str(tmp_path)])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in tmp_path.glob("*.yml"))
    assert files == ["nlu_de.yml", "nlu_en.yml", "nlu_nl.yml", "synonyms_regexes_lookups.yml"]
    for path in tmp_path.glob("*.yml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert doc["version"] == "3.1"
        for item in doc["nlu"]:
            assert {"examples"} < set(item)
            assert len({"intent", "synonym", "regex", "lookup"} & set(item)) == 1
            assert isinstance(item["examples"], str)
            assert all(line.startswith("- ") for line in item["examples"].splitlines())
    exported = load_dir(tmp_path)
    ours = load_dir(Path(__file__).resolve().parents[2] / "nlu" / "data")
    assert len(exported.examples) == len(ours.examples)
    assert {e.lang for e in exported.examples} == {"de", "en", "nl"}
