from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from services.calendar.workingtime import TimeUnit
from services.core.privacy import nfc
from services.core.types import LocalDateTime, Name, Number, Text
from services.procedures.models import OnlineLevel, Procedure, SectorGroup, SupplementClock

# [0-9], not \d: the regex engine's \d also matches other scripts' digits.
ProcedureCode = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]\.[0-9]{6}$"),
    Field(
        description="Mã TTHC in the National TTHC Database, format `d.dddddd`",
        examples=["1.001193"],
    ),
]
# Some official names are longer than the 255 characters of `Name` (e.g. 2.000815).
ProcedureName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
    AfterValidator(nfc),
    Field(description="Tên thủ tục, as published", examples=["Thủ tục đăng ký khai sinh"]),
]
SectorCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
    Field(description="Mã lĩnh vực: letters, digits, `.`, `_`, `-`", examples=["ho-tich"]),
]
# Strict: a lax int would read the Vietnamese "5.000" (five thousand) as 5.
FeeVnd = Annotated[
    int,
    Strict(),
    Field(
        ge=0,
        le=10**12,
        description="Lệ phí in VND (integer; 0 = free or exempt). `null`: the fee varies "
        "(e.g. per page) or is set by the provincial council (HĐND).",
        examples=[8000],
    ),
]
# At most 1,000 (the calendar's bound for a due date): a larger limit is no real procedure, and
# its dossiers' due dates would seed thousands of calendar years.
TimeLimitValue = Annotated[Decimal, Field(ge=0, le=1000, max_digits=8, decimal_places=2)]

SECTOR_GROUP_DOC = (
    "Nhóm lĩnh vực: land (đất đai), construction (xây dựng), investment (đầu tư, đăng ký kinh "
    "doanh), civil_status (hộ tịch, nuôi con nuôi), certification (chứng thực), social (bảo trợ "
    "xã hội, người có công), other (khác)"
)
UNIT_DOC = (
    "Đơn vị thời hạn: working_days (ngày làm việc), working_hours (giờ làm việc), calendar_days "
    "(ngày theo lịch), same_day (trong ngày; received after 15:00 → next working day)"
)
ONLINE_LEVEL_DOC = (
    "Mức độ dịch vụ công trực tuyến: full (toàn trình), partial (một phần); `null` = not known"
)
SUPPLEMENT_CLOCK_DOC = (
    "Khi bổ sung hồ sơ: restart (tính lại thời hạn từ đầu, the legal default) or pause (tạm "
    "dừng, the clock stops while the applicant completes the file)"
)
BOUNDARY_FREE_DOC = "Phi địa giới hành chính: receivable at any commune, whatever the residence"
VALUE_DOC = (
    "Thời hạn giải quyết: > 0 with at most 2 decimals (a whole number for calendar_days); "
    "0 or omitted for same_day"
)


def check_time_limit(value: Decimal | None, unit: TimeUnit) -> Decimal:
    """The value a time limit of this unit must have; ``ValueError`` says what is wrong."""
    if unit is TimeUnit.SAME_DAY:
        if value not in (None, 0):
            raise ValueError("must be 0 (or omitted) when the unit is same_day")
        return Decimal(0)
    if value is None:
        raise ValueError(f"is required when the unit is {unit.value}")
    if value <= 0:
        raise ValueError(f"must be greater than 0 when the unit is {unit.value}")
    if unit is TimeUnit.CALENDAR_DAYS and value != value.to_integral_value():
        raise ValueError("must be a whole number of days when the unit is calendar_days")
    return value


class TimeLimit(BaseModel):
    # `unit` comes first so that the validator of `value` can see it.
    unit: TimeUnit = Field(description=UNIT_DOC)
    value: TimeLimitValue | None = Field(
        default=None, validate_default=True, description=VALUE_DOC, examples=[3]
    )

    @field_validator("value")
    @classmethod
    def _fits_unit(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        unit = info.data.get("unit")
        return value if unit is None else check_time_limit(value, unit)

    @property
    def amount(self) -> Decimal:
        return self.value if self.value is not None else Decimal(0)


class TimeLimitPatch(BaseModel):
    """Either part may be left out; the result is checked together with the stored other part."""

    unit: TimeUnit | None = Field(default=None, description=UNIT_DOC)
    value: TimeLimitValue | None = Field(default=None, description=VALUE_DOC, examples=[5])


class TimeLimitOut(BaseModel):
    value: Number = Field(description=VALUE_DOC)
    unit: TimeUnit = Field(description=UNIT_DOC)


_CREATE_EXAMPLE: dict[str, Any] = {
    "code": "1.001193",
    "name": "Thủ tục đăng ký khai sinh",
    "sector_code": "ho-tich",
    "sector_name": "Hộ tịch",
    "sector_group": "civil_status",
    "time_limit": {"value": 0, "unit": "same_day"},
    "fee_vnd": 0,
    "online_level": "full",
    "boundary_free": True,
    "supplement_clock": "restart",
}


class ProcedureCreate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _CREATE_EXAMPLE,
                {
                    **_CREATE_EXAMPLE,
                    "code": "1.004873",
                    "name": "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân",
                    "time_limit": {"value": 3, "unit": "working_days"},
                    "fee_vnd": None,
                },
            ]
        }
    )

    code: ProcedureCode
    name: ProcedureName
    sector_code: SectorCode
    sector_name: Name = Field(description="Tên lĩnh vực", examples=["Hộ tịch"])
    sector_group: SectorGroup = Field(description=SECTOR_GROUP_DOC)
    time_limit: TimeLimit
    fee_vnd: FeeVnd | None = None
    online_level: OnlineLevel | None = Field(default=None, description=ONLINE_LEVEL_DOC)
    boundary_free: bool = Field(default=False, description=BOUNDARY_FREE_DOC)
    supplement_clock: SupplementClock = Field(
        default=SupplementClock.RESTART, description=SUPPLEMENT_CLOCK_DOC
    )
    source: Text | None = Field(default=None, description="Where the terms come from")
    notes: Text | None = None


# Fields a PATCH may leave out but never set to null.
_NOT_NULL = (
    "name",
    "sector_code",
    "sector_name",
    "sector_group",
    "time_limit",
    "boundary_free",
    "supplement_clock",
    "is_active",
)


class ProcedureUpdate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"time_limit": {"value": 2, "unit": "working_days"}, "fee_vnd": 5000},
                {"online_level": "full", "boundary_free": True},
                {"is_active": False},
            ]
        }
    )

    name: ProcedureName | None = None
    sector_code: SectorCode | None = None
    sector_name: Name | None = None
    sector_group: SectorGroup | None = Field(default=None, description=SECTOR_GROUP_DOC)
    time_limit: TimeLimitPatch | None = None
    fee_vnd: FeeVnd | None = None
    online_level: OnlineLevel | None = Field(default=None, description=ONLINE_LEVEL_DOC)
    boundary_free: bool | None = Field(default=None, description=BOUNDARY_FREE_DOC)
    supplement_clock: SupplementClock | None = Field(default=None, description=SUPPLEMENT_CLOCK_DOC)
    is_active: bool | None = Field(
        default=None, description="false withdraws the procedure: no new dossiers"
    )
    source: Text | None = None
    notes: Text | None = None

    @model_validator(mode="after")
    def _no_null_for_required(self) -> ProcedureUpdate:
        nulls = [f for f in _NOT_NULL if f in self.model_fields_set and getattr(self, f) is None]
        if nulls:
            raise ValueError(f"{', '.join(nulls)}: must not be null (leave the field out instead)")
        return self


class ProcedureOut(BaseModel):
    code: str
    name: str
    sector_code: str
    sector_name: str
    sector_group: SectorGroup = Field(description=SECTOR_GROUP_DOC)
    time_limit: TimeLimitOut
    fee_vnd: int | None = Field(description="VND; `null` = variable or set by the province")
    online_level: OnlineLevel | None = Field(description=ONLINE_LEVEL_DOC)
    boundary_free: bool = Field(description=BOUNDARY_FREE_DOC)
    supplement_clock: SupplementClock = Field(description=SUPPLEMENT_CLOCK_DOC)
    is_active: bool
    source: str | None
    notes: str | None
    created_at: LocalDateTime
    updated_at: LocalDateTime

    @classmethod
    def of(cls, procedure: Procedure) -> ProcedureOut:
        fields: dict[str, Any] = {
            name: getattr(procedure, name) for name in cls.model_fields if name != "time_limit"
        }
        return cls(
            **fields,
            time_limit=TimeLimitOut(
                value=procedure.time_limit_value, unit=procedure.time_limit_unit
            ),
        )
