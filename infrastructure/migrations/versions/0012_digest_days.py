"""digest days: the days the daily digest was sent (issue 16)

Revision ID: 0012_digest
Revises: 0011_outbox
Create Date: 2026-12-07 00:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012_digest'
down_revision: str | Sequence[str] | None = '0011_outbox'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'rm_digest_day',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('started_at', sa.Float(), nullable=False),
        sa.Column('sent', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('day', name=op.f('pk_rm_digest_day')))


def downgrade() -> None:
    op.drop_table('rm_digest_day')
