"""broadcasts: topics subscriptions with consent proof, broadcasts, outbox priority

The boolean `contact.consent_broadcasts` becomes subscriptions: a contact who had
consented is subscribed to every topic for the whole town, with a consent record that
quotes what the old subscribe dialogue said; then the column is dropped.

Revision ID: 0050_broadcasts
Revises: 0001_core
Create Date: 2026-12-01
"""
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0050_broadcasts"
down_revision = "0001_core"
branch_labels = None
depends_on = None

# The topics of topics.yaml when this migration was written (a migration must not
# change meaning when the city edits its topics later).
MIGRATED_TOPICS = ("warnungen", "verkehr", "veranstaltungen", "abfall")
# What the subscribe dialogue showed before topics existed, per language.
OLD_WORDING = {
    "de": "Sie bekommen ab jetzt Neuigkeiten der Stadt Ahaus hier im Chat. Abbestellen jederzeit mit „abbestellen“.",
    "en": "You will now receive news from the town of Ahaus here in the chat. Unsubscribe any time with “unsubscribe”.",
    "nl": "U ontvangt voortaan nieuws van de stad Ahaus hier in de chat. Afmelden kan altijd met „afmelden“.",
}
NOTE = " [Übernommen aus der früheren Einwilligung für alle Neuigkeiten (consent_broadcasts); Zeitpunkt der ursprünglichen Einwilligung unbekannt.]"

T = sqlmodel.sql.sqltypes


def upgrade() -> None:
    op.create_table(
        "subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("topic", T.AutoString(length=40), nullable=False),
        sa.Column("district", T.AutoString(length=40), nullable=True),
        sa.Column("created_at", T.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contact_id", "topic"),
    )
    op.create_index("ix_subscription_topic_district", "subscription", ["topic", "district"])
    op.create_table(
        "consent_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("channel", T.AutoString(length=20), nullable=False),
        sa.Column("topic", T.AutoString(length=40), nullable=False),
        sa.Column("district", T.AutoString(length=40), nullable=True),
        sa.Column("action", T.AutoString(length=10), nullable=False),
        sa.Column("source", T.AutoString(length=20), nullable=False),
        sa.Column("language", T.AutoString(length=5), nullable=False),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column("created_at", T.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consent_record_contact_id", "consent_record", ["contact_id"])
    op.create_table(
        "broadcast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", T.AutoString(length=12), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("districts", sa.JSON(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("buttons", sa.JSON(), nullable=False),
        sa.Column("image_url", T.AutoString(length=300), nullable=True),
        sa.Column("send_at", T.UTCDateTime(), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("created_by", T.AutoString(length=100), nullable=False),
        sa.Column("idempotency_key", T.AutoString(length=200), nullable=True),
        sa.Column("request_hash", T.AutoString(length=64), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", T.UTCDateTime(), nullable=False),
        sa.Column("started_at", T.UTCDateTime(), nullable=True),
        sa.Column("finished_at", T.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_broadcast_status_send_at", "broadcast", ["status", "send_at"])
    op.create_table(
        "broadcast_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("channel", T.AutoString(length=20), nullable=False),
        sa.Column("language", T.AutoString(length=5), nullable=False),
        sa.Column("withdrawn_at", T.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["broadcast_id"], ["broadcast.id"]),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("broadcast_id", "contact_id"),
    )
    op.create_index(
        "ix_broadcast_recipient_contact_id", "broadcast_recipient", ["contact_id"]
    )
    op.create_table(
        "broadcast_image",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_type", T.AutoString(length=40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", T.AutoString(length=100), nullable=False),
        sa.Column("created_at", T.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.add_column(
        "outbox", sa.Column("priority", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("outbox", sa.Column("broadcast_id", sa.Integer(), nullable=True))
    op.create_index("ix_outbox_broadcast_id_status", "outbox", ["broadcast_id", "status"])
    op.create_index(
        "ix_outbox_open_channel_priority_id",
        "outbox",
        ["channel", "priority", "id"],
        postgresql_where=sa.text("status IN ('pending', 'sending')"),
        sqlite_where=sa.text("status IN ('pending', 'sending')"),
    )
    _migrate_consent()
    op.execute("ALTER TABLE contact DROP COLUMN consent_broadcasts")


def _migrate_consent() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, channel, language FROM contact WHERE consent_broadcasts")
    ).all()
    now = datetime.now(UTC)
    subscriptions, records = [], []
    for contact_id, channel, language in rows:
        lang = language if language in OLD_WORDING else "de"
        for topic in MIGRATED_TOPICS:
            subscriptions.append({"c": contact_id, "t": topic, "now": now})
            records.append({
                "c": contact_id, "ch": channel, "t": topic, "lang": lang,
                "w": OLD_WORDING[lang] + NOTE, "now": now,
            })
    if subscriptions:
        conn.execute(
            sa.text(
                "INSERT INTO subscription (contact_id, topic, district, created_at)"
                " VALUES (:c, :t, NULL, :now)"
            ),
            subscriptions,
        )
        conn.execute(
            sa.text(
                "INSERT INTO consent_record (contact_id, channel, topic, district, action,"
                " source, language, wording, created_at)"
                " VALUES (:c, :ch, :t, NULL, 'subscribe', 'migration', :lang, :w, :now)"
            ),
            records,
        )


def downgrade() -> None:
    op.add_column(
        "contact",
        sa.Column("consent_broadcasts", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        "UPDATE contact SET consent_broadcasts = "
        + ("TRUE" if op.get_bind().dialect.name == "postgresql" else "1")
        + " WHERE id IN (SELECT contact_id FROM subscription)"
    )
    op.drop_index("ix_outbox_open_channel_priority_id", table_name="outbox")
    op.drop_index("ix_outbox_broadcast_id_status", table_name="outbox")
    op.drop_column("outbox", "broadcast_id")
    op.drop_column("outbox", "priority")
    op.drop_table("broadcast_image")
    op.drop_index("ix_broadcast_recipient_contact_id", table_name="broadcast_recipient")
    op.drop_table("broadcast_recipient")
    op.drop_index("ix_broadcast_status_send_at", table_name="broadcast")
    op.drop_table("broadcast")
    op.drop_index("ix_consent_record_contact_id", table_name="consent_record")
    op.drop_table("consent_record")
    op.drop_index("ix_subscription_topic_district", table_name="subscription")
    op.drop_table("subscription")
