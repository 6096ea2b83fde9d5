"""Apply the Alembic migrations, from `stadtbot db upgrade` and at `serve` start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at the project's migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))  # configparser
    return config


def upgrade(database_url: str) -> None:
    """Bring the schema to the newest revision of every branch (idempotent)."""
    command.upgrade(alembic_config(database_url), "heads")
