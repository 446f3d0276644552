"""work tray: each case's holder and its open clock readings (issue 16)

Revision ID: 0010_worktray
Revises: 0009_request_due
Create Date: 2026-12-06 21:40:00

A new projection (``worktray``) with its own tracking row: after the upgrade its runner
starts from position 0 and fills these tables from the whole log by itself.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010_worktray'
down_revision: str | Sequence[str] | None = '0009_request_due'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'rm_tray_case',
        sa.Column('child_id', sa.String(length=36), nullable=False),
        sa.Column('authority', sa.String(length=40), nullable=False),
        sa.Column('assigned_to', sa.String(length=200), nullable=True),
        sa.Column('assigned_organisation', sa.String(length=100), nullable=False),
        sa.Column('case_ref', sa.String(length=60), nullable=True),
        sa.Column('stage', sa.String(length=40), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('child_id', name=op.f('pk_rm_tray_case')))
    op.create_index('ix_rm_tray_case_holder', 'rm_tray_case',
                    ['assigned_organisation', 'assigned_to'], unique=False)
    op.create_index('ix_rm_tray_case_authority_holder', 'rm_tray_case',
                    ['authority', 'assigned_to'], unique=False)
    op.create_table(
        'rm_tray_clock',
        sa.Column('child_id', sa.String(length=36), nullable=False),
        sa.Column('clock', sa.String(length=8), nullable=False),
        sa.Column('episode', sa.String(length=60), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('responsible', sa.String(length=30), nullable=False),
        sa.Column('reading', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('child_id', 'clock', 'episode',
                                name=op.f('pk_rm_tray_clock')))
    op.create_index('ix_rm_tray_clock_child_due', 'rm_tray_clock', ['child_id', 'due_on'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_rm_tray_clock_child_due', table_name='rm_tray_clock')
    op.drop_table('rm_tray_clock')
    op.drop_index('ix_rm_tray_case_authority_holder', table_name='rm_tray_case')
    op.drop_index('ix_rm_tray_case_holder', table_name='rm_tray_case')
    op.drop_table('rm_tray_case')
