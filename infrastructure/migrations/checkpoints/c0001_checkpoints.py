"""signed checkpoints over the notification log, and their leaves

Revision ID: c0001
Revises:
Create Date: 2026-12-06 20:40:00

The tables as they were before the Merkle tree (issue 12.16). Before this revision they
were made by ``create_all`` when the checkpoint store opened; a database that already has
them keeps them, and is only stamped.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    present = sa.inspect(op.get_bind())
    if not present.has_table('integrity_checkpoints'):
        op.create_table(
            'integrity_checkpoints',
            sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
            sa.Column('position', sa.BigInteger(), nullable=False),
            sa.Column('root', sa.String(length=64), nullable=False),
            sa.Column('created_at', sa.String(length=40), nullable=False),
            sa.Column('key_id', sa.String(length=32), nullable=False),
            sa.Column('previous', sa.String(length=64), nullable=False),
            sa.Column('signature', sa.String(length=120), nullable=False),
            sa.PrimaryKeyConstraint('seq'),
        )
    if not present.has_table('integrity_leaves'):
        op.create_table(
            'integrity_leaves',
            sa.Column('position', sa.BigInteger(), autoincrement=False, nullable=False),
            sa.Column('originator_id', sa.String(length=64), nullable=False),
            sa.Column('version', sa.BigInteger(), nullable=False),
            sa.Column('digest', sa.String(length=80), nullable=False),
            sa.PrimaryKeyConstraint('position'),
        )
        op.create_index('ix_integrity_leaves_originator_id', 'integrity_leaves',
                        ['originator_id'])


def downgrade() -> None:
    op.drop_table('integrity_leaves')
    op.drop_table('integrity_checkpoints')
