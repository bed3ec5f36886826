"""What the worker owes the national portal: one row per dossier change, one per summary."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Identity, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.core.enums import str_enum
from services.core.models import Base, TimestampMixin


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # refused by the portal for a reason a retry cannot fix


class PortalSyncItem(TimestampMixin, Base):
    """One (dossier, state change) to deliver; the key makes the portal accept it once."""

    __tablename__ = "portal_sync_items"
    __table_args__ = (
        Index(
            "ix_portal_sync_items_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_portal_sync_items_dossier_version", "dossier_id", "version"),
        # The claim reads pending items in id order: without this it sorts them all each time.
        Index("ix_portal_sync_items_pending_id", "id", postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(96), unique=True)
    dossier_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("dossiers.id", ondelete="CASCADE")
    )
    dossier_code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    outbox_event_id: Mapped[int] = mapped_column(BigInteger)
    record: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus, "delivery_status"))
    # Decided when sent: a create for the first change the portal accepts, then updates.
    is_update: Mapped[bool | None] = mapped_column(Boolean)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]


class PortalAttempt(Base):
    """Every request to the portal, and what it answered per record (request id, code, text)."""

    __tablename__ = "portal_attempts"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # dossier | summary
    item_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    subject: Mapped[str] = mapped_column(String(96))
    http_status: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class PortalSummary(TimestampMixin, Base):
    """A summary snapshot of one agency, kept until the portal accepted it."""

    __tablename__ = "portal_summaries"
    __table_args__ = (
        Index(
            "ix_portal_summaries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    agency_code: Mapped[str] = mapped_column(String(35), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus, "delivery_status"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]


class InboundEvent(TimestampMixin, Base):
    """A signed event received from the portal: its ``webhook-id`` is processed once."""

    __tablename__ = "inbound_events"

    webhook_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSONB)
