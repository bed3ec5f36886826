"""portal mock

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 17:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('portal_mock_dossiers',
    sa.Column('ma_ho_so', sa.String(length=100), nullable=False),
    sa.Column('status', sa.SmallInteger(), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('last_idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('ma_ho_so', name=op.f('pk_portal_mock_dossiers'))
    )
    op.create_table('portal_mock_faults',
    sa.Column('id', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('fail_rate', sa.Float(), nullable=False),
    sa.Column('latency_ms', sa.Integer(), nullable=False),
    sa.Column('status', sa.SmallInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('fail_rate >= 0 AND fail_rate <= 1', name=op.f('ck_portal_mock_faults_fail_rate_range')),
    sa.CheckConstraint('id = 1', name=op.f('ck_portal_mock_faults_single_row')),
    sa.CheckConstraint('latency_ms >= 0', name=op.f('ck_portal_mock_faults_latency_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_mock_faults'))
    )
    op.create_table('portal_mock_received',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('status', sa.SmallInteger(), nullable=True),
    sa.Column('is_updating', sa.Boolean(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_mock_received')),
    sa.UniqueConstraint('kind', 'idempotency_key', name=op.f('uq_portal_mock_received_kind_idempotency_key'))
    )
    op.create_index('ix_portal_mock_received_kind_code', 'portal_mock_received', ['kind', 'code', 'id'], unique=False)
    op.create_table('portal_mock_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_portal_mock_sessions'))
    )
    op.create_index(op.f('ix_portal_mock_sessions_expires_at'), 'portal_mock_sessions', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_portal_mock_sessions_expires_at'), table_name='portal_mock_sessions')
    op.drop_table('portal_mock_sessions')
    op.drop_index('ix_portal_mock_received_kind_code', table_name='portal_mock_received')
    op.drop_table('portal_mock_received')
    op.drop_table('portal_mock_faults')
    op.drop_table('portal_mock_dossiers')
