"""Request and response models of the reports API (api.md "Reports")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from services.core.types import Number
from services.identity.schemas import AgencyCode
from services.reports.models import TargetKind

KIND_DOC = "min: met when value ≥ target; max: met when value ≤ target"


class PeriodOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", serialization_alias="from")
    to: date


class IndicatorOut(BaseModel):
    key: str
    label_vi: str
    unit: str = Field(description="percent (value 95.5 = 95.5 %) or ratio")
    numerator: Number
    denominator: Number
    value: Number | None = Field(description="2 decimals; null when the denominator is 0")
    target: Number | None
    target_kind: TargetKind = Field(description=KIND_DOC)
    met: bool | None = Field(description="Judged on the exact value; null without a value")


class StepPunctualityOut(BaseModel):
    """Steps of internal processes an agency completed in the period (domain.md §4b)."""

    agency_code: str
    completed: int
    before: int = Field(description="Completed before the deadline's day (trước hạn)")
    on: int = Field(description="Completed on the deadline's day, not after it (đúng hạn)")
    after: int = Field(description="Completed after the deadline (quá hạn)")
    on_time_rate: Number | None = Field(
        description="(before + on) ÷ completed, percent with 2 decimals; null without steps"
    )
    overdue_in_progress: int = Field(description="Active steps past their deadline now")


class KpiReportOut(BaseModel):
    period: PeriodOut
    agency_code: str | None
    sector_group: str | None
    indicators: list[IndicatorOut]
    step_punctuality: list[StepPunctualityOut] = Field(
        default_factory=list,
        description="Per agency holding steps: punctuality of its steps (the agency's own row "
        "for an agency report)",
    )


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(description="An indicator key of the KPI report")
    target: Decimal = Field(ge=0, le=1000, max_digits=8, decimal_places=4)
    kind: TargetKind | None = Field(
        default=None, description=KIND_DOC + ". Defaults to the indicator's own."
    )


class TargetsIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"agency_code": None, "targets": [{"key": "online_payment", "target": 60}]},
                {
                    "agency_code": "000.00.31.H56",
                    "targets": [{"key": "satisfaction", "target": 90}],
                },
            ]
        },
    )
    agency_code: AgencyCode | None = Field(
        default=None, description="null: the year's target for every agency"
    )
    targets: list[TargetIn] = Field(min_length=1, max_length=50)


class TargetOut(BaseModel):
    key: str
    label_vi: str
    unit: str
    target: Number
    kind: TargetKind = Field(description=KIND_DOC)
    source: str = Field(description="agency, year (all agencies) or default (the 2026 plan)")


class TargetsOut(BaseModel):
    year: int
    agency_code: str | None
    targets: list[TargetOut]
