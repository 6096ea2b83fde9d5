"""Two staff members claim the same chat at the same moment: exactly one wins.

Over real HTTP on PostgreSQL (several connections, row locks) and on SQLite, ten chats
in a row, the two requests released together by a barrier.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from api.app import create_app
from bot.core.messages import InboundMessage
from bot.engine import Engine
from tests.fakes.server import ServerThread
from tests.support import TEST_SECRET_KEY, StaffLogin, staff_engine

ALICE = StaffLogin("alice", "alice-password-1")
BOB = StaffLogin("bob", "bob-password-12")


@pytest.fixture
def served(db_url: str, settings_for) -> Iterator[tuple[str, Engine]]:
    settings = settings_for(db_url, secret_key=TEST_SECRET_KEY)
    engine = staff_engine(settings, {ALICE: ["staff"], BOB: ["staff"]})
    server = ServerThread(create_app(engine.settings, engine)).start()
    try:
        yield server.url, engine
    finally:
        server.stop()
        engine.db.dispose()


def race(url: str, cid: int) -> dict[str, int]:
    """Alice and Bob claim chat `cid` at the same moment; their status codes."""
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def claim(who: StaffLogin) -> None:
        with httpx.Client(base_url=url, auth=who, timeout=20) as client:
            client.get("/healthz")  # connection open before the race
            barrier.wait()
            results[who.username] = client.post(f"/api/staff/conversations/{cid}/claim").status_code

    threads = [threading.Thread(target=claim, args=(who,)) for who in (ALICE, BOB)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_claims_one_200_one_409(served: tuple[str, Engine]) -> None:
    url, engine = served
    for n in range(10):
        handled = engine.handle(
            InboundMessage(channel="web", sender_id=f"race-{n}", text="Mitarbeiter bitte")
        )
        cid = handled.conversation_id
        results = race(url, cid)
        assert sorted(results.values()) == [200, 409], results
        holder = httpx.get(f"{url}/api/staff/conversations?status=open", auth=ALICE).json()
        winner = next(name for name, code in results.items() if code == 200)
        assert {r["id"]: r["assignee"] for r in holder}[cid] == winner
