"""idempotency records: index for the retention purge

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 22:30:00
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_idempotency_records_created_at', 'idempotency_records', ['created_at'], unique=False
    )


def downgrade() -> None:
    op.drop_index('ix_idempotency_records_created_at', table_name='idempotency_records')
