"""rasa: writing action calls of the Rasa action server, for idempotent retries

Revision ID: 0070_rasa
Revises: 0001_core
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0070_rasa"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rasa_action_call",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(
        "ix_rasa_action_call_contact_id", "rasa_action_call", ["contact_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_rasa_action_call_contact_id", table_name="rasa_action_call")
    op.drop_table("rasa_action_call")
