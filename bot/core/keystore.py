"""Installation secrets generated on first start and kept in the database.

Why: a fixed default `SECRET_KEY` lets anyone who read the source sign what the key
protects. When the setting is empty, the first process to start stores a random key
(`INSERT … ON CONFLICT DO NOTHING`, so two processes starting at once agree) and every
process and every restart reads the same one back.
"""

from __future__ import annotations

import secrets

from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel

from bot.core.db import insert_ignore, transaction


class InstallationSecret(SQLModel, table=True):
    """One named random secret of this installation."""

    __tablename__ = "installation_secret"

    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)


def stored_secret(db: Engine, name: str) -> str:
    """The secret `name`, created on first use."""
    with transaction(db) as session:
        insert_ignore(session, InstallationSecret, {"name": name, "value": secrets.token_hex(32)})
        row = session.get(InstallationSecret, name)
        assert row is not None  # inserted above or by the process that won
        return row.value
