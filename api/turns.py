"""Where the web chat's turns run: off the event loop, on SQLite on one thread of their own.

A turn blocks (one database transaction), so it cannot run on the event loop. On
SQLite every turn takes the process's one write lock (`bot.core.db`): in the
threadpool, sixteen requests in flight are sixteen threads queueing for that lock, and
every hand-over (the lock waking the next waiter, the pool's queue waking a worker)
costs CPU the turns themselves do not need (measured in BENCHMARKS.md, issue 16). One
dedicated thread runs them one after another in arrival order instead, which is the
order the lock would have granted anyway; each turn is still its own transaction.

Turns stay in the threadpool where a wait inside them is not the write lock: on
PostgreSQL (turns of different conversations run in parallel) and with a language
model configured (a turn may wait seconds for it, and one thread would make every
other citizen wait too).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from fastapi.concurrency import run_in_threadpool

from bot.engine import Engine

P = ParamSpec("P")
T = TypeVar("T")


class TurnRunner:
    """Runs a blocking chat turn and awaits it; one per app (`app.state.turns`)."""

    def __init__(self, engine: Engine) -> None:
        single = engine.db.dialect.name == "sqlite" and engine.assistant is None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="chat-turns") if single else None

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(*args, **kwargs)` in the turns' thread (or the threadpool), with the
        caller's context variables (the request id of the log lines)."""
        if self._thread is None:
            return await run_in_threadpool(fn, *args, **kwargs)
        call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._thread, call)

    def close(self) -> None:
        """Finish the turns already handed over, then stop the thread (app shutdown)."""
        if self._thread is not None:
            self._thread.shutdown(wait=True)
