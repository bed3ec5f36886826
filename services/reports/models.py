"""KPI targets as data: per year, for every agency (agency_code NULL) or for one agency."""

from __future__ import annotations

import uuid
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from services.core.enums import str_enum
from services.core.models import Base, TimestampMixin


class TargetKind(StrEnum):
    MIN = "min"  # met when the value is at least the target
    MAX = "max"  # met when the value is at most the target (processing-time ratio)


class KpiTarget(TimestampMixin, Base):
    __tablename__ = "kpi_targets"
    __table_args__ = (
        # One target per year and key for all agencies, and one per agency that overrides it.
        Index(
            "uq_kpi_targets_year_key_default",
            "year",
            "key",
            unique=True,
            postgresql_where=text("agency_code IS NULL"),
        ),
        Index(
            "uq_kpi_targets_year_agency_key",
            "year",
            "agency_code",
            "key",
            unique=True,
            postgresql_where=text("agency_code IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    year: Mapped[int] = mapped_column(Integer)
    agency_code: Mapped[str | None] = mapped_column(
        String(35), ForeignKey("agencies.code", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(64))
    # In the indicator's unit: percent (95 = 95 %) or a ratio (0.5).
    target: Mapped[Decimal] = mapped_column(Numeric(8, 4))
    kind: Mapped[TargetKind] = mapped_column(str_enum(TargetKind, "kpi_target_kind"))
    updated_by: Mapped[str | None] = mapped_column(String(128))
