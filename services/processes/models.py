"""Internal processes of procedures (quy trình nội bộ) and the steps a dossier goes through."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.core.enums import str_enum
from services.core.models import Base


class ProcedureProcess(Base):
    """One version of a procedure's process. Versions are never edited: a change is a new row,
    and a dossier keeps the version it started under (its steps are copied at reception)."""

    __tablename__ = "procedure_processes"
    __table_args__ = (UniqueConstraint("procedure_code", "version"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    procedure_code: Mapped[str] = mapped_column(
        String(8), ForeignKey("procedures.code", ondelete="CASCADE")
    )
    version: Mapped[int] = mapped_column(Integer)
    # [{name, role, agency_code, share: {value, unit}, parallel_group}], validated on the way in.
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    # Set when the process is withdrawn: new dossiers then run without one.
    retired_at: Mapped[datetime | None]


class StepStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # the dossier ended (refused, withdrawn, stopped, returned) first


class StepResult(StrEnum):
    """Mẫu 05's judgement of a completed step."""

    BEFORE = "before"  # trước hạn
    ON = "on"  # đúng hạn: on the deadline's day, not after it
    AFTER = "after"  # quá hạn


class AllotmentUnit(StrEnum):
    WORKING_HOURS = "working_hours"  # office time on working days
    CALENDAR_HOURS = "calendar_hours"  # elapsed time, for procedures limited in calendar days


class DossierStep(Base):
    """A step of one dossier's process: who holds it, since when, until when, and how it ended."""

    __tablename__ = "dossier_steps"
    __table_args__ = (
        UniqueConstraint("dossier_id", "n"),
        # The "my work" list: an agency's active steps by deadline.
        Index(
            "ix_dossier_steps_active_agency_due",
            "agency_code",
            "due_at",
            postgresql_where=text("status = 'active'"),
        ),
        # Step punctuality in the KPI report: steps completed in a period.
        Index(
            "ix_dossier_steps_completed_at",
            "completed_at",
            postgresql_where=text("completed_at IS NOT NULL"),
        ),
        # The step part of the overdue scan: active steps not yet reported late.
        Index(
            "ix_dossier_steps_unreported_due",
            "due_at",
            postgresql_where=text("status = 'active' AND overdue_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("dossiers.id", ondelete="CASCADE")
    )
    n: Mapped[int] = mapped_column(Integer)
    # Steps of one parallel group share a stage and start together.
    stage: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(32))
    parallel_group: Mapped[str | None] = mapped_column(String(64))
    # The process's agency for the step; None = the dossier's resolving agency when it starts.
    planned_agency_code: Mapped[str | None] = mapped_column(String(35))
    # The agency holding the step, fixed when it starts.
    agency_code: Mapped[str | None] = mapped_column(String(35))
    allotted: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    allotted_unit: Mapped[AllotmentUnit] = mapped_column(str_enum(AllotmentUnit, "allotment_unit"))
    status: Mapped[StepStatus] = mapped_column(str_enum(StepStatus, "step_status"))
    handed_over_by: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    result: Mapped[StepResult | None] = mapped_column(str_enum(StepResult, "step_result"))
    # When the overdue scan reported the step late (once).
    overdue_at: Mapped[datetime | None]
