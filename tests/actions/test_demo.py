"""Demo data loads once and only once; the migration matches the action models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func
from sqlmodel import select

from actions import models
from actions.demo import load_demo
from actions.models import Boat, Merchant, Voucher, VoucherTransaction
from bot.core.db import transaction
from bot.schema import metadata

ACTION_TABLES = {
    t.__tablename__
    for t in vars(models).values()
    if isinstance(t, type) and issubclass(t, models.SQLModel) and hasattr(t, "__table__")
}


def _count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_demo_load_is_idempotent(engine, now):
    with transaction(engine) as session:
        first = load_demo(session, now=now)
    with transaction(engine) as session:
        second = load_demo(session, now=now)
    assert first == {"boats": 8, "merchants": 200, "vouchers": 10}
    assert second == {"boats": 0, "merchants": 0, "vouchers": 0}
    with transaction(engine) as session:
        assert _count(session, Boat) == 8
        assert _count(session, Merchant) == 200
        assert _count(session, Voucher) == 10
        assert _count(session, VoucherTransaction) == 10  # one "issue" row each
        types = session.exec(select(Boat.type)).all()
        assert sorted(types).count("Ruderboot") == 3 and types.count("Tretboot") == 4
        cafe = session.exec(select(Merchant).where(Merchant.name == "Eiscafé am Schloss")).one()
        assert cafe.category == "cafe"
        tokens = session.exec(select(Merchant.merchant_token)).all()
        assert len(set(tokens)) == 200 and min(len(t) for t in tokens) >= 32


def test_migration_matches_models(engine):
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)

    def table_of(diff) -> str | None:
        """The table a diff entry is about, whatever shape alembic gave it."""
        for part in diff if isinstance(diff, list) else [diff]:
            for item in part[1:]:
                if isinstance(item, str) and item in ACTION_TABLES:
                    return item
                table = getattr(item, "table", item)
                if getattr(table, "name", None) in ACTION_TABLES:
                    return table.name
        return None

    mine = [d for d in diffs if table_of(d) in ACTION_TABLES]
    assert mine == [], f"models and migrations/versions/0003_actions.py differ: {mine}"
