"""Concurrent attacks on one voucher, each chat in its own thread and transaction (on
PostgreSQL: its own connection and row locks): wrong PINs all at once, and several new
chats claiming the same unclaimed voucher at once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from actions.registry import ActionError
from actions.vouchers import PIN_FAILURES_PER_VOUCHER

CODE = "AHS-DEMO-0002"


def at_once(calls: list[Callable[[], Any]]) -> list[str]:
    """Run the calls in threads released together; each one's result code."""
    barrier = threading.Barrier(len(calls))
    results: list[str] = [""] * len(calls)

    def run(n: int) -> None:
        barrier.wait()
        try:
            outcome = calls[n]()
            results[n] = "claimed" if outcome.get("claimed_now") else "shown"
        except ActionError as exc:
            results[n] = exc.code

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_thirty_concurrent_wrong_pins_check_at_most_the_limit(demo, call, new_contact) -> None:
    call("vouchers.balance", new_contact(), code=CODE)  # claimed: others need the PIN
    guessers = [new_contact() for _ in range(30)]
    results = Counter(
        at_once(
            [
                lambda c=c, n=n: call("vouchers.balance", c, code=CODE, pin=str(n))
                for n, c in enumerate(guessers, start=2000)
            ]
        )
    )
    assert results["wrong_pin"] == PIN_FAILURES_PER_VOUCHER, results
    assert results["too_many_attempts"] == 30 - PIN_FAILURES_PER_VOUCHER, results
    # Locked: the right PIN is refused as well.
    err = at_once([lambda: call("vouchers.balance", new_contact(), code=CODE, pin="1234")])
    assert err == ["too_many_attempts"]


def test_new_chats_asking_at_once_make_one_owner_and_the_rest_need_the_pin(
    demo, call, new_contact
) -> None:
    chats = [new_contact() for _ in range(8)]
    results = Counter(
        at_once([lambda c=c: call("vouchers.balance", c, code=CODE) for c in chats])
    )
    assert results == {"claimed": 1, "pin_required": 7}, results
