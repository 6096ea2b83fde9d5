"""`stadtbot rasa export DIR`: a Rasa 3 project that passes Rasa's schema and uses our actions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from bot.core.db import make_engine
from bot.core.settings import Settings
from bot.rasa.bridge import Bridge
from bot.rasa.flowset import load_city_flows
from bot.rasa.sdk import build_executor
from tests.live.server import ROOT
from tests.rasa.rasa_schema import check_project


def export(target: Path, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "rasa", "export", str(target), *args],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    assert "wrote" in done.stdout
    return yaml.safe_load((target / "domain.yml").read_text(encoding="utf-8"))


def test_the_exported_project_passes_rasas_schema(tmp_path: Path) -> None:
    domain = export(tmp_path / "assistant")
    assert check_project(tmp_path / "assistant") == []
    assert domain["version"] == "3.1"
    assert {"book_boat", "redeem_voucher", "case_status", "greet"} <= set(domain["intents"])


def test_the_schema_check_finds_what_rasa_would_refuse(tmp_path: Path) -> None:
    root = tmp_path / "broken"
    export(root)
    domain = yaml.safe_load((root / "domain.yml").read_text(encoding="utf-8"))
    domain["intents"].remove("book_boat")
    del domain["slots"]["boat_type"]
    domain["version"] = 3.1
    (root / "domain.yml").write_text(yaml.safe_dump(domain, allow_unicode=True))

    problems = "\n".join(check_project(root))

    assert "version must be the string '3.1'" in problems
    assert "intent 'book_boat' of nlu.yml is not in the domain" in problems
    assert "form 'book_boat_form': required slot 'boat_type' is not declared" in problems


def test_forms_ask_in_german_and_their_actions_are_the_action_servers(tmp_path: Path) -> None:
    domain = export(tmp_path / "a", "--action-server", "https://actions.ahaus.de/webhook")
    endpoints = yaml.safe_load((tmp_path / "a" / "endpoints.yml").read_text(encoding="utf-8"))
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'x.db'}")
    bridge = Bridge(make_engine(settings.database_url), settings, load_city_flows(settings))

    assert endpoints == {"action_endpoint": {"url": "https://actions.ahaus.de/webhook"}}
    assert domain["forms"]["book_boat_form"] == {
        "required_slots": ["boat_type", "date", "time", "duration"]
    }
    ask = domain["responses"]["utter_ask_book_boat_form_boat_type"][0]
    assert ask["text"].startswith("Welches Boot möchten Sie mieten?")
    assert [b["payload"] for b in ask["buttons"]] == ["Ruderboot", "Tretboot", "Kanu"]
    assert set(domain["actions"]) == set(build_executor(bridge).actions)
    assert domain["responses"]["utter_greet"][0]["text"]
    rules = yaml.safe_load((tmp_path / "a" / "data" / "rules.yml").read_text(encoding="utf-8"))
    finish = next(r for r in rules["rules"] if r["rule"] == "finish redeem_voucher_form")
    assert [s.get("action") for s in finish["steps"]][-2:] == [
        "action_find_acceptance_points", "action_redeem_voucher"
    ]
