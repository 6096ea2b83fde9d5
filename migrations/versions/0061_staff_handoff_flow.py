"""staff handoff: the flow (with slots) open when the bot handed over; index for live updates

Revision ID: 0061_staff_handoff_flow
Revises: 0060_staff_inbox
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0061_staff_handoff_flow'
down_revision = '0060_staff_inbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_handoff', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('flow', sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.create_index('ix_staff_handoff_updated_at', ['updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('staff_handoff', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_handoff_updated_at')
        batch_op.drop_column('flow')
