"""feedback (PAKN), ratings, KPI targets

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 17:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('feedback_code_counters',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_feedback_code_counters'))
    )
    op.create_table('kpi_targets',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('agency_code', sa.String(length=35), nullable=True),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('target', sa.Numeric(precision=8, scale=4), nullable=False),
    sa.Column('kind', sa.Enum('min', 'max', name='kpi_target_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('updated_by', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agencies.code'], name=op.f('fk_kpi_targets_agency_code_agencies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_targets'))
    )
    op.create_index('uq_kpi_targets_year_agency_key', 'kpi_targets', ['year', 'agency_code', 'key'], unique=True, postgresql_where=sa.text('agency_code IS NOT NULL'))
    op.create_index('uq_kpi_targets_year_key_default', 'kpi_targets', ['year', 'key'], unique=True, postgresql_where=sa.text('agency_code IS NULL'))
    op.create_table('feedback',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.Enum('reflection', 'recommendation', name='feedback_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('channel', sa.Enum('online', 'in_writing', 'phone', 'opinion_form', name='feedback_channel', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('state', sa.Enum('received', 'classified', 'in_progress', 'answered', 'published', 'rejected', 'forwarded', name='feedback_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('classification', sa.Enum('not_accepted', 'conduct', 'regulation', 'out_of_scope', name='feedback_classification', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('submitter_full_name', sa.String(length=255), nullable=False),
    sa.Column('submitter_phone', sa.String(length=32), nullable=False),
    sa.Column('submitter_address', sa.Text(), nullable=False),
    sa.Column('submitter_email', sa.String(length=255), nullable=True),
    sa.Column('agency_code', sa.String(length=35), nullable=False),
    sa.Column('dossier_code', sa.String(length=64), nullable=True),
    sa.Column('procedure_code', sa.String(length=8), nullable=True),
    sa.Column('forwarded_to_agency_code', sa.String(length=35), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('classified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_step', sa.Enum('classify', 'refuse', 'forward', 'handle', 'publish', name='feedback_due_step', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('info_request_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by', sa.String(length=128), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('public_content', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('late_flagged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['agency_code'], ['agencies.code'], name=op.f('fk_feedback_agency_code_agencies'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['dossier_code'], ['dossiers.code'], name=op.f('fk_feedback_dossier_code_dossiers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['forwarded_to_agency_code'], ['agencies.code'], name=op.f('fk_feedback_forwarded_to_agency_code_agencies'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['procedure_code'], ['procedures.code'], name=op.f('fk_feedback_procedure_code_procedures'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback')),
    sa.UniqueConstraint('code', name=op.f('uq_feedback_code'))
    )
    op.create_index('ix_feedback_agency_id', 'feedback', ['agency_code', 'id'], unique=False)
    op.create_index(op.f('ix_feedback_dossier_code'), 'feedback', ['dossier_code'], unique=False)
    op.create_index('ix_feedback_forwarded_to_id', 'feedback', ['forwarded_to_agency_code', 'id'], unique=False)
    op.create_index('ix_feedback_open_due', 'feedback', ['due_at'], unique=False, postgresql_where=sa.text('closed_at IS NULL'))
    op.create_index('ix_feedback_published', 'feedback', ['published_at', 'id'], unique=False, postgresql_where=sa.text("state = 'published'"))
    op.create_index(op.f('ix_feedback_received_at'), 'feedback', ['received_at'], unique=False)
    op.create_table('ratings',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('dossier_id', sa.BigInteger(), nullable=False),
    sa.Column('dossier_code', sa.String(length=64), nullable=False),
    sa.Column('receiving_agency_code', sa.String(length=35), nullable=False),
    sa.Column('resolving_agency_code', sa.String(length=35), nullable=False),
    sa.Column('sector_group', sa.String(length=32), nullable=False),
    sa.Column('rating', sa.Enum('very_satisfied', 'satisfied', 'neutral', 'dissatisfied', name='rating_value', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_ratings_dossier_id_dossiers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ratings')),
    sa.UniqueConstraint('dossier_id', name=op.f('uq_ratings_dossier_id'))
    )
    op.create_index('ix_ratings_receiving_rated', 'ratings', ['receiving_agency_code', 'rated_at'], unique=False)
    op.create_index('ix_ratings_resolving_rated', 'ratings', ['resolving_agency_code', 'rated_at'], unique=False)
    op.create_table('feedback_history',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('feedback_id', sa.BigInteger(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=True),
    sa.Column('to_state', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('actor_agency_code', sa.String(length=35), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_feedback_history_feedback_id_feedback'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_history'))
    )
    op.create_index(op.f('ix_feedback_history_feedback_id'), 'feedback_history', ['feedback_id'], unique=False)
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index(op.f('ix_feedback_history_feedback_id'), table_name='feedback_history')
    op.drop_table('feedback_history')
    op.drop_index('ix_ratings_resolving_rated', table_name='ratings')
    op.drop_index('ix_ratings_receiving_rated', table_name='ratings')
    op.drop_table('ratings')
    op.drop_index(op.f('ix_feedback_received_at'), table_name='feedback')
    op.drop_index('ix_feedback_published', table_name='feedback', postgresql_where=sa.text("state = 'published'"))
    op.drop_index('ix_feedback_open_due', table_name='feedback', postgresql_where=sa.text('closed_at IS NULL'))
    op.drop_index('ix_feedback_forwarded_to_id', table_name='feedback')
    op.drop_index(op.f('ix_feedback_dossier_code'), table_name='feedback')
    op.drop_index('ix_feedback_agency_id', table_name='feedback')
    op.drop_table('feedback')
    op.drop_index('uq_kpi_targets_year_key_default', table_name='kpi_targets', postgresql_where=sa.text('agency_code IS NULL'))
    op.drop_index('uq_kpi_targets_year_agency_key', table_name='kpi_targets', postgresql_where=sa.text('agency_code IS NOT NULL'))
    op.drop_table('kpi_targets')
    op.drop_table('feedback_code_counters')
    # ### end Alembic commands ###
