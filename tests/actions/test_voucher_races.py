"""Attacks on vouchers from many chats: wrong PINs all at once, several new chats
claiming the same unclaimed voucher at once (each chat in its own thread and
transaction; on PostgreSQL its own connection and row locks), and code guesses from one
web address with a new chat per guess."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from actions.registry import ActionContext, ActionError, run_action
from actions.vouchers import GUESSES_PER_ADDRESS, PIN_FAILURES_PER_VOUCHER
from bot.core.db import transaction
from tests.actions.conftest import NOW

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


def test_code_guesses_from_one_web_address_are_limited_across_new_chats(
    engine, demo, settings, new_contact
) -> None:
    """A script opening a new chat per guess (one request each) meets the per-address limit."""

    def guess(n: int) -> str:
        with transaction(engine) as session:
            ctx = ActionContext(
                session, new_contact(), "web", "de", NOW, settings,
                {"client_address": "203.0.113.7"},
            )
            try:
                run_action("vouchers.balance", ctx, {"code": f"AHS-XXXX-{n:04d}"})
            except ActionError as exc:
                session.commit()
                return exc.code
        return "shown"

    codes = [guess(n) for n in range(GUESSES_PER_ADDRESS + 2)]
    assert codes[:GUESSES_PER_ADDRESS] == ["unknown_code"] * GUESSES_PER_ADDRESS
    assert set(codes[GUESSES_PER_ADDRESS:]) == {"too_many_attempts"}
