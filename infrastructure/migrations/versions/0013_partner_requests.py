"""partner requests: every request addressed to a partner organisation (issue 16)

Revision ID: 0013_partner_requests
Revises: 0012_digest
Create Date: 2026-12-06 23:40:00

A new projection (``partner_requests``) with its own tracking row: after the upgrade its
runner starts from position 0 and fills the table from the whole log by itself.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013_partner_requests'
down_revision: str | Sequence[str] | None = '0012_digest'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'rm_partner_request',
        sa.Column('child_id', sa.String(length=36), nullable=False),
        sa.Column('request_id', sa.String(length=60), nullable=False),
        sa.Column('organisation', sa.String(length=200), nullable=False),
        sa.Column('authority', sa.String(length=40), nullable=False),
        sa.Column('case_ref', sa.String(length=60), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('advice_type', sa.String(length=40), nullable=True),
        sa.Column('requested_on', sa.Date(), nullable=False),
        sa.Column('answered_on', sa.Date(), nullable=True),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('reading', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('child_id', 'request_id',
                                name=op.f('pk_rm_partner_request')))
    op.create_index('ix_rm_partner_request_organisation', 'rm_partner_request',
                    ['organisation', 'answered_on'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_rm_partner_request_organisation', table_name='rm_partner_request')
    op.drop_table('rm_partner_request')
