"""Administrative procedures (thủ tục hành chính) of the national TTHC database."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.calendar.workingtime import TimeUnit
from services.core.enums import str_enum
from services.core.models import Base, TimestampMixin


class SectorGroup(StrEnum):
    LAND = "land"
    CONSTRUCTION = "construction"
    INVESTMENT = "investment"
    CIVIL_STATUS = "civil_status"
    CERTIFICATION = "certification"
    SOCIAL = "social"
    OTHER = "other"


class OnlineLevel(StrEnum):
    FULL = "full"  # toàn trình
    PARTIAL = "partial"  # một phần


class SupplementClock(StrEnum):
    RESTART = "restart"  # a full time limit again from the supplement (Decree 61 art. 19(4))
    PAUSE = "pause"  # the clock stops while the applicant completes the file


class Procedure(TimestampMixin, Base):
    __tablename__ = "procedures"
    __table_args__ = (
        CheckConstraint(r"code ~ '^\d\.\d{6}$'", name="code_format"),
        CheckConstraint("time_limit_value >= 0", name="time_limit_non_negative"),
        CheckConstraint("fee_vnd IS NULL OR fee_vnd >= 0", name="fee_non_negative"),
        Index(
            "ix_procedures_name_folded_trgm",
            "name_folded",
            postgresql_using="gin",
            postgresql_ops={"name_folded": "gin_trgm_ops"},
        ),
    )

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    # Lower-case, without diacritics: what name searches match against.
    name_folded: Mapped[str] = mapped_column(Text)
    sector_code: Mapped[str] = mapped_column(String(64), index=True)
    sector_name: Mapped[str] = mapped_column(String(255))
    sector_group: Mapped[SectorGroup] = mapped_column(str_enum(SectorGroup, "sector_group"))
    time_limit_value: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    time_limit_unit: Mapped[TimeUnit] = mapped_column(str_enum(TimeUnit, "time_unit"))
    # None: the fee varies (per page) or is set by the provincial council.
    fee_vnd: Mapped[int | None] = mapped_column(BigInteger)
    # None: not known yet (the sample catalogue has "unknown").
    online_level: Mapped[OnlineLevel | None] = mapped_column(str_enum(OnlineLevel, "online_level"))
    boundary_free: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    supplement_clock: Mapped[SupplementClock] = mapped_column(
        str_enum(SupplementClock, "supplement_clock"),
        default=SupplementClock.RESTART,
        server_default=SupplementClock.RESTART.value,
    )
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    source: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
