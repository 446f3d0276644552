"""checkpoints carry the Merkle tree: its size and the frontier to extend it from

Revision ID: c0002
Revises: c0001
Create Date: 2026-12-06 20:40:00

A checkpoint made before the tree keeps tree_size 0 and an empty frontier. Tables made by
``create_all`` after issue 12.16 already have both columns and are left as they are.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c0002'
down_revision: str | Sequence[str] | None = 'c0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    present = {c['name'] for c in sa.inspect(op.get_bind()).get_columns(
        'integrity_checkpoints')}
    with op.batch_alter_table('integrity_checkpoints') as batch:
        if 'tree_size' not in present:
            batch.add_column(sa.Column('tree_size', sa.BigInteger(), nullable=False,
                                       server_default='0'))
        if 'frontier' not in present:
            batch.add_column(sa.Column('frontier', sa.Text(), nullable=False,
                                       server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('integrity_checkpoints') as batch:
        batch.drop_column('frontier')
        batch.drop_column('tree_size')
