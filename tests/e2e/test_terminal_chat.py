"""`stadtbot chat`: a booking in the terminal by typing button numbers; the ticket is a link."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bot.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]


def test_booking_by_numbers_prints_the_ticket_as_an_absolute_link(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'terminal.db'}"
    upgrade(url)
    env = {**os.environ, "DATABASE_URL": url, "PUBLIC_BASE_URL": "", "PORT": "8123"}
    stadtbot = [sys.executable, "-m", "bot"]
    subprocess.run([*stadtbot, "demo", "load"], env=env, cwd=ROOT, check=True, capture_output=True)
    # Boot buchen → 1 Ruderboot → 2 Morgen → 1 (first hour) → 1 (1 Stunde) → 1 (Ja, passt)
    typed = "Ich möchte ein Boot buchen\n1\n2\n1\n1\n1\n"
    done = subprocess.run(
        [*stadtbot, "chat", "--user", "t1"],
        input=typed, capture_output=True, text=True, env=env, cwd=ROOT, timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "B-" in done.stdout, done.stdout[-2000:]
    links = re.findall(r"\[image\] (\S+)", done.stdout)
    assert links and links[-1].startswith("http://127.0.0.1:8123/qr/ticket/B-"), done.stdout[-1500:]
