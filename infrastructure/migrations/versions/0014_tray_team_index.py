"""work tray: the team tray's index covers the holder's organisation (issue 16)

Revision ID: 0014_tray_team
Revises: 0013_partner_requests
Create Date: 2026-12-07 00:30:00

``GET /worktray/team`` counts an authority's cases per holder and lists the cases no one
holds. The index on (authority, assigned_to) left the count to read every row of the
table: PostgreSQL chose a sequential scan of all authorities' cases (182 ms at 100,000
journeys in the authority and 100,000 in others, ``benchmarks/worktray.py --explain``).
With the holder's organisation in the index the count is an index-only scan of the
authority's entries, in group order; the unassigned cases (``assigned_to IS NULL``) still
use its first two columns.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0014_tray_team'
down_revision: str | Sequence[str] | None = '0013_partner_requests'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_rm_tray_case_team', 'rm_tray_case',
                    ['authority', 'assigned_to', 'assigned_organisation'], unique=False)
    op.drop_index('ix_rm_tray_case_authority_holder', table_name='rm_tray_case')


def downgrade() -> None:
    op.create_index('ix_rm_tray_case_authority_holder', 'rm_tray_case',
                    ['authority', 'assigned_to'], unique=False)
    op.drop_index('ix_rm_tray_case_team', table_name='rm_tray_case')
