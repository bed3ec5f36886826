"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 15:45:18.131850
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Trigram indexes make diacritic-insensitive name search fast (trusted extension, PG ≥ 13).
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table('agencies',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=35), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('level', sa.Enum('province', 'commune', 'department', name='agency_level', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('parent_code', sa.String(length=35), nullable=True),
    sa.Column('signer_title', sa.String(length=255), nullable=True),
    sa.Column('signer_name', sa.String(length=255), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("code ~ '^[A-Z0-9.]{1,35}$'", name=op.f('ck_agencies_code_format')),
    sa.ForeignKeyConstraint(['parent_code'], ['agencies.code'], name=op.f('fk_agencies_parent_code_agencies'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agencies')),
    sa.UniqueConstraint('code', name=op.f('uq_agencies_code'))
    )
    op.create_table('calendar_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.Enum('holiday', 'day_off', 'working_day', name='day_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('legal_ref', sa.Text(), nullable=True),
    sa.Column('source', sa.Enum('seed', 'api', name='day_source', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_days'))
    )
    op.create_table('calendar_seeded_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_seeded_years'))
    )
    op.create_table('dossier_code_counters',
    sa.Column('agency_code', sa.String(length=35), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('agency_code', 'day', name=op.f('pk_dossier_code_counters'))
    )
    op.create_table('idempotency_records',
    sa.Column('principal', sa.String(length=160), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('principal', 'key', name=op.f('pk_idempotency_records'))
    )
    op.create_table('outbox_events',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('agency_codes', sa.ARRAY(sa.String(length=35)), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('portal_processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('webhooks_processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_events'))
    )
    op.create_index('ix_outbox_events_portal_pending', 'outbox_events', ['id'], unique=False, postgresql_where=sa.text('portal_processed_at IS NULL'))
    op.create_index(op.f('ix_outbox_events_subject'), 'outbox_events', ['subject'], unique=False)
    op.create_index('ix_outbox_events_webhooks_pending', 'outbox_events', ['id'], unique=False, postgresql_where=sa.text('webhooks_processed_at IS NULL'))
    op.create_table('procedures',
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('name_folded', sa.Text(), nullable=False),
    sa.Column('sector_code', sa.String(length=64), nullable=False),
    sa.Column('sector_name', sa.String(length=255), nullable=False),
    sa.Column('sector_group', sa.Enum('land', 'construction', 'investment', 'civil_status', 'certification', 'social', 'other', name='sector_group', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('time_limit_value', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('time_limit_unit', sa.Enum('working_days', 'working_hours', 'calendar_days', 'same_day', name='time_unit', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('fee_vnd', sa.BigInteger(), nullable=True),
    sa.Column('online_level', sa.Enum('full', 'partial', name='online_level', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('boundary_free', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('supplement_clock', sa.Enum('restart', 'pause', name='supplement_clock', native_enum=False, create_constraint=True, length=32), server_default='restart', nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("code ~ '^\\d\\.\\d{6}$'", name=op.f('ck_procedures_code_format')),
    sa.CheckConstraint('fee_vnd IS NULL OR fee_vnd >= 0', name=op.f('ck_procedures_fee_non_negative')),
    sa.CheckConstraint('time_limit_value >= 0', name=op.f('ck_procedures_time_limit_non_negative')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_procedures'))
    )
    op.create_index('ix_procedures_name_folded_trgm', 'procedures', ['name_folded'], unique=False, postgresql_using='gin', postgresql_ops={'name_folded': 'gin_trgm_ops'})
    op.create_index(op.f('ix_procedures_sector_code'), 'procedures', ['sector_code'], unique=False)
    op.create_table('api_keys',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('agency_code', sa.String(length=35), nullable=False),
    sa.Column('scopes', sa.ARRAY(sa.String(length=64)), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agencies.code'], name=op.f('fk_api_keys_agency_code_agencies'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_keys_prefix'))
    )
    op.create_index(op.f('ix_api_keys_agency_code'), 'api_keys', ['agency_code'], unique=False)
    op.create_table('dossiers',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'received', 'refused', 'in_progress', 'supplement_requested', 'awaiting_payment', 'withdrawn', 'stopped', 'resolved', 'returned', name='dossier_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('channel', sa.Enum('in_person', 'online', 'postal', name='channel', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('procedure_code', sa.String(length=8), nullable=False),
    sa.Column('procedure_name', sa.Text(), nullable=False),
    sa.Column('sector_code', sa.String(length=64), nullable=False),
    sa.Column('sector_name', sa.String(length=255), nullable=False),
    sa.Column('sector_group', sa.String(length=32), nullable=False),
    sa.Column('time_limit_value', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('time_limit_unit', sa.Enum('working_days', 'working_hours', 'calendar_days', 'same_day', name='time_unit', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('supplement_clock', sa.Enum('restart', 'pause', name='supplement_clock', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('boundary_free', sa.Boolean(), nullable=False),
    sa.Column('online_level', sa.String(length=32), nullable=True),
    sa.Column('applicant_full_name', sa.String(length=255), nullable=False),
    sa.Column('applicant_name_folded', sa.String(length=255), nullable=False),
    sa.Column('applicant_id_number', sa.String(length=32), nullable=True),
    sa.Column('applicant_phone', sa.String(length=32), nullable=True),
    sa.Column('applicant_email', sa.String(length=255), nullable=True),
    sa.Column('applicant_address', sa.Text(), nullable=True),
    sa.Column('applicant_kind', sa.Enum('citizen', 'business', 'organization', name='applicant_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('receiving_agency_code', sa.String(length=35), nullable=False),
    sa.Column('resolving_agency_code', sa.String(length=35), nullable=False),
    sa.Column('assignee_username', sa.String(length=64), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('original_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_basis', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('supplement_count', sa.Integer(), nullable=False),
    sa.Column('supplement_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resume_status', sa.Enum('submitted', 'received', 'refused', 'in_progress', 'supplement_requested', 'awaiting_payment', 'withdrawn', 'stopped', 'resolved', 'returned', name='dossier_resume_status', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('late_supplement_request', sa.Boolean(), nullable=False),
    sa.Column('rescheduled', sa.Boolean(), nullable=False),
    sa.Column('digitized', sa.Boolean(), nullable=False),
    sa.Column('electronic_result', sa.Boolean(), nullable=False),
    sa.Column('reused_data', sa.Boolean(), nullable=False),
    sa.Column('fee_amount_vnd', sa.BigInteger(), nullable=True),
    sa.Column('fee_paid_online', sa.Boolean(), nullable=True),
    sa.Column('fee_paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.Enum('approved', 'rejected', name='outcome', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('result_summary', sa.Text(), nullable=True),
    sa.Column('return_method', sa.String(length=16), nullable=True),
    sa.Column('portal_sync', sa.Enum('pending', 'synced', 'failed', name='portal_sync', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('overdue_marked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('fee_amount_vnd IS NULL OR fee_amount_vnd >= 0', name=op.f('ck_dossiers_fee_non_negative')),
    sa.CheckConstraint('supplement_count >= 0', name=op.f('ck_dossiers_supplement_count_non_negative')),
    sa.ForeignKeyConstraint(['procedure_code'], ['procedures.code'], name=op.f('fk_dossiers_procedure_code_procedures'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['receiving_agency_code'], ['agencies.code'], name=op.f('fk_dossiers_receiving_agency_code_agencies'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['resolving_agency_code'], ['agencies.code'], name=op.f('fk_dossiers_resolving_agency_code_agencies'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossiers')),
    sa.UniqueConstraint('code', name=op.f('uq_dossiers_code'))
    )
    op.create_index('ix_dossiers_applicant_name_folded_trgm', 'dossiers', ['applicant_name_folded'], unique=False, postgresql_using='gin', postgresql_ops={'applicant_name_folded': 'gin_trgm_ops'})
    op.create_index(op.f('ix_dossiers_procedure_code'), 'dossiers', ['procedure_code'], unique=False)
    op.create_index(op.f('ix_dossiers_received_at'), 'dossiers', ['received_at'], unique=False)
    op.create_index('ix_dossiers_receiving_agency_id', 'dossiers', ['receiving_agency_code', 'id'], unique=False)
    op.create_index('ix_dossiers_resolving_agency_id', 'dossiers', ['resolving_agency_code', 'id'], unique=False)
    op.create_index('ix_dossiers_unfinished_due', 'dossiers', ['due_at'], unique=False, postgresql_where=sa.text('finished_at IS NULL'))
    op.create_table('users',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('full_name', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('admin', 'leader', 'officer', 'specialist', 'viewer', name='role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('agency_code', sa.String(length=35), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agencies.code'], name=op.f('fk_users_agency_code_agencies'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_index(op.f('ix_users_agency_code'), 'users', ['agency_code'], unique=False)
    op.create_table('dossier_history',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('dossier_id', sa.BigInteger(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=32), nullable=True),
    sa.Column('to_status', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('actor_agency_code', sa.String(length=35), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_dossier_history_dossier_id_dossiers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier_history'))
    )
    op.create_index(op.f('ix_dossier_history_dossier_id'), 'dossier_history', ['dossier_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_dossier_history_dossier_id'), table_name='dossier_history')
    op.drop_table('dossier_history')
    op.drop_index(op.f('ix_users_agency_code'), table_name='users')
    op.drop_table('users')
    op.drop_index('ix_dossiers_unfinished_due', table_name='dossiers', postgresql_where=sa.text('finished_at IS NULL'))
    op.drop_index('ix_dossiers_resolving_agency_id', table_name='dossiers')
    op.drop_index('ix_dossiers_receiving_agency_id', table_name='dossiers')
    op.drop_index(op.f('ix_dossiers_received_at'), table_name='dossiers')
    op.drop_index(op.f('ix_dossiers_procedure_code'), table_name='dossiers')
    op.drop_index('ix_dossiers_applicant_name_folded_trgm', table_name='dossiers', postgresql_using='gin', postgresql_ops={'applicant_name_folded': 'gin_trgm_ops'})
    op.drop_table('dossiers')
    op.drop_index(op.f('ix_api_keys_agency_code'), table_name='api_keys')
    op.drop_table('api_keys')
    op.drop_index(op.f('ix_procedures_sector_code'), table_name='procedures')
    op.drop_index('ix_procedures_name_folded_trgm', table_name='procedures', postgresql_using='gin', postgresql_ops={'name_folded': 'gin_trgm_ops'})
    op.drop_table('procedures')
    op.drop_index('ix_outbox_events_webhooks_pending', table_name='outbox_events', postgresql_where=sa.text('webhooks_processed_at IS NULL'))
    op.drop_index(op.f('ix_outbox_events_subject'), table_name='outbox_events')
    op.drop_index('ix_outbox_events_portal_pending', table_name='outbox_events', postgresql_where=sa.text('portal_processed_at IS NULL'))
    op.drop_table('outbox_events')
    op.drop_table('idempotency_records')
    op.drop_table('dossier_code_counters')
    op.drop_table('calendar_seeded_years')
    op.drop_table('calendar_days')
    op.drop_table('agencies')
