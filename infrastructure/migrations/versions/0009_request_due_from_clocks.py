"""cohort requests: K1 and K4 due dates as the domain's clocks give them (issue 11)

Revision ID: 0009_request_due
Revises: 0008_assignment
Create Date: 2026-12-06 20:30:00

The read model no longer adds 6 and 20 weeks to the request date itself: it stores the
due date of the K1 and K4 readings, which is none where no time limit applies (a request
withdrawn by its due date; K4 after a decision not to assess or not to issue). Existing
rows keep their dates until ``casetrack projections rebuild`` (or the journey's next
event) rewrites them.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009_request_due'
down_revision: str | Sequence[str] | None = '0008_assignment'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rm_request') as batch:
        batch.alter_column('k1_due_on', existing_type=sa.Date(), nullable=True)
        batch.alter_column('k4_due_on', existing_type=sa.Date(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('rm_request') as batch:
        batch.alter_column('k1_due_on', existing_type=sa.Date(), nullable=False)
        batch.alter_column('k4_due_on', existing_type=sa.Date(), nullable=False)
