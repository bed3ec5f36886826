"""internal processes and dossier steps

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 18:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('procedure_processes',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('procedure_code', sa.String(length=8), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('steps', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['procedure_code'], ['procedures.code'], name=op.f('fk_procedure_processes_procedure_code_procedures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_procedure_processes')),
    sa.UniqueConstraint('procedure_code', 'version', name=op.f('uq_procedure_processes_procedure_code_version'))
    )
    op.create_table('dossier_steps',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('dossier_id', sa.BigInteger(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('parallel_group', sa.String(length=64), nullable=True),
    sa.Column('planned_agency_code', sa.String(length=35), nullable=True),
    sa.Column('agency_code', sa.String(length=35), nullable=True),
    sa.Column('allotted', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('allotted_unit', sa.Enum('working_hours', 'calendar_hours', name='allotment_unit', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('status', sa.Enum('pending', 'active', 'completed', 'cancelled', name='step_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('handed_over_by', sa.String(length=128), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sa.String(length=128), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('result', sa.Enum('before', 'on', 'after', name='step_result', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('overdue_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_dossier_steps_dossier_id_dossiers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dossier_steps')),
    sa.UniqueConstraint('dossier_id', 'n', name=op.f('uq_dossier_steps_dossier_id_n'))
    )
    op.create_index('ix_dossier_steps_active_agency_due', 'dossier_steps', ['agency_code', 'due_at'], unique=False, postgresql_where=sa.text("status = 'active'"))
    op.create_index('ix_dossier_steps_unreported_due', 'dossier_steps', ['due_at'], unique=False, postgresql_where=sa.text("status = 'active' AND overdue_at IS NULL"))
    op.add_column('dossiers', sa.Column('process_id', sa.BigInteger(), nullable=True))
    op.add_column('dossiers', sa.Column('holder_agency_codes', postgresql.ARRAY(sa.String(length=35)), server_default='{}', nullable=False))
    op.add_column('dossiers', sa.Column('current_step', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.create_foreign_key(op.f('fk_dossiers_process_id_procedure_processes'), 'dossiers', 'procedure_processes', ['process_id'], ['id'], ondelete='RESTRICT')


def downgrade() -> None:
    op.drop_constraint(op.f('fk_dossiers_process_id_procedure_processes'), 'dossiers', type_='foreignkey')
    op.drop_column('dossiers', 'current_step')
    op.drop_column('dossiers', 'holder_agency_codes')
    op.drop_column('dossiers', 'process_id')
    op.drop_index('ix_dossier_steps_unreported_due', table_name='dossier_steps', postgresql_where=sa.text("status = 'active' AND overdue_at IS NULL"))
    op.drop_index('ix_dossier_steps_active_agency_due', table_name='dossier_steps', postgresql_where=sa.text("status = 'active'"))
    op.drop_table('dossier_steps')
    op.drop_table('procedure_processes')
