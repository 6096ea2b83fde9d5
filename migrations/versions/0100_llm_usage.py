"""llm usage: the optional language model's tokens per month (its budget)

Revision ID: 0100_llm_usage
Revises: 0001_core
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0100_llm_usage'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('llm_usage',
    sa.Column('month', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('tokens', sa.Integer(), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month')
    )


def downgrade() -> None:
    op.drop_table('llm_usage')
