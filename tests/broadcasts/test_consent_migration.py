"""The old boolean `contact.consent_broadcasts` becomes subscriptions with their proof."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from bot.core.db import make_engine
from bot.core.subscriptions import ConsentRecord, Subscription
from bot.migrate import alembic_config, upgrade


def test_consenting_contacts_get_every_topic_and_a_consent_record(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0001_core")
    db = make_engine(url)
    with db.begin() as conn:
        conn.execute(text(
            "INSERT INTO contact (channel, channel_user_id, language, language_locked,"
            " consent_broadcasts, created_at) VALUES"
            " ('telegram', '1', 'nl', 0, 1, '2026-01-01 00:00:00'),"
            " ('twilio', '+491', NULL, 0, 0, '2026-01-01 00:00:00')"
        ))
    upgrade(url)
    assert "consent_broadcasts" not in {c["name"] for c in inspect(db).get_columns("contact")}
    with Session(db) as session:
        subs = session.exec(select(Subscription)).all()
        records = session.exec(select(ConsentRecord)).all()
    db.dispose()
    assert sorted(s.topic for s in subs) == ["abfall", "veranstaltungen", "verkehr", "warnungen"]
    assert {s.contact_id for s in subs} == {1} and {s.district for s in subs} == {None}
    assert len(records) == 4
    assert {(r.channel, r.action, r.source, r.language) for r in records} == {
        ("telegram", "subscribe", "migration", "nl")
    }
    assert records[0].wording.startswith("U ontvangt voortaan nieuws van de stad Ahaus")
