"""The action server as a real process (`stadtbot actions serve`) beside `stadtbot serve`.

Both share one SQLite file with the demo city, so what the Rasa side books or pays is
checked through Stadtbot's own HTTP interface.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from tests.live.server import free_port, running_command, running_server

pytest.importorskip("rasa_sdk", reason="the rasa extra is not installed: pip install -e '.[rasa]'")


@contextmanager
def running_action_server(database_url: str) -> Iterator[str]:
    """`stadtbot actions serve` on a free port of 127.0.0.1 until the block ends."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url}
    with running_command(
        ["actions", "serve", "--port", str(port)], port, env, health_path="/health"
    ) as base:
        yield base


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
