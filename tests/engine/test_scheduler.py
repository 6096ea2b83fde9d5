"""Periodic jobs: each runs on its interval in its own transaction; one failure stops none."""

from __future__ import annotations

from bot.core.db import make_engine
from bot.core.models import utcnow
from bot.scheduler import Job, Scheduler


def test_jobs_run_on_their_interval_and_failures_are_contained(
    sqlite_url: str, settings_for
) -> None:
    runs: list[str] = []

    def ok(session, now, settings) -> int:  # type: ignore[no-untyped-def]
        runs.append("ok")
        return 1

    def broken(session, now, settings) -> int:  # type: ignore[no-untyped-def]
        runs.append("broken")
        raise RuntimeError("provider down")

    scheduler = Scheduler(
        make_engine(sqlite_url),
        settings_for(sqlite_url),
        [Job("broken", 10, broken), Job("ok", 60, ok)],
    )
    last: dict[str, float] = {}
    scheduler.run_due(utcnow(), last, clock=0)
    scheduler.run_due(utcnow(), last, clock=5)  # neither is due again
    scheduler.run_due(utcnow(), last, clock=11)  # only the 10-second job
    assert runs == ["broken", "ok", "broken"]


def test_default_jobs_include_reminders_and_broadcasts(sqlite_url: str, settings_for) -> None:
    scheduler = Scheduler(make_engine(sqlite_url), settings_for(sqlite_url))
    assert [job.name for job in scheduler.jobs] == [
        "boat reminders", "retention", "guess counters", "staff sessions", "erasures",
        "scheduled broadcasts", "finished broadcasts",
    ]
    scheduler.run_due(utcnow(), {}, clock=0)  # runs against an empty database without error
