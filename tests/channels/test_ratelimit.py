"""The channels' send slots: 1/rate apart, reserved a little ahead, shared by all
workers, so no one-second window sees more than the provider's limit."""

from __future__ import annotations

from itertools import pairwise

import pytest
from sqlmodel import Session, SQLModel, create_engine

from bot import ratelimit
from bot.channels.models import RateBucket
from bot.ratelimit import Rate


@pytest.fixture
def db():  # type: ignore[no-untyped-def]
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine, tables=[RateBucket.__table__])  # type: ignore[attr-defined]
    return engine


def claim(db, rate: Rate, now: float, wait: list[float] | None = None) -> list[float]:  # type: ignore[no-untyped-def]
    """One claim transaction of a saturated dispatcher: every free slot (and, in
    `wait`, how long until the next one when there was none)."""
    with Session(db) as session:
        slots = ratelimit.take(session, rate, ratelimit.available(session, rate, now), now)
        if not slots and wait is not None:
            wait.append(ratelimit.next_token_in(session, rate, now))
        session.commit()
    return slots


@pytest.mark.parametrize("per_second", [30.0, 80.0])
def test_no_one_second_window_sees_more_than_the_limit(db, per_second: float) -> None:  # type: ignore[no-untyped-def]
    """Two workers claim in turn, unevenly, for ten seconds: the slots they get are
    1/rate apart, start now, never lie more than `ahead` in the future, and add up to
    the rate."""
    rate = Rate.of("whatsapp", per_second, 0.2)
    slots: list[float] = []
    waits: list[float] = []
    now, step = 1000.0, 0.0
    while now < 1010.0:
        got = claim(db, rate, now, waits)
        assert all(now - 1e-9 <= slot <= now + 0.2 + 1e-9 for slot in got)
        slots += got
        step = 0.013 if step != 0.013 else 0.071  # two workers, different loop times
        now += step
    assert slots[0] == 1000.0
    assert all(b - a == pytest.approx(1 / per_second) for a, b in pairwise(slots))
    busiest = max(sum(1 for t in slots if start <= t < start + 1.0) for start in slots)
    assert busiest <= per_second + 1
    assert len(slots) >= per_second * 10
    assert all(0 < wait <= 1 / per_second for wait in waits)  # claims again in time


def test_an_idle_limit_does_not_save_up_a_burst(db) -> None:  # type: ignore[no-untyped-def]
    rate = Rate.of("telegram", 30, 0.2)
    claim(db, rate, 1000.0)
    later = claim(db, rate, 1100.0)  # after 100 idle seconds: still only `ahead` of slots
    assert len(later) == 7 and later[0] == 1100.0  # now, and 6 more within 0.2 s


def test_a_providers_retry_after_pauses_every_worker(db) -> None:  # type: ignore[no-untyped-def]
    rate = Rate.of("telegram", 30, 0.2)
    with Session(db) as session:
        ratelimit.pause(session, rate, 2.0, 1000.0)
        session.commit()
    waits: list[float] = []
    assert claim(db, rate, 1001.0, waits) == [] and waits == [pytest.approx(0.8)]
    first = claim(db, rate, 1001.9)
    assert first and first[0] == pytest.approx(1002.0)


def test_a_worker_that_waited_for_the_lock_gets_no_slot_twice(db) -> None:  # type: ignore[no-untyped-def]
    """Worker B read the clock, then waited while A claimed: B's slots follow A's."""
    rate = Rate.of("twilio", 80, 0.2)
    first = claim(db, rate, 1000.5)
    late = claim(db, rate, 1000.4)  # B's `now`, read before A committed
    later = claim(db, rate, 1000.6)
    assert all(slot > first[-1] for slot in late + later)
    assert (late + later)[0] == pytest.approx(first[-1] + 1 / 80)


def test_a_slow_claim_gets_slots_from_when_it_takes_them(db) -> None:  # type: ignore[no-untyped-def]
    """The claim's query took 150 ms after `available`: its slots start then, not in
    the past (they would all be sent at once), and the next claim follows them."""
    rate = Rate.of("whatsapp", 80, 0.2)
    with Session(db) as session:
        n = ratelimit.available(session, rate, 1000.0)
        slots = ratelimit.take(session, rate, n, 1000.15)
        session.commit()
    assert slots[0] == pytest.approx(1000.15) and len(slots) == n
    assert claim(db, rate, 1000.2)[0] == pytest.approx(slots[-1] + 1 / 80)
