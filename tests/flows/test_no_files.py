"""The dialogue reads no files while it runs: flows, answers, menu, texts and the
parsing vocabulary are read when it is built, so a turn is pure computation.

Checked in a fresh interpreter (nothing cached yet) with an audit hook that sees every
file the process opens after the dialogue is built.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import json, sys
from flows.dialogue import Dialogue
from tests.flows.helpers import Chat
from tests.flows.test_runtime import BOAT, boat_services

chat = Chat(boat_services(), Dialogue(threshold=0.5))
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" else None)
chat.send("Boot mieten", intent="book_boat", lang="en")
chat.send("2", confidence=0.2, lang="en")
chat.send("morgen um 15 Uhr für 2 Stunden", entities=BOAT, confidence=0.3, lang="nl")
chat.send("asdfgh", confidence=0.1)
chat.send("ja", intent="affirm")
chat.send("Was kostet die Hundeanmeldung?", intent="service_info",
          entities={"service": "dog_registration", "service_aspect": "fees"})
chat.send("stop")
print(json.dumps(opened))
"""


def test_a_turn_opens_no_file() -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
