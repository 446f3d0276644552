"""case summary: who holds the case (assigned_to), from CaseAssigned (issue 6)

Revision ID: 0008_assignment
Revises: 0007_cohort
Create Date: 2026-11-23 14:50:00

Existing rows get NULL; ``casetrack projections rebuild`` (or the next event of each
journey) fills it in from the journeys' CaseAssigned events.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008_assignment'
down_revision: str | Sequence[str] | None = '0007_cohort'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rm_case_summary') as batch:
        batch.add_column(sa.Column('assigned_to', sa.String(length=200), nullable=True))
        batch.create_index('ix_rm_case_summary_authority_assigned_to',
                           ['authority', 'assigned_to'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rm_case_summary') as batch:
        batch.drop_index('ix_rm_case_summary_authority_assigned_to')
        batch.drop_column('assigned_to')
