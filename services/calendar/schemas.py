from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from services.calendar.models import DaySource
from services.calendar.workingtime import DayKind, TimeUnit
from services.core.types import LocalDateTime, Name, Text

KIND_DESCRIPTION = (
    "holiday (ngày lễ, Tết), day_off (ngày nghỉ, e.g. a day swapped by the government notice), "
    "working_day (ngày làm bù: a weekend day worked in exchange)"
)
UNIT_DESCRIPTION = (
    "working_days (ngày làm việc), working_hours (giờ làm việc), calendar_days (ngày), "
    "same_day (trong ngày)"
)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# A time limit reads as a JSON number (3, 1.5), not Pydantic's default string for Decimal.
TimeLimitValue = Annotated[Decimal, PlainSerializer(_number, return_type=int | float)]


class CalendarDayIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "holiday",
                    "name": "Tết Nguyên Đán",
                    "legal_ref": "Bộ luật Lao động 2019, Điều 112",
                },
                {
                    "kind": "working_day",
                    "name": "Làm bù",
                    "legal_ref": "Thông báo hoán đổi ngày làm việc năm 2026",
                },
            ]
        }
    )

    kind: DayKind = Field(description=KIND_DESCRIPTION)
    name: Name
    legal_ref: Text | None = Field(
        default=None, description="Legal basis, e.g. the year's government notice."
    )


class CalendarDayOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    date: dt.date = Field(validation_alias="day")
    kind: DayKind = Field(description=KIND_DESCRIPTION)
    name: str
    legal_ref: str | None
    source: DaySource = Field(
        description="seed (loaded from the `holidays` package) or api (entered by an operator; "
        "never overwritten by seeding)"
    )
    updated_at: LocalDateTime


class DueDateOut(BaseModel):
    received_at: LocalDateTime
    effective_start: LocalDateTime = Field(description="When the clock starts (domain.md §3).")
    due_at: LocalDateTime
    value: TimeLimitValue | None = Field(description="Echoed; ignored for same_day.")
    unit: TimeUnit = Field(description=UNIT_DESCRIPTION)
