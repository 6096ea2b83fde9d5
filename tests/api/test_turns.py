"""The chat's turn runner: one thread of its own on SQLite, the caller's context kept."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from types import SimpleNamespace

from api.turns import TurnRunner

marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="")


def _runner(dialect: str, assistant: object | None = None) -> TurnRunner:
    engine = SimpleNamespace(db=SimpleNamespace(dialect=SimpleNamespace(name=dialect)),
                             assistant=assistant)
    return TurnRunner(engine)  # type: ignore[arg-type]


def _where() -> tuple[str, str]:
    return threading.current_thread().name, marker.get()


async def _run_all(runner: TurnRunner, count: int) -> list[tuple[str, str]]:
    marker.set("request-7")
    return await asyncio.gather(*(runner.run(_where) for _ in range(count)))


def test_sqlite_turns_run_on_one_thread_with_the_callers_context() -> None:
    runner = _runner("sqlite")
    try:
        seen = asyncio.run(_run_all(runner, 20))
    finally:
        runner.close()
    assert {name for name, _ in seen} == {"chat-turns_0"}
    assert {value for _, value in seen} == {"request-7"}


def test_postgres_and_a_language_model_keep_the_threadpool() -> None:
    for runner in (_runner("postgresql"), _runner("sqlite", assistant=object())):
        seen = asyncio.run(_run_all(runner, 4))
        assert not any(name.startswith("chat-turns") for name, _ in seen)
        assert {value for _, value in seen} == {"request-7"}
        runner.close()
