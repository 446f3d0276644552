"""the access log's index: one row per look, indexed by child, reader and time

Revision ID: a0001
Revises:
Create Date: 2026-12-06 20:40:00

Before this revision the table was made by ``create_all`` when the index opened; a
database that already has it keeps it, and is only stamped.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = 'casetrack_access_index'


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table(TABLE):
        return
    op.create_table(
        TABLE,
        sa.Column('position', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('child_id', sa.String(length=36), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('user_id', sa.Text(), nullable=False),
        sa.Column('role', sa.Text(), nullable=False),
        sa.Column('organisation', sa.Text(), nullable=False),
        sa.Column('purpose', sa.Text(), nullable=True),
        sa.Column('request_id', sa.Text(), nullable=True),
        sa.Column('route', sa.Text(), nullable=True),
        sa.Column('at_us', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('position'),
    )
    op.create_index('ix_casetrack_access_index_child', TABLE, ['child_id', 'position'])
    op.create_index('ix_casetrack_access_index_user', TABLE, ['user_id', 'position'])
    op.create_index('ix_casetrack_access_index_at', TABLE, ['at_us', 'position'])


def downgrade() -> None:
    op.drop_table(TABLE)
