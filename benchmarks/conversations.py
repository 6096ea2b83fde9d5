"""Score the bot on multi-turn conversations: `python benchmarks/conversations.py`.

The third evaluation file (`tests/data/conversations.yml`, never used for training)
holds whole chats the way citizens write them. Each conversation runs in its own web
chat session against the real app (trained NLU, dialogue, flows, demo city data on a
fresh SQLite database) through `POST /api/chat`; each turn's replies are checked for
what they must say (`says`: all, `says_any`: one of them), must not say (`not_says`)
and whether they offer buttons (`buttons`). The score is the share of checked turns
that pass; `--failures` lists the ones that do not.

Texts may hold `{dm:N}` (the date N days from today as "dd.mm.") and `{day:N}` (its
day of the month), so a file written once stays right on every day.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONVERSATIONS_PATH = ROOT / "tests" / "data" / "conversations.yml"
sys.path.insert(0, str(ROOT))


def expand(text: str, today: date) -> str:
    """Replace the `{dm:N}` and `{day:N}` placeholders relative to `today`."""

    def one(m: re.Match[str]) -> str:
        day = today + timedelta(days=int(m[2]))
        return f"{day.day:02d}.{day.month:02d}." if m[1] == "dm" else str(day.day)

    return re.sub(r"\{(dm|day):(-?\d+)\}", one, text)


def failures_of(turn: dict[str, Any], replies: list[dict[str, Any]], today: date) -> list[str]:
    """What a turn's replies miss of its expectations (empty: the turn passes)."""
    text = "\n".join(m["text"] for m in replies).lower()
    titles = [b["title"] for m in replies for b in m.get("buttons", [])]
    problems = [
        f"missing {s!r}" for s in turn.get("says", []) if expand(s, today).lower() not in text
    ]
    options = [expand(s, today).lower() for s in turn.get("says_any", [])]
    if options and not any(s in text for s in options):
        problems.append(f"none of {options!r}")
    problems += [
        f"unwanted {s!r}" for s in turn.get("not_says", []) if expand(s, today).lower() in text
    ]
    if "buttons" in turn and bool(titles) != bool(turn["buttons"]):
        problems.append("buttons expected" if turn["buttons"] else "no buttons expected")
    return problems


def run(path: Path = CONVERSATIONS_PATH, show_failures: bool = False) -> tuple[int, int]:
    """Run every conversation; returns (passed turns, checked turns) and prints the score."""
    from fastapi.testclient import TestClient

    from actions.demo import load_demo
    from api.app import create_app
    from bot.core.db import make_engine, transaction
    from bot.core.settings import Settings
    from bot.migrate import upgrade

    conversations = yaml.safe_load(path.read_text(encoding="utf-8"))
    url = f"sqlite:///{tempfile.mkdtemp()}/conversations.db"
    upgrade(url)
    db = make_engine(url)
    with transaction(db) as session:
        load_demo(session)
    db.dispose()
    today = date.today()
    passed = checked = whole = 0
    report: list[str] = []
    # One test client plays every citizen: the chat limits are off (0).
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=url, chat_session_messages_per_minute=0,
        chat_ip_messages_per_minute=0, chat_new_sessions_per_ip_per_hour=0,
    )
    with TestClient(create_app(settings)) as client:
        for conv in conversations:
            session_id: str | None = None
            ok = True
            for turn in conv["turns"]:
                body: dict[str, Any] = {"lang": conv["lang"]}
                if "tap" in turn:
                    body["payload"] = turn["tap"]
                else:
                    body["text"] = expand(turn["user"], today)
                if session_id:
                    body["session_id"] = session_id
                res = client.post("/api/chat", json=body)
                if res.status_code != 200:
                    problems = [f"HTTP {res.status_code}"]
                    replies: list[dict[str, Any]] = []
                else:
                    session_id = res.json()["session_id"]
                    replies = res.json()["messages"]
                    problems = failures_of(turn, replies, today)
                if not any(k in turn for k in ("says", "says_any", "not_says", "buttons")):
                    continue
                checked += 1
                if problems:
                    ok = False
                    said = " | ".join(m["text"].replace("\n", " ") for m in replies)
                    report.append(
                        f"  [{conv['id']}] {body.get('text') or body.get('payload')!r}: "
                        f"{'; '.join(problems)}\n      bot: {said[:300]}"
                    )
                else:
                    passed += 1
            whole += ok
    print(f"conversations: {whole}/{len(conversations)} fully right")
    print(f"turns: {passed}/{checked} checks pass ({passed / max(checked, 1):.3f})")
    if show_failures and report:
        print("failures:")
        print("\n".join(report))
    return passed, checked


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--failures", action="store_true", help="list the failing turns")
    parser.add_argument("--file", type=Path, default=CONVERSATIONS_PATH)
    args = parser.parse_args()
    run(args.file, args.failures)
