"""PostgreSQL connections are pinged only after sitting idle (bot.core.db._ping_when_idle):
a connection the server dropped meanwhile is replaced, not handed to a turn."""

from __future__ import annotations

from sqlalchemy import text

from bot.core import db


def test_idle_connection_dropped_by_the_server_is_replaced(pg_url: str) -> None:
    engine = db.make_engine(pg_url)
    try:
        with engine.connect() as conn:
            first_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        other = db.make_engine(pg_url)  # not from the pool: the pooled one stays idle
        with other.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})
        other.dispose()
        # Pretend the pooled connection has been idle for longer than the limit.
        for record in list(engine.pool._pool.queue):  # type: ignore[attr-defined]
            record.info["idle_since"] -= db.PING_AFTER_IDLE_SECONDS + 1
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        assert pid != first_pid
    finally:
        engine.dispose()


def test_busy_connection_is_not_pinged(pg_url: str) -> None:
    engine = db.make_engine(pg_url)
    statements: list[str] = []
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dialect.do_ping = lambda c: statements.append("ping") or True  # type: ignore[method-assign]
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        assert statements == []
    finally:
        engine.dispose()
