"""indexes for step holders and step punctuality

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 18:19:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_dossier_steps_completed_at', 'dossier_steps', ['completed_at'], unique=False, postgresql_where=sa.text('completed_at IS NOT NULL'))
    op.create_index('ix_dossiers_holder_agency_codes', 'dossiers', ['holder_agency_codes'], unique=False, postgresql_using='gin')


def downgrade() -> None:
    op.drop_index('ix_dossiers_holder_agency_codes', table_name='dossiers', postgresql_using='gin')
    op.drop_index('ix_dossier_steps_completed_at', table_name='dossier_steps', postgresql_where=sa.text('completed_at IS NOT NULL'))
