"""the personal-data vault: one data key (wrapped) and identifiers record per child

Revision ID: v0001
Revises:
Create Date: 2026-12-06 20:40:00

Before this revision the table was made by ``create_all`` when the vault opened; a
database that already has it keeps it, and is only stamped.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'v0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table('casetrack_personal_data'):
        return
    op.create_table(
        'casetrack_personal_data',
        sa.Column('child_id', sa.String(length=36), nullable=False),
        sa.Column('master_key_id', sa.String(length=16), nullable=False),
        sa.Column('wrapped_key', sa.LargeBinary(), nullable=True),
        sa.Column('identifiers', sa.LargeBinary(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('shredded_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('child_id'),
    )


def downgrade() -> None:
    op.drop_table('casetrack_personal_data')
