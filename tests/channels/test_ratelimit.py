"""The channels' token bucket: a small burst, and the wait until the next token."""

from __future__ import annotations

from sqlmodel import Session, SQLModel, create_engine

from bot import ratelimit
from bot.channels.models import RateBucket
from bot.ratelimit import Rate


def test_the_burst_is_a_fraction_of_a_second_but_at_least_one_message() -> None:
    assert Rate.of("whatsapp", 80, 0.05).burst == 4.0
    assert Rate.of("telegram", 30, 0.05).burst == 1.5
    assert Rate.of("telegram", 30, 0.01).burst == 1.0
    assert Rate.of("telegram", 30, 1.0).burst == 30.0


def test_no_one_second_window_sees_more_than_rate_plus_burst() -> None:
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine, tables=[RateBucket.__table__])  # type: ignore[attr-defined]
    rate = Rate.of("whatsapp", 80, 0.05)
    sent: list[float] = []
    now = 1000.0
    while now < 1010.0:  # claim every 10 ms for ten seconds, as a saturated dispatcher
        with Session(engine) as session:
            n = ratelimit.available(session, rate, now)
            ratelimit.take(session, rate, n, now)
            if n == 0:
                assert 0 < ratelimit.next_token_in(session, rate, now) <= 1 / 80
            session.commit()
        sent += [now] * n
        now += 0.01
    busiest = max(sum(1 for t in sent if start <= t < start + 1.0) for start in sent)
    assert busiest <= 80 + 4
    assert len(sent) >= 80 * 10 - 1
