"""Periodic jobs (reminders, retention, broadcasts) run by `stadtbot worker` and, on SQLite,
by `serve`.

Each job runs in its own transaction and must be idempotent and safe to run in
several processes at once (reminders lock their rows with SKIP LOCKED and mark them
sent), so any number of workers can run the scheduler.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine as DbEngine
from sqlmodel import Session

from bot.broadcasts.sending import finish_sent, start_due
from bot.core.db import transaction
from bot.core.models import utcnow
from bot.core.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[Session, datetime, Settings], int]


def default_jobs() -> list[Job]:
    """The city's periodic jobs."""
    from actions.reminders import enqueue_due_reminders
    from bot.core.throttle import prune
    from bot.privacy_jobs import carry_out_erasures
    from bot.retention import delete_expired
    from bot.staff_credentials import prune_sessions

    return [
        Job("boat reminders", 60.0, enqueue_due_reminders),
        Job("retention", 600.0, delete_expired),
        Job("guess counters", 600.0, prune),
        Job("staff sessions", 600.0, prune_sessions),
        Job("erasures", 30.0, carry_out_erasures),
        # Every second: the loop ticks each second, so a broadcast starts on time ± 2 s.
        Job("scheduled broadcasts", 1.0, start_due),
        Job("finished broadcasts", 2.0, finish_sent),
    ]


class Scheduler:
    """A daemon thread that runs each job every `every_seconds`, until stopped."""

    def __init__(self, db: DbEngine, settings: Settings, jobs: list[Job] | None = None) -> None:
        self.db = db
        self.settings = settings
        self.jobs = jobs if jobs is not None else default_jobs()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self, now: datetime, last_run: dict[str, float], clock: float) -> None:
        """Run every job whose interval has passed since its last run."""
        for job in self.jobs:
            if clock - last_run.get(job.name, float("-inf")) < job.every_seconds:
                continue
            last_run[job.name] = clock
            try:
                with transaction(self.db) as session:
                    count = job.run(session, now.astimezone(self.settings.tz), self.settings)
                if count:
                    log.info("%s: %d", job.name, count)
            except Exception:  # one failing job must not stop the others or the process
                log.exception("periodic job %r failed", job.name)

    def start(self) -> threading.Thread:
        import time

        def loop() -> None:
            last_run: dict[str, float] = {}
            while not self._stop.is_set():
                self.run_due(utcnow(), last_run, time.monotonic())
                self._stop.wait(1.0)

        self._thread = threading.Thread(target=loop, name="stadtbot-scheduler", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
