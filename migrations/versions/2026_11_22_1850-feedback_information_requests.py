"""feedback information requests

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 18:55:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('feedback', sa.Column('info_requested_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('feedback', sa.Column('info_request', sa.Text(), nullable=True))
    op.add_column('feedback', sa.Column('info_received_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('feedback', 'info_received_at')
    op.drop_column('feedback', 'info_request')
    op.drop_column('feedback', 'info_requested_at')
