"""`stadtbot rasa import DIR`: a small Rasa project with a form becomes a working flow.

The project (tests/rasa/data/tree_permit) is itself valid Rasa (checked by the same
schema as the export); imported, its form runs in Stadtbot's web chat from a typed
sentence to a case with a reference, and the report names what stayed behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.live.server import ROOT, running_server
from tests.rasa.rasa_schema import check_project

PROJECT = Path(__file__).parent / "data" / "tree_permit"


def rasa_import(out: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "rasa", "import", str(PROJECT), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    return done.stdout


def test_the_fixture_is_a_valid_rasa_project() -> None:
    assert check_project(PROJECT) == []


def test_the_report_names_what_was_not_converted(tmp_path: Path) -> None:
    report = rasa_import(tmp_path / "imported")

    assert "wrote" in report and "1 flows" in report
    assert "custom action 'action_notify_tree_office'" in report
    assert "intent 'bot_challenge': starts no flow" in report
    assert "rule/story 'bot challenge': not converted" in report
    assert "float is read as a whole number" in report
    assert (tmp_path / "imported" / "flows" / "tree_permit.yaml").exists()


def test_the_imported_form_works_in_the_web_chat(tmp_path: Path, sqlite_url: str) -> None:
    out = tmp_path / "imported"
    rasa_import(out)
    env = {"EXTRA_FLOWS_DIR": str(out / "flows"), "EXTRA_NLU_DIR": str(out / "nlu")}
    # Trained first, so that the server's start is not timed on a busy machine.
    subprocess.run([sys.executable, "-m", "bot", "nlu", "train"], cwd=ROOT, check=True,
                   capture_output=True, env={**os.environ, **env})
    with running_server(sqlite_url, **env) as base:
        session: dict[str, str] = {}

        def say(text: str) -> str:
            answer = httpx.post(f"{base}/api/chat", json={**session, "text": text}, timeout=60)
            session["session_id"] = answer.json()["session_id"]
            return "\n".join(m["text"] for m in answer.json()["messages"])

        assert "In welcher Straße steht der Baum?" in say("Ich möchte einen Baum fällen lassen")
        assert "Wie viele Bäume" in say("Marktstraße")
        assert "unter Schutz" in say("2")
        assert "Warum soll der Baum in der Marktstraße gefällt werden?" in say("nein")
        summary = say("Wir bauen dort eine Garage")
        assert "Absenden?" in summary and "Marktstraße" in summary
        done = say("Ja")
        assert "Ihr Antrag für 2 Baum/Bäume ist gestellt." in done
        reference = done.split("Aktenzeichen ")[1].rstrip(".")
        assert reference.startswith("AH-")
        assert "eingegangen" in say(f"Wie ist der Stand von {reference}?")
