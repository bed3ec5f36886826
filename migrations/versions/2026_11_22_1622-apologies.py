"""apologies

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 16:22:37.022234
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('apologies',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('dossier_id', sa.BigInteger(), nullable=False),
    sa.Column('dossier_code', sa.String(length=64), nullable=False),
    sa.Column('agency_code', sa.String(length=35), nullable=False),
    sa.Column('receiving_agency_code', sa.String(length=35), nullable=False),
    sa.Column('status', sa.Enum('draft', 'approved', 'sent', name='apology_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('original_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('proposed_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('drafted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.String(length=128), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_by', sa.String(length=128), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_late', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossiers.id'], name=op.f('fk_apologies_dossier_id_dossiers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apologies')),
    sa.UniqueConstraint('dossier_id', name=op.f('uq_apologies_dossier_id'))
    )
    op.create_index(op.f('ix_apologies_agency_code'), 'apologies', ['agency_code'], unique=False)
    op.create_index(op.f('ix_apologies_dossier_code'), 'apologies', ['dossier_code'], unique=False)
    op.create_index(op.f('ix_apologies_receiving_agency_code'), 'apologies', ['receiving_agency_code'], unique=False)
    op.create_index('ix_apologies_status_drafted', 'apologies', ['status', 'drafted_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_apologies_status_drafted', table_name='apologies')
    op.drop_index(op.f('ix_apologies_receiving_agency_code'), table_name='apologies')
    op.drop_index(op.f('ix_apologies_dossier_code'), table_name='apologies')
    op.drop_index(op.f('ix_apologies_agency_code'), table_name='apologies')
    op.drop_table('apologies')
