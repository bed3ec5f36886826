"""Written apologies for late dossiers (Mẫu 04, domain.md §5)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from services.core.enums import str_enum
from services.core.models import Base, TimestampMixin


class ApologyStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    SENT = "sent"


class Apology(TimestampMixin, Base):
    __tablename__ = "apologies"
    __table_args__ = (Index("ix_apologies_status_drafted", "status", "drafted_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # Unique: the database itself refuses a second apology for a dossier, whatever the number
    # of workers, retries or crashes (domain.md §5).
    dossier_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("dossiers.id", ondelete="CASCADE"), unique=True
    )
    dossier_code: Mapped[str] = mapped_column(String(64), index=True)
    # The agency that is late and signs; staff of the receiving agency see it too.
    agency_code: Mapped[str] = mapped_column(String(35), index=True)
    receiving_agency_code: Mapped[str] = mapped_column(String(35), index=True)
    status: Mapped[ApologyStatus] = mapped_column(str_enum(ApologyStatus, "apology_status"))
    reason: Mapped[str] = mapped_column(Text)
    original_due_at: Mapped[datetime]
    proposed_due_at: Mapped[datetime]
    body: Mapped[str] = mapped_column(Text)
    drafted_at: Mapped[datetime]
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[datetime | None]
    sent_by: Mapped[str | None] = mapped_column(String(128))
    sent_at: Mapped[datetime | None]
    issued_late: Mapped[bool | None] = mapped_column(Boolean)
