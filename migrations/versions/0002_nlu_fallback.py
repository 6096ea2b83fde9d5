"""nlu fallback table

Revision ID: 0002_nlu_fallback
Revises: 0001_core
Create Date: 2026-11-21
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0002_nlu_fallback'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('nlu_fallback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
    sa.Column('ranking', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('nlu_fallback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nlu_fallback_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nlu_fallback_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('nlu_fallback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nlu_fallback_created_at'))
        batch_op.drop_index(batch_op.f('ix_nlu_fallback_contact_id'))
    op.drop_table('nlu_fallback')
