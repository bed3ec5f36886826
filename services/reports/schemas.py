"""Request and response models of the reports API (api.md "Reports")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from services.identity.schemas import AgencyCode
from services.reports.models import TargetKind


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


Number = Annotated[Decimal, PlainSerializer(_number, return_type=float)]
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


class KpiReportOut(BaseModel):
    period: PeriodOut
    agency_code: str | None
    sector_group: str | None
    indicators: list[IndicatorOut]


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
