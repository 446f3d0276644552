"""each look names the inspection it was made under (issue 12.2)

Revision ID: a0002
Revises: a0001
Create Date: 2026-12-06 20:55:00

Older rows get NULL: the index is rebuilt from the log, whose older looks have none.
Tables already given the column (by the start-up ALTER TABLE of issue 12.2, before this
revision) are left as they are.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a0002'
down_revision: str | Sequence[str] | None = 'a0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = 'casetrack_access_index'


def upgrade() -> None:
    present = {c['name'] for c in sa.inspect(op.get_bind()).get_columns(TABLE)}
    if 'inspection_id' not in present:
        with op.batch_alter_table(TABLE) as batch:
            batch.add_column(sa.Column('inspection_id', sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_column('inspection_id')
