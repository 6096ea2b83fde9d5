"""The action server as a real process (`stadtbot actions serve`) beside `stadtbot serve`.

Both share one SQLite file with the demo city, so what the Rasa side books or pays is
checked through Stadtbot's own HTTP interface.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.live.server import ROOT, free_port, running_server, wait_until_healthy

pytest.importorskip("rasa_sdk", reason="the rasa extra is not installed: pip install -e '.[rasa]'")

STARTUP_SECONDS = 60


@contextmanager
def running_action_server(database_url: str, **env: str) -> Iterator[str]:
    """`stadtbot actions serve` on a free port of 127.0.0.1 until the block ends."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "HOST": "127.0.0.1", **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "actions", "serve", "--port", str(port)],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process, STARTUP_SECONDS, path="/health")
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError("action server did not stop within 15 s of SIGTERM") from None


@dataclass(frozen=True)
class Servers:
    """Stadtbot's API and the action server on the same database."""

    stadtbot: str
    actions: str
    database_url: str


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    url = f"sqlite:///{tmp_path_factory.mktemp('rasa') / 'stadtbot.db'}"
    with running_server(url, demo=True) as stadtbot, running_action_server(url) as actions:
        yield Servers(stadtbot, actions, url)
