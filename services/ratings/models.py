"""Citizens' ratings of returned dossiers (domain.md §7)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.core.enums import str_enum
from services.core.models import Base, TimestampMixin


class RatingValue(StrEnum):
    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    NEUTRAL = "neutral"
    DISSATISFIED = "dissatisfied"


class Rating(TimestampMixin, Base):
    __tablename__ = "ratings"
    __table_args__ = (
        Index("ix_ratings_receiving_rated", "receiving_agency_code", "rated_at"),
        Index("ix_ratings_resolving_rated", "resolving_agency_code", "rated_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    # Unique: one rating per dossier, whatever the number of attempts (409 on a second).
    dossier_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("dossiers.id", ondelete="CASCADE"), unique=True
    )
    dossier_code: Mapped[str] = mapped_column(String(64))
    # Copied from the dossier, so that the satisfaction KPI reads this table alone.
    receiving_agency_code: Mapped[str] = mapped_column(String(35))
    resolving_agency_code: Mapped[str] = mapped_column(String(35))
    sector_group: Mapped[str] = mapped_column(String(32))
    rating: Mapped[RatingValue] = mapped_column(str_enum(RatingValue, "rating_value"))
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime]
