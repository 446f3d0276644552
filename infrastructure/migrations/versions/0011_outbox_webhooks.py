"""outbox and webhooks: messages from the clocks, subscriptions, deliveries (issue 16)

Revision ID: 0011_outbox
Revises: 0010_worktray
Create Date: 2026-12-06 23:30:00

A new projection (``outbox``) with its own tracking row: after the upgrade its runner
starts from position 0 and writes the messages of the whole log (each once); a
subscription made later is sent only the messages newer than itself. The subscription
and delivery tables are not derived from the log: a rebuild leaves them alone.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011_outbox'
down_revision: str | Sequence[str] | None = '0010_worktray'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'rm_outbox_message',
        sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('message_id', sa.String(length=36), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('authority', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('child_id', sa.String(length=36), nullable=False),
        sa.Column('produced_at', sa.Float(), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_rm_outbox_message')),
        sa.UniqueConstraint('message_id', name=op.f('uq_rm_outbox_message_message_id')))
    op.create_index('ix_rm_outbox_message_authority_seq', 'rm_outbox_message',
                    ['authority', 'seq'], unique=False)
    op.create_table(
        'rm_webhook_subscription',
        sa.Column('subscription_id', sa.String(length=36), nullable=False),
        sa.Column('authority', sa.String(length=40), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('kinds', sa.JSON(), nullable=False),
        sa.Column('sealed_secret', sa.LargeBinary(), nullable=False),
        sa.Column('master_key_id', sa.String(length=16), nullable=False),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('after_seq', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('subscription_id', name=op.f('pk_rm_webhook_subscription')))
    op.create_index(op.f('ix_rm_webhook_subscription_authority'), 'rm_webhook_subscription',
                    ['authority'], unique=False)
    op.create_table(
        'rm_webhook_delivery',
        sa.Column('delivery_id', sa.String(length=36), nullable=False),
        sa.Column('subscription_id', sa.String(length=36), nullable=False),
        sa.Column('message_seq', sa.Integer(), nullable=False),
        sa.Column('authority', sa.String(length=40), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claim', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.Float(), nullable=False),
        sa.Column('last_attempt_at', sa.Float(), nullable=True),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('delivered_at', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('delivery_id', name=op.f('pk_rm_webhook_delivery')),
        sa.UniqueConstraint('subscription_id', 'message_seq',
                            name=op.f('uq_rm_webhook_delivery_subscription_id')))
    op.create_index('ix_rm_webhook_delivery_due', 'rm_webhook_delivery',
                    ['status', 'next_attempt_at'], unique=False)
    op.create_index('ix_rm_webhook_delivery_authority_status', 'rm_webhook_delivery',
                    ['authority', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_rm_webhook_delivery_authority_status', table_name='rm_webhook_delivery')
    op.drop_index('ix_rm_webhook_delivery_due', table_name='rm_webhook_delivery')
    op.drop_table('rm_webhook_delivery')
    op.drop_index(op.f('ix_rm_webhook_subscription_authority'),
                  table_name='rm_webhook_subscription')
    op.drop_table('rm_webhook_subscription')
    op.drop_index('ix_rm_outbox_message_authority_seq', table_name='rm_outbox_message')
    op.drop_table('rm_outbox_message')
