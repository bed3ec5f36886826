"""The transactional outbox: every side effect is first a row written with the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, BigInteger, Identity, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models import Base, TimestampMixin


class OutboxEvent(TimestampMixin, Base):
    __tablename__ = "outbox_events"
    __table_args__ = (
        # Consumers scan only what they have not processed yet.
        Index(
            "ix_outbox_events_portal_pending",
            "id",
            postgresql_where=text("portal_processed_at IS NULL"),
        ),
        Index(
            "ix_outbox_events_webhooks_pending",
            "id",
            postgresql_where=text("webhooks_processed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    # The resource the event is about, e.g. a dossier code; with the agencies that may see it.
    subject: Mapped[str] = mapped_column(String(64), index=True)
    agency_codes: Mapped[list[str]] = mapped_column(ARRAY(String(35)))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    portal_processed_at: Mapped[datetime | None]
    webhooks_processed_at: Mapped[datetime | None]
