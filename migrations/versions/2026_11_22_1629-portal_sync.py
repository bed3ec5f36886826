"""portal sync

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 16:29:41.419737
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inbound_events',
    sa.Column('webhook_id', sa.String(length=128), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('result', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('webhook_id', name=op.f('pk_inbound_events'))
    )
    op.create_table('portal_attempts',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('item_id', sa.BigInteger(), nullable=True),
    sa.Column('subject', sa.String(length=96), nullable=False),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_attempts'))
    )
    op.create_index(op.f('ix_portal_attempts_item_id'), 'portal_attempts', ['item_id'], unique=False)
    op.create_index(op.f('ix_portal_attempts_request_id'), 'portal_attempts', ['request_id'], unique=False)
    op.create_table('portal_summaries',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('agency_code', sa.String(length=35), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'failed', name='delivery_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_summaries')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_portal_summaries_idempotency_key'))
    )
    op.create_index(op.f('ix_portal_summaries_agency_code'), 'portal_summaries', ['agency_code'], unique=False)
    op.create_index('ix_portal_summaries_due', 'portal_summaries', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_table('portal_sync_items',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('idempotency_key', sa.String(length=96), nullable=False),
    sa.Column('dossier_id', sa.BigInteger(), nullable=False),
    sa.Column('dossier_code', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('outbox_event_id', sa.BigInteger(), nullable=False),
    sa.Column('record', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sent', 'failed', name='delivery_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('is_update', sa.Boolean(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_portal_sync_items_dossier_id_dossiers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_sync_items')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_portal_sync_items_idempotency_key'))
    )
    op.create_index('ix_portal_sync_items_dossier_version', 'portal_sync_items', ['dossier_id', 'version'], unique=False)
    op.create_index('ix_portal_sync_items_due', 'portal_sync_items', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_index('ix_portal_sync_items_pending_id', 'portal_sync_items', ['id'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.add_column('dossiers', sa.Column('portal_ref', sa.String(length=64), nullable=True))
    op.create_unique_constraint(op.f('uq_dossiers_portal_ref'), 'dossiers', ['portal_ref'])


def downgrade() -> None:
    op.drop_constraint(op.f('uq_dossiers_portal_ref'), 'dossiers', type_='unique')
    op.drop_column('dossiers', 'portal_ref')
    op.drop_index('ix_portal_sync_items_pending_id', table_name='portal_sync_items', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index('ix_portal_sync_items_due', table_name='portal_sync_items', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index('ix_portal_sync_items_dossier_version', table_name='portal_sync_items')
    op.drop_table('portal_sync_items')
    op.drop_index('ix_portal_summaries_due', table_name='portal_summaries', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index(op.f('ix_portal_summaries_agency_code'), table_name='portal_summaries')
    op.drop_table('portal_summaries')
    op.drop_index(op.f('ix_portal_attempts_request_id'), table_name='portal_attempts')
    op.drop_index(op.f('ix_portal_attempts_item_id'), table_name='portal_attempts')
    op.drop_table('portal_attempts')
    op.drop_table('inbound_events')
