"""Report routes (api.md "Reports"): KPIs with their targets, and Biểu 06."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.clock import utcnow
from services.core.db import ReportSessionDep, SessionDep
from services.core.errors import error_responses
from services.core.settings import get_settings
from services.identity import repository as identity_repo
from services.identity.dependencies import STAFF, AdminOnly, allow
from services.identity.principal import Principal
from services.procedures.models import SectorGroup
from services.procedures.schemas import SECTOR_GROUP_DOC
from services.reports import form06, kpi, service
from services.reports.schemas import (
    IndicatorOut,
    KpiReportOut,
    PeriodOut,
    StepPunctualityOut,
    TargetsIn,
    TargetsOut,
)
from services.reports.scope import ReportScope

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

Reader = Annotated[Principal, allow(*STAFF, scope="reports:read")]
PERIOD_DOC = (
    "`YYYY`, `YYYY-Qn` or `YYYY-MM`; periods run from the 15th to the 14th (2026-Q1 = "
    "2025-12-15 … 2026-03-14; 2026 = 2025-12-15 … 2026-12-14). Or give `from` and `to`."
)
PeriodQuery = Annotated[
    str | None, Query(max_length=16, description=PERIOD_DOC, examples=["2026-Q1"])
]
FromQuery = Annotated[date | None, Query(alias="from", description="First day, included")]
ToQuery = Annotated[date | None, Query(description="Last day, included")]
AgencyQuery = Annotated[
    str | None,
    Query(max_length=35, description="Defaults to the caller's agency; admins: all agencies."),
]
GroupQuery = Annotated[SectorGroup | None, Query(description=SECTOR_GROUP_DOC)]


@router.get(
    "/kpi",
    response_model=KpiReportOut,
    operation_id="get_kpi_report",
    summary="KPI report",
    description="Every indicator of the commune plans for the period: numerator, denominator, "
    "value (percent, or a ratio for `processing_time_ratio`; 2 decimals; null when the "
    "denominator is 0), target and whether it is met. Targets are those of the year the "
    "period ends in (editable by admins). Staff see their own agency; 403 for another.",
    responses=error_responses(401, 403, 422),
)
async def get_kpi_report(
    session: ReportSessionDep,
    principal: Reader,
    period: PeriodQuery = None,
    from_: FromQuery = None,
    to: ToQuery = None,
    agency_code: AgencyQuery = None,
    sector_group: GroupQuery = None,
) -> KpiReportOut:
    scope = await service.scope_for(
        session,
        principal,
        period,
        from_,
        to,
        agency_code,
        sector_group.value if sector_group else None,
    )
    results = await kpi.report(session, scope, utcnow(), get_settings())
    return KpiReportOut(
        period=PeriodOut(from_=scope.first, to=scope.last),
        agency_code=scope.agency_code,
        sector_group=scope.sector_group,
        indicators=[IndicatorOut.model_validate(r, from_attributes=True) for r in results],
        step_punctuality=[
            StepPunctualityOut.model_validate(row)
            for row in await kpi.step_punctuality(session, scope, utcnow())
        ],
    )


@router.get(
    "/kpi-targets",
    response_model=TargetsOut,
    operation_id="get_kpi_targets",
    summary="KPI targets in force",
    description="The targets of a year for an agency: its own, else the year's for every "
    "agency, else the 2026 plan's defaults, with where each comes from.",
    responses=error_responses(401, 403, 422),
)
async def get_kpi_targets(
    session: SessionDep,
    principal: Reader,
    year: Annotated[int, Query(ge=2000, le=2100)],
    agency_code: AgencyQuery = None,
) -> TargetsOut:
    return await service.effective_targets(
        session, year, service.agency_for(principal, agency_code)
    )


@router.put(
    "/kpi-targets/{year}",
    response_model=TargetsOut,
    operation_id="put_kpi_targets",
    summary="Set KPI targets (admin)",
    description="Sets targets of a year, for every agency (`agency_code` null) or for one. "
    "Targets are in the indicator's unit (95 = 95 %; 0.5 for the processing-time ratio).",
    responses=error_responses(401, 403, 422),
)
async def put_kpi_targets(
    year: Annotated[int, Path(ge=2000, le=2100)],
    data: TargetsIn,
    session: SessionDep,
    principal: AdminOnly,
) -> TargetsOut:
    return await service.put_targets(session, principal, year, data)


class Form06Format(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/form-06",
    operation_id="get_form_06",
    summary="Biểu 06: dossiers per sector",
    description="Circular 01/2020/TT-VPCP, per sector: received (total, online, in person or "
    "postal, carried over), resolved (total, before due, on due, overdue), in progress at the "
    "period's end (total, within due, overdue). As JSON, CSV (UTF-8) or XLSX with the "
    "Vietnamese headers.",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/json": {},
                "text/csv": {},
                XLSX_TYPE: {},
            }
        },
        **error_responses(401, 403, 422),
    },
)
async def get_form_06(
    session: ReportSessionDep,
    principal: Reader,
    period: PeriodQuery = None,
    from_: FromQuery = None,
    to: ToQuery = None,
    agency_code: AgencyQuery = None,
    sector_group: GroupQuery = None,
    format_: Annotated[Form06Format, Query(alias="format")] = Form06Format.JSON,
) -> Response:
    scope = await service.scope_for(
        session,
        principal,
        period,
        from_,
        to,
        agency_code,
        sector_group.value if sector_group else None,
    )
    rows = await form06.rows(session, scope, utcnow())
    name = f"bieu-06_{scope.first:%Y%m%d}-{scope.last:%Y%m%d}"
    if format_ is Form06Format.CSV:
        return _download(form06.as_csv(rows), "text/csv; charset=utf-8", f"{name}.csv")
    if format_ is Form06Format.XLSX:
        agency = await _agency_name(session, scope)
        content = form06.as_xlsx(rows, scope.first, scope.last, agency)
        return _download(content, XLSX_TYPE, f"{name}.xlsx")
    body: Any = form06.as_json(rows, scope.first, scope.last)
    body["agency_code"] = scope.agency_code
    return JSONResponse(body)


async def _agency_name(session: AsyncSession, scope: ReportScope) -> str | None:
    if scope.agency_code is None:
        return None
    agency = await identity_repo.get_agency(session, scope.agency_code)
    return agency.name if agency else scope.agency_code


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
