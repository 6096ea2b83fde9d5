"""privacy: data exports and erasure requests

Revision ID: 0090_privacy
Revises: 0001_core
Create Date: 2026-12-01 22:25:04
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0090_privacy'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('privacy_export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('downloaded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_index(op.f('ix_privacy_export_contact_id'), 'privacy_export', ['contact_id'], unique=False)
    op.create_table('privacy_erasure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('approved_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('done_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_privacy_erasure_contact_id'), 'privacy_erasure', ['contact_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_privacy_erasure_contact_id'), table_name='privacy_erasure')
    op.drop_table('privacy_erasure')
    op.drop_index(op.f('ix_privacy_export_contact_id'), table_name='privacy_export')
    op.drop_table('privacy_export')
