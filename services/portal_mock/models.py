"""Tables of the mock portal (prefix ``portal_mock_``): what it accepted, its sessions, its faults.

Everything lives in the database rather than in process memory so that several mock processes,
and a restarted one, agree on sessions, faults and de-duplication.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.core.models import Base, TimestampMixin

KIND_DOSSIER = "dossier"
KIND_SUMMARY = "summary"


class PortalMockSession(Base):
    """A session token issued by ``POST /api/auth/token``; only its SHA-256 is kept."""

    __tablename__ = "portal_mock_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(index=True)


class PortalMockReceived(Base):
    """Every record the portal accepted (a dossier sync record or a summary), once per key."""

    __tablename__ = "portal_mock_received"
    __table_args__ = (
        UniqueConstraint("kind", "idempotency_key"),
        Index("ix_portal_mock_received_kind_code", "kind", "code", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # MaHoSo of a dossier record, MaDonVi of a summary.
    code: Mapped[str] = mapped_column(String(100))
    status: Mapped[int | None] = mapped_column(SmallInteger)
    is_updating: Mapped[bool | None]
    idempotency_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PortalMockDossier(TimestampMixin, Base):
    """The portal's current view of one dossier: the last accepted record for its MaHoSo."""

    __tablename__ = "portal_mock_dossiers"

    ma_ho_so: Mapped[str] = mapped_column(String(100), primary_key=True)
    status: Mapped[int] = mapped_column(SmallInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    last_idempotency_key: Mapped[str] = mapped_column(String(200))


class PortalMockFaults(Base):
    """The injected faults; at most one row, absent when none are set."""

    __tablename__ = "portal_mock_faults"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("fail_rate >= 0 AND fail_rate <= 1", name="fail_rate_range"),
        CheckConstraint("latency_ms >= 0", name="latency_non_negative"),
    )

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False, default=1)
    fail_rate: Mapped[float] = mapped_column(Float)
    latency_ms: Mapped[int] = mapped_column(Integer)
    status: Mapped[int] = mapped_column(SmallInteger)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


TABLE_NAMES = (
    PortalMockSession.__tablename__,
    PortalMockReceived.__tablename__,
    PortalMockDossier.__tablename__,
    PortalMockFaults.__tablename__,
)
