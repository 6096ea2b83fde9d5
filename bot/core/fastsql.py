"""Hand-written SQL on the transaction's own driver connection, for the hot path.

Running a prebuilt Core statement through SQLAlchemy costs about 100 µs of Python
(compiled-cache lookup, bind processors, result set-up); the sqlite3 or psycopg call
itself about 25 µs. The few statements every inbound message runs (the lock query, the
transcript lines, the outbox rows, the turn's state: `bot.persistence`,
`bot.core.outbox.enqueue`) therefore go straight to the driver, inside the Session's
transaction, with the conversions SQLAlchemy applies to these columns: JSON as text on
SQLite and as psycopg's `Json` on PostgreSQL, timestamps as SQLAlchemy's SQLite text
(naive UTC, microseconds) or as datetime objects on PostgreSQL. Everything else keeps
using the ORM and Core, in the same transaction.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from sqlmodel import Session

_PARAM = re.compile(r"(?<!:):(\w+)")


class Sql:
    """One statement written once with `:name` parameters, kept in both dialects' styles.

    `returning_id`: an INSERT whose new id is wanted (RETURNING on PostgreSQL, the
    cursor's lastrowid on SQLite); `postgres_suffix`: a clause only PostgreSQL gets
    (`FOR UPDATE`, where SQLite's BEGIN IMMEDIATE already serialises writers)."""

    __slots__ = ("postgresql", "sqlite")

    def __init__(self, text: str, *, returning_id: bool = False, postgres_suffix: str = ""):
        self.sqlite = text
        self.postgresql = (
            _PARAM.sub(r"%(\1)s", text)
            + (" RETURNING id" if returning_id else "")
            + (f" {postgres_suffix}" if postgres_suffix else "")
        )


class Driver:
    """The session's driver connection (its transaction begins here if it had not) and
    the conversions of its dialect."""

    __slots__ = ("cursor", "postgres")

    def __init__(self, session: Session) -> None:
        connection = session.connection()
        self.postgres = connection.dialect.name == "postgresql"
        self.cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]

    def execute(self, sql: Sql, params: dict[str, Any]) -> Any:
        """Run `sql`; returns the cursor (fetchone/fetchall/rowcount)."""
        self.cursor.execute(sql.postgresql if self.postgres else sql.sqlite, params)
        return self.cursor

    def insert(self, sql: Sql, params: dict[str, Any]) -> int:
        """Run an INSERT built with `returning_id=True` and return the new row's id."""
        if self.postgres:
            self.cursor.execute(sql.postgresql, params)
            row = self.cursor.fetchone()
            assert row is not None, "INSERT … RETURNING id returns a row"
            return int(row[0])
        self.cursor.execute(sql.sqlite, params)
        return int(self.cursor.lastrowid)

    def json(self, value: Any) -> Any:
        """A JSON column's parameter."""
        if self.postgres:
            return _pg_json(value)
        return json.dumps(value)

    def time(self, value: datetime | None) -> Any:
        """A DateTime column's parameter (UTC-aware datetimes, as `utcnow()` gives)."""
        if value is None or self.postgres:
            return value
        return _SQLITE_TIME % (
            value.year, value.month, value.day,
            value.hour, value.minute, value.second, value.microsecond,
        )

    def read_json(self, value: Any) -> Any:
        """A JSON column's value as read (psycopg parses JSON itself)."""
        return value if self.postgres or value is None else json.loads(value)


# SQLAlchemy's storage format for DateTime on SQLite (sqlalchemy.dialects.sqlite.DATETIME).
_SQLITE_TIME = "%04d-%02d-%02d %02d:%02d:%02d.%06d"


def _pg_json(value: Any) -> Any:
    from psycopg.types.json import Json

    return Json(value)
