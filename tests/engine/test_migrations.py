"""Migrations build the whole schema from empty, on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.core.db import make_engine
from bot.migrate import upgrade
from bot.schema import metadata


def test_upgrade_from_empty_creates_every_table(db_url: str) -> None:
    engine = make_engine(db_url)
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables
    engine.dispose()


def test_models_and_migrations_agree(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diff == [], f"models differ from migrations; write a migration: {diff}"


def test_upgrade_twice_is_harmless(sqlite_url: str) -> None:
    upgrade(sqlite_url)  # already at head: nothing to do, no error
