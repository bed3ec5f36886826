"""Feedback on administrative regulations (PAKN, domain.md §6) and its append-only history."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.core.enums import str_enum
from services.core.models import Base, TimestampMixin


class FeedbackKind(StrEnum):
    REFLECTION = "reflection"  # phản ánh
    RECOMMENDATION = "recommendation"  # kiến nghị


class FeedbackChannel(StrEnum):
    ONLINE = "online"
    IN_WRITING = "in_writing"
    PHONE = "phone"
    OPINION_FORM = "opinion_form"


class FeedbackState(StrEnum):
    RECEIVED = "received"
    CLASSIFIED = "classified"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    PUBLISHED = "published"
    REJECTED = "rejected"
    FORWARDED = "forwarded"


class Classification(StrEnum):
    NOT_ACCEPTED = "not_accepted"
    CONDUCT = "conduct"  # hành vi hành chính
    REGULATION = "regulation"  # quy định hành chính
    OUT_OF_SCOPE = "out_of_scope"


class DueStep(StrEnum):
    """What the current ``due_at`` is the deadline of."""

    CLASSIFY = "classify"
    REFUSE = "refuse"
    FORWARD = "forward"
    HANDLE = "handle"
    PUBLISH = "publish"


class FeedbackCodeCounter(Base):
    """Per reception day, the last number handed out: codes ``PAKN-YYMMDD-NNNN`` stay gap-free
    because the counter row is incremented in the feedback's own transaction."""

    __tablename__ = "feedback_code_counters"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class Feedback(TimestampMixin, Base):
    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_agency_id", "agency_code", "id"),
        Index("ix_feedback_forwarded_to_id", "forwarded_to_agency_code", "id"),
        Index(
            "ix_feedback_published",
            "published_at",
            "id",
            postgresql_where=text("state = 'published'"),
        ),
        # Open items by deadline: what the overdue scan and the `overdue` filter read.
        Index("ix_feedback_open_due", "due_at", postgresql_where=text("closed_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[FeedbackKind] = mapped_column(str_enum(FeedbackKind, "feedback_kind"))
    channel: Mapped[FeedbackChannel] = mapped_column(str_enum(FeedbackChannel, "feedback_channel"))
    state: Mapped[FeedbackState] = mapped_column(str_enum(FeedbackState, "feedback_state"))
    classification: Mapped[Classification | None] = mapped_column(
        str_enum(Classification, "feedback_classification")
    )
    content: Mapped[str] = mapped_column(Text)
    submitter_full_name: Mapped[str] = mapped_column(String(255))
    submitter_phone: Mapped[str] = mapped_column(String(32))
    submitter_address: Mapped[str] = mapped_column(Text)
    submitter_email: Mapped[str | None] = mapped_column(String(255))

    agency_code: Mapped[str] = mapped_column(
        String(35), ForeignKey("agencies.code", ondelete="RESTRICT")
    )
    dossier_code: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("dossiers.code", ondelete="RESTRICT"), index=True
    )
    procedure_code: Mapped[str | None] = mapped_column(
        String(8), ForeignKey("procedures.code", ondelete="RESTRICT")
    )
    forwarded_to_agency_code: Mapped[str | None] = mapped_column(
        String(35), ForeignKey("agencies.code", ondelete="RESTRICT")
    )

    received_at: Mapped[datetime] = mapped_column(index=True)
    classified_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    due_step: Mapped[DueStep | None] = mapped_column(str_enum(DueStep, "feedback_due_step"))
    # Deadline to ask the submitter for more information (handled items only).
    info_request_due_at: Mapped[datetime | None]
    # The request for more information sent to the submitter, and when the reply came.
    info_requested_at: Mapped[datetime | None]
    info_request: Mapped[str | None] = mapped_column(Text)
    info_received_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(128))
    answered_at: Mapped[datetime | None]
    # What the public sees instead of the raw content: edited by staff, scrubbed by default.
    public_content: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # Some deadline was missed: set when a step completes late or by the overdue scan.
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    late_flagged_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own protocol


class FeedbackHistory(Base):
    """One row per transition; never updated or deleted."""

    __tablename__ = "feedback_history"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    feedback_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("feedback.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))
    actor_agency_code: Mapped[str | None] = mapped_column(String(35))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    at: Mapped[datetime]
