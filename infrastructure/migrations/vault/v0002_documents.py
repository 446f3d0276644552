"""documents attached to journey events: content-addressed per child, sealed (issue 16)

Revision ID: v0002
Revises: v0001
Create Date: 2026-12-06 23:20:00

One row per child and SHA-256 of the clear bytes; the bytes sealed with a key derived
from the child's key, so erasing the key erases the documents (the erasure deletes the
rows too).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'v0002'
down_revision: str | Sequence[str] | None = 'v0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table('casetrack_personal_data_documents'):
        return  # made by ``create_all`` before this revision: adopted as it is
    op.create_table(
        'casetrack_personal_data_documents',
        sa.Column('child_id', sa.String(length=36), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('media_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sealed', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('child_id', 'sha256'),
    )


def downgrade() -> None:
    op.drop_table('casetrack_personal_data_documents')
