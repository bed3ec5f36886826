"""The working calendar: exceptions to Monday–Friday, editable through the API."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from services.calendar.workingtime import DayKind
from services.core.enums import str_enum
from services.core.models import Base, TimestampMixin


class DaySource(StrEnum):
    SEED = "seed"  # from the `holidays` package
    API = "api"  # entered by an operator; wins over the seed


class CalendarDay(TimestampMixin, Base):
    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[DayKind] = mapped_column(str_enum(DayKind, "day_kind"))
    name: Mapped[str] = mapped_column(String(255))
    legal_ref: Mapped[str | None] = mapped_column(Text)
    source: Mapped[DaySource] = mapped_column(str_enum(DaySource, "day_source"))


class CalendarSeededYear(TimestampMixin, Base):
    """A year whose holidays were loaded from the package: seeding happens once per year."""

    __tablename__ = "calendar_seeded_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
