"""Dossiers (hồ sơ TTHC), their code counters and their append-only history (Mẫu 05)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.calendar.workingtime import TimeUnit
from services.core.enums import str_enum
from services.core.models import Base, TimestampMixin
from services.procedures.models import SupplementClock


class DossierStatus(StrEnum):
    SUBMITTED = "submitted"
    RECEIVED = "received"
    REFUSED = "refused"
    IN_PROGRESS = "in_progress"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    AWAITING_PAYMENT = "awaiting_payment"
    WITHDRAWN = "withdrawn"
    STOPPED = "stopped"
    RESOLVED = "resolved"
    RETURNED = "returned"


class Channel(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    POSTAL = "postal"


class ApplicantKind(StrEnum):
    CITIZEN = "citizen"
    BUSINESS = "business"
    ORGANIZATION = "organization"


class Outcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class PortalSync(StrEnum):
    PENDING = "pending"
    SYNCED = "synced"
    FAILED = "failed"


class DossierCodeCounter(Base):
    """Per agency and reception day, the last sequence number handed out.

    Incremented with an upsert in the dossier's own transaction: the row lock serialises
    concurrent receptions and a rollback returns the number, so codes stay gap-free.
    """

    __tablename__ = "dossier_code_counters"

    agency_code: Mapped[str] = mapped_column(String(35), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class Dossier(TimestampMixin, Base):
    __tablename__ = "dossiers"
    __table_args__ = (
        CheckConstraint("supplement_count >= 0", name="supplement_count_non_negative"),
        CheckConstraint("fee_amount_vnd IS NULL OR fee_amount_vnd >= 0", name="fee_non_negative"),
        Index("ix_dossiers_receiving_agency_id", "receiving_agency_code", "id"),
        Index("ix_dossiers_resolving_agency_id", "resolving_agency_code", "id"),
        # Unfinished dossiers by due date: what the overdue scan and "overdue" filters read.
        Index("ix_dossiers_unfinished_due", "due_at", postgresql_where=text("finished_at IS NULL")),
        # `holder_agency_codes @> {agency}`: the third way an agency sees a dossier.
        Index(
            "ix_dossiers_holder_agency_codes",
            "holder_agency_codes",
            postgresql_using="gin",
        ),
        Index(
            "ix_dossiers_applicant_name_folded_trgm",
            "applicant_name_folded",
            postgresql_using="gin",
            postgresql_ops={"applicant_name_folded": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[DossierStatus] = mapped_column(str_enum(DossierStatus, "dossier_status"))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "channel"))
    procedure_code: Mapped[str] = mapped_column(
        String(8), ForeignKey("procedures.code", ondelete="RESTRICT"), index=True
    )
    # The procedure's terms when the dossier was received: later edits never move its dates.
    procedure_name: Mapped[str] = mapped_column(Text)
    sector_code: Mapped[str] = mapped_column(String(64))
    sector_name: Mapped[str] = mapped_column(String(255))
    sector_group: Mapped[str] = mapped_column(String(32))
    time_limit_value: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    time_limit_unit: Mapped[TimeUnit] = mapped_column(str_enum(TimeUnit, "time_unit"))
    supplement_clock: Mapped[SupplementClock] = mapped_column(
        str_enum(SupplementClock, "supplement_clock")
    )
    boundary_free: Mapped[bool] = mapped_column(Boolean, default=False)
    online_level: Mapped[str | None] = mapped_column(String(32))

    applicant_full_name: Mapped[str] = mapped_column(String(255))
    applicant_name_folded: Mapped[str] = mapped_column(String(255))
    applicant_id_number: Mapped[str | None] = mapped_column(String(32))
    applicant_phone: Mapped[str | None] = mapped_column(String(32))
    applicant_email: Mapped[str | None] = mapped_column(String(255))
    applicant_address: Mapped[str | None] = mapped_column(Text)
    applicant_kind: Mapped[ApplicantKind] = mapped_column(str_enum(ApplicantKind, "applicant_kind"))
    summary: Mapped[str | None] = mapped_column(Text)

    receiving_agency_code: Mapped[str] = mapped_column(
        String(35), ForeignKey("agencies.code", ondelete="RESTRICT")
    )
    resolving_agency_code: Mapped[str] = mapped_column(
        String(35), ForeignKey("agencies.code", ondelete="RESTRICT")
    )
    assignee_username: Mapped[str | None] = mapped_column(String(64))

    submitted_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None] = mapped_column(index=True)
    due_at: Mapped[datetime | None]
    # Set once, when an apology moves the due date (domain.md §5): the first promise.
    original_due_at: Mapped[datetime | None]
    # How due_at was computed: start, effective start, limit, unit, clock events.
    due_basis: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    finished_at: Mapped[datetime | None]
    returned_at: Mapped[datetime | None]

    supplement_count: Mapped[int] = mapped_column(Integer, default=0)
    supplement_requested_at: Mapped[datetime | None]
    # The status to go back to when the supplement or the payment arrives.
    resume_status: Mapped[DossierStatus | None] = mapped_column(
        str_enum(DossierStatus, "dossier_resume_status")
    )
    late_supplement_request: Mapped[bool] = mapped_column(Boolean, default=False)
    rescheduled: Mapped[bool] = mapped_column(Boolean, default=False)

    digitized: Mapped[bool] = mapped_column(Boolean, default=False)
    electronic_result: Mapped[bool] = mapped_column(Boolean, default=False)
    reused_data: Mapped[bool] = mapped_column(Boolean, default=False)
    fee_amount_vnd: Mapped[int | None] = mapped_column(BigInteger)
    fee_paid_online: Mapped[bool | None] = mapped_column(Boolean)
    fee_paid_at: Mapped[datetime | None]
    outcome: Mapped[Outcome | None] = mapped_column(str_enum(Outcome, "outcome"))
    result_summary: Mapped[str | None] = mapped_column(Text)
    return_method: Mapped[str | None] = mapped_column(String(16))

    portal_sync: Mapped[PortalSync] = mapped_column(
        str_enum(PortalSync, "portal_sync"), default=PortalSync.PENDING
    )
    overdue_marked_at: Mapped[datetime | None]
    # The national portal's reference of an online filing: one dossier per filing.
    portal_ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The process version the dossier runs under (None: no internal process, domain.md §4b).
    process_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("procedure_processes.id", ondelete="RESTRICT")
    )
    # Agencies holding an active step: they see the dossier and only they may change it.
    holder_agency_codes: Mapped[list[str]] = mapped_column(
        ARRAY(String(35)), default=list, server_default="{}"
    )
    # Where the dossier is in its process: {n, name, agency_code, role, started_at, due_at}.
    current_step: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own protocol


class DossierHistory(Base):
    """One row per transition (Phiếu kiểm soát quá trình, Mẫu 05). Never updated or deleted."""

    __tablename__ = "dossier_history"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    actor_agency_code: Mapped[str] = mapped_column(String(35))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    at: Mapped[datetime]


# A dossier's values: its entity, or, while it is being received, the same attributes on a
# plain object (the entity cost more to build than the rest of a reception; its row is written
# by plain SQL, repository.insert_numbered).
DossierValues = Dossier | SimpleNamespace
