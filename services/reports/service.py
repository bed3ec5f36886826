"""Report use cases: scoping by agency, KPI targets' edits."""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.errors import Forbidden, Unprocessable
from services.identity import repository as identity_repo
from services.identity import service as identity_service
from services.identity.principal import Principal
from services.reports import kpi
from services.reports.indicators import BY_KEY
from services.reports.models import KpiTarget
from services.reports.periods import resolve_period
from services.reports.schemas import TargetOut, TargetsIn, TargetsOut
from services.reports.scope import ReportScope


async def scope_for(
    session: AsyncSession,
    principal: Principal,
    period: str | None,
    first: date | None,
    last: date | None,
    agency_code: str | None,
    sector_group: str | None,
) -> ReportScope:
    """Staff and keys report on their own agency; admins on any, or on all without one."""
    try:
        start, end = resolve_period(period, first, last)
    except ValueError as exc:
        loc = "period" if period is not None else "from"
        raise Unprocessable(
            f"{loc}: {exc}", errors=[{"loc": ["query", loc], "msg": str(exc)}]
        ) from exc
    if not principal.is_admin:
        if agency_code is not None and agency_code != principal.agency_code:
            raise Forbidden("You can only report on your own agency")
        agency_code = principal.agency_code
    elif agency_code is not None:
        # An unknown agency would report all zeros, as if it had received nothing.
        await identity_service.require_agency(session, agency_code)
    return ReportScope(start, end, agency_code, sector_group)


def agency_for(principal: Principal, agency_code: str | None) -> str | None:
    if principal.is_admin:
        return agency_code
    if agency_code is not None and agency_code != principal.agency_code:
        raise Forbidden("You can only read your own agency's targets")
    return principal.agency_code


async def effective_targets(
    session: AsyncSession, year: int, agency_code: str | None
) -> TargetsOut:
    goals = await kpi.targets(session, year, agency_code)
    return TargetsOut(
        year=year,
        agency_code=agency_code,
        targets=[
            TargetOut(
                key=key,
                label_vi=BY_KEY[key].label_vi,
                unit=BY_KEY[key].unit.value,
                target=target,
                kind=kind,
                source=source,
            )
            for key, (target, kind, source) in goals.items()
        ],
    )


async def put_targets(
    session: AsyncSession, principal: Principal, year: int, data: TargetsIn
) -> TargetsOut:
    unknown = sorted({t.key for t in data.targets} - BY_KEY.keys())
    if unknown:
        raise Unprocessable(f"targets: unknown indicator key(s) {', '.join(unknown)}")
    if (
        data.agency_code is not None
        and await identity_repo.get_agency(session, data.agency_code) is None
    ):
        raise Unprocessable(f"agency_code: no agency {data.agency_code}")
    rows = [
        {
            "year": year,
            "agency_code": data.agency_code,
            "key": t.key,
            "target": t.target,
            "kind": t.kind or BY_KEY[t.key].kind,
            "updated_by": principal.actor,
        }
        for t in {t.key: t for t in data.targets}.values()
    ]
    stmt = insert(KpiTarget).values(rows)
    null_agency = data.agency_code is None
    stmt = stmt.on_conflict_do_update(
        index_elements=["year", "key"] if null_agency else ["year", "agency_code", "key"],
        index_where=KpiTarget.agency_code.is_(None)
        if null_agency
        else KpiTarget.agency_code.is_not(None),
        set_={
            "target": stmt.excluded.target,
            "kind": stmt.excluded.kind,
            "updated_by": stmt.excluded.updated_by,
            "updated_at": stmt.excluded.updated_at,
        },
    )
    await session.execute(stmt)
    return await effective_targets(session, year, data.agency_code)
