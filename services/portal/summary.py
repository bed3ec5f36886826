"""The summary the worker pushes to the portal: per agency, counts by state, the current
reporting period's reception and resolution, overdue dossiers with their apology status, and
the KPI values available. Aggregated in SQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.apologies.models import Apology
from services.core.clock import LOCAL_ZONE, as_local
from services.dossiers.models import Channel, Dossier
from services.portal.mapping import STATUS_CODE, portal_time
from services.reports.indicators import on_time_sql
from services.reports.periods import month_containing, month_period

OVERDUE_LISTED = 500  # the portal takes a bounded list; the count is always exact


def _rate(numerator: int, denominator: int) -> float | None:
    return round(100 * numerator / denominator, 2) if denominator else None


async def agency_summary(session: AsyncSession, agency: str, now: datetime) -> dict[str, Any]:
    local_today = as_local(now).date()
    start_day, end_day = month_period(*month_containing(local_today))
    start = datetime.combine(start_day, datetime.min.time(), LOCAL_ZONE)
    end = datetime.combine(end_day, datetime.min.time(), LOCAL_ZONE) + timedelta(days=1)
    mine = Dossier.receiving_agency_code == agency

    by_status = dict(
        (
            await session.execute(
                select(Dossier.status, func.count()).where(mine).group_by(Dossier.status)
            )
        )
        .tuples()
        .all()
    )
    in_period = and_(Dossier.received_at >= start, Dossier.received_at < end)
    resolved = and_(Dossier.finished_at >= start, Dossier.finished_at < end)
    row = (
        await session.execute(
            select(
                func.count().filter(in_period),
                func.count().filter(in_period, Dossier.channel == Channel.ONLINE),
                func.count().filter(resolved),
                func.count().filter(resolved, text(on_time_sql())),
            ).where(mine)
        )
    ).one()
    received, online, finished, on_time = (int(v) for v in row)

    overdue = and_(mine, Dossier.finished_at.is_(None), Dossier.due_at < now)
    overdue_count = await session.scalar(select(func.count()).where(overdue)) or 0
    listed = (
        await session.execute(
            select(
                Dossier.code,
                Dossier.due_at,
                func.coalesce(Apology.status, "none"),
                case((Apology.sent_at.is_(None), None), else_=Apology.issued_late),
            )
            .outerjoin(Apology, Apology.dossier_id == Dossier.id)
            .where(overdue)
            .order_by(Dossier.due_at)
            .limit(OVERDUE_LISTED)
        )
    ).all()
    return {
        "MaDonVi": agency,
        "ThoiDiem": portal_time(now),
        "KyBaoCao": {"TuNgay": start_day.isoformat(), "DenNgay": end_day.isoformat()},
        "SoHoSoTheoTrangThai": {str(STATUS_CODE[s]): n for s, n in by_status.items()},
        "TiepNhanTrongKy": received,
        "TiepNhanTrucTuyenTrongKy": online,
        "GiaiQuyetTrongKy": finished,
        "GiaiQuyetDungHanTrongKy": on_time,
        "SoHoSoQuaHan": overdue_count,
        "HoSoQuaHan": [
            {
                "MaHoSo": code,
                "NgayHenTra": portal_time(due),
                "TrangThaiXinLoi": status,
                "XinLoiMuon": late,
            }
            for code, due, status, late in listed
        ],
        "ChiSo": {"on_time": _rate(on_time, finished), "online_receipt": _rate(online, received)},
    }


async def agencies_with_dossiers(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(Dossier.receiving_agency_code).distinct()))
