"""Model lifecycle: data hash, store/load, retraining when data changes, CLI, fallbacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli import app as stadtbot_app
from bot.core.fallbacks import list_fallbacks, record_fallback
from nlu import model_store
from nlu.cli import nlu_app
from nlu.engine import train_dir

TINY = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hallo
    - guten tag
    - moin
- intent: goodbye
  examples: |
    - tschüss
    - bis bald
    - auf wiedersehen
"""


def test_hash_changes_with_data_and_model_is_reused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "nlu_de.yml").write_text(TINY, encoding="utf-8")
    first = model_store.data_hash(data)
    assert model_store.data_hash(data) == first
    model = train_dir(data, first)
    models = tmp_path / "models"
    model_store.save(model, first, models)
    loaded = model_store.load(first, models)
    assert loaded is not None
    assert loaded.parse("moin moin")["intent"]["name"] == "greet"
    (data / "nlu_de.yml").write_text(TINY + "    - ciao\n", encoding="utf-8")
    second = model_store.data_hash(data)
    assert second != first
    assert model_store.load(second, models) is None  # -> get_nlu() retrains
    model_store.save(train_dir(data, second), second, models)
    assert [p.name for p in models.glob("*.pkl")] == [f"nlu-{second}.pkl"]


def test_corrupt_model_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "nlu-abc.pkl").write_bytes(b"not a pickle")
    assert model_store.load("abc", tmp_path) is None


def test_cli_parse_prints_rasa_json() -> None:
    result = CliRunner().invoke(nlu_app, ["parse", "Wann hat das Rathaus auf?", "--lang", "de"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["intent"]["name"] == "opening_hours"
    assert [e["value"] for e in body["entities"] if e["entity"] == "place"] == ["town_hall"]


def test_cli_evaluate_prints_the_scores() -> None:
    result = CliRunner().invoke(nlu_app, ["evaluate", "--no-cv"])
    assert result.exit_code == 0, result.output
    for label in ("accuracy:", "macro-F1:", "language-ID acc.:", "most confused", "book_boat"):
        assert label in result.output


@pytest.fixture()
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from bot.core import db
    from bot.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'nlu.db'}"
    upgrade(url)
    eng = db.make_engine(url)
    monkeypatch.setattr(db, "get_engine", lambda: eng)
    yield eng
    eng.dispose()


def test_fallbacks_are_recorded_and_reviewed(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        record_fallback(
            session, contact_id=None, text="wat is dat dan", language="nl",
            ranking=[{"name": "help", "confidence": 0.31}, {"name": "deny", "confidence": 0.2}],
        )
        session.commit()
        rows = list_fallbacks(session)
    assert [(r.text, r.language, r.ranking[0]["name"]) for r in rows] == [
        ("wat is dat dan", "nl", "help")
    ]
    result = CliRunner().invoke(stadtbot_app, ["nlu", "review"])
    assert result.exit_code == 0, result.output
    assert "wat is dat dan" in result.output and "help 0.31" in result.output


def test_review_shows_fallbacks_masked(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        record_fallback(
            session, contact_id=None, text="ik heet Bram Visser, bel 0151 23456789",
            language="nl", ranking=[{"name": "help", "confidence": 0.3}],
        )
        session.commit()
    result = CliRunner().invoke(stadtbot_app, ["nlu", "review"])
    assert result.exit_code == 0, result.output
    assert "<NAME>" in result.output and "<PHONE>" in result.output
    assert "Visser" not in result.output and "23456789" not in result.output
