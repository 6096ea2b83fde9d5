"""Database engine and transactions, the same code on SQLite and PostgreSQL.

SQLite gets WAL, foreign keys and a busy timeout, and every write transaction starts
with `BEGIN IMMEDIATE` so two writers queue instead of failing half-way; within one
process they queue on a lock first (see `_WRITE_LOCKS`). PostgreSQL
(psycopg 3) is chosen by a `postgresql://` URL.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session, create_engine

from bot.core.settings import get_settings

# The largest id or integer a column holds on both databases (BIGINT, SQLite INTEGER):
# a bigger number from outside is refused before it reaches a query.
MAX_DB_INT = 2**63 - 1
# Row ids are INTEGER on PostgreSQL (32 bits): an id from outside past this matches no row
# and must not reach a query, where PostgreSQL refuses it as out of range.
MAX_ID = 2**31 - 1


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain `postgresql://` URLs (SQLAlchemy would pick psycopg2)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str) -> Engine:
    """Create an engine for `url` with the per-dialect settings Stadtbot relies on."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # No pre-ping: a file does not drop connections, and the ping is a statement
        # per transaction.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_size=10, max_overflow=20)
    _ping_when_idle(engine)
    return engine


# A pooled PostgreSQL connection idle this long is pinged before use (see `_ping_when_idle`).
PING_AFTER_IDLE_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """Pre-ping only connections that sat idle in the pool, not every checkout.

    SQLAlchemy's `pool_pre_ping` costs a round trip (and two autocommit switches) per
    transaction, about a tenth of a citizen's turn on PostgreSQL. Connections are
    dropped while idle (a server restart at night, a firewall's idle timeout), so only
    those are pinged; a dead one is replaced by the pool (`DisconnectionError`). A
    connection that dies while in constant use fails its transaction, which rolls back
    whole, and SQLAlchemy then renews every older connection of the pool."""

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_conn, record) -> None:  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _on_checkout(dbapi_conn, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("idle connection is gone") from exc


# One write lock per SQLite file and process: threads of one process queue here, in
# order, instead of in SQLite's busy handler, which sleeps 1, 2, 5 … 100 ms between
# tries and so turns a 1 ms wait into tens of milliseconds under load. Other
# processes on the same file still meet the busy timeout.
_WRITE_LOCKS: dict[str, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()
_LOCK_KEY = "stadtbot_write_lock"


def _write_lock(database: str) -> threading.Lock:
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(database, threading.Lock())


def _configure_sqlite(engine: Engine) -> None:
    lock = _write_lock(os.path.abspath(engine.url.database or ":memory:"))
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        # Bounded wait: should a release ever be missed, fall back to SQLite's own.
        if lock.acquire(timeout=30):
            conn.info[_LOCK_KEY] = lock
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(conn)
            raise

    # These events fire *before* SQLAlchemy's COMMIT / ROLLBACK. Releasing the lock
    # there let the next writer's BEGIN IMMEDIATE find the database still locked and
    # sleep in SQLite's busy handler (1 ms and up) while holding our lock, so end the
    # transaction on the driver connection first (SQLAlchemy's own COMMIT / ROLLBACK
    # that follows is then a no-op: sqlite3 skips it outside a transaction).
    @event.listens_for(engine, "commit")
    def _on_commit(conn) -> None:  # type: ignore[no-untyped-def]
        try:
            if conn.info.get(_LOCK_KEY) is not None:
                conn.connection.dbapi_connection.commit()
        finally:
            _release(conn)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn) -> None:  # type: ignore[no-untyped-def]
        try:
            if conn.info.get(_LOCK_KEY) is not None:
                conn.connection.dbapi_connection.rollback()
        finally:
            _release(conn)


def _release(conn) -> None:  # type: ignore[no-untyped-def]
    held = conn.info.pop(_LOCK_KEY, None)
    if held is not None:
        held.release()


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for the configured DATABASE_URL."""
    return make_engine(get_settings().database_url)


@contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Session]:
    """A session whose work commits together at the end, or not at all."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def insert_ignore(
    session: Session, target: Any, values: dict[str, Any], *, conflict: tuple[str, ...] = ()
) -> None:
    """INSERT … ON CONFLICT DO NOTHING, the same on SQLite and PostgreSQL.

    For rows that two writers may both create first (a new sender's contact, a year's
    case counter, a rate bucket, a callback key): the loser's insert does nothing and
    both read the winner's row afterwards. `target` is a table or a table model;
    `conflict` names the unique columns when the table has several unique keys.
    """
    table: Table = getattr(target, "__table__", target)
    dialect = session.get_bind().dialect.name
    key = (dialect, table.fullname, conflict)
    statement = _INSERT_IGNORE.get(key)
    if statement is None:
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(table).on_conflict_do_nothing(index_elements=list(conflict) or None)
        _INSERT_IGNORE[key] = statement
    session.execute(statement, values)


# Built once per dialect and table: statement construction costs more than its execution.
_INSERT_IGNORE: dict[tuple[str, str, tuple[str, ...]], Insert] = {}
