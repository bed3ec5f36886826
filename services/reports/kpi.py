"""The KPI report (api.md "Reports"): every indicator's numerator and denominator, aggregated
in SQL (one statement over dossiers with FILTER clauses, and one small one per other table).

The processing-time ratio needs working time, which the calendar module defines. Rather than
looping over dossiers in Python, the calendar of the days involved is passed to PostgreSQL as
arrays — the working hours before each day, whether it is a working day, and the working hours
of a working day up to each minute — so that the working time up to an instant is two array
lookups per row (minute precision), and a sum of differences over the resolved dossiers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ARRAY, Float, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar import service as calendar_service
from services.calendar.workingtime import OfficeHours
from services.core.clock import as_local
from services.core.settings import Settings
from services.reports.indicators import INDICATORS, exact_value, is_met, on_time_sql, rounded
from services.reports.models import KpiTarget, TargetKind
from services.reports.scope import ReportScope

# Dossiers resolved in a period were mostly received within the year before it; older ones
# make the report widen the calendar window and run again.
CALENDAR_LOOKBACK_DAYS = 366
# Due dates of calendar-day and same-day procedures may lie after the period.
CALENDAR_LOOKAHEAD_DAYS = 400
LCI_GROUPS = ("land", "construction", "investment")
EPOCH = date(1970, 1, 1)
UTC_OFFSET_SECONDS = 7 * 3600  # Asia/Ho_Chi_Minh, no daylight saving


@dataclass(frozen=True)
class Count:
    numerator: Decimal
    denominator: Decimal


@dataclass(frozen=True)
class IndicatorResult:
    key: str
    label_vi: str
    unit: str
    numerator: Decimal
    denominator: Decimal
    value: Decimal | None
    target: Decimal | None
    target_kind: TargetKind
    met: bool | None


@dataclass(frozen=True)
class WorkArrays:
    start: date
    # 1.0 for a working day, 0.0 otherwise: a factor of the time of day's working hours.
    working: list[float]
    hours_before: list[float]


async def work_arrays(session: AsyncSession, start: date, end: date) -> WorkArrays:
    calendar = await calendar_service.work_calendar(session, start, (end - start).days + 1)
    hours = float(calendar.office.hours_per_day)
    working: list[float] = []
    before: list[float] = []
    total = 0.0
    day = start
    while day <= end:
        is_working = calendar.is_working_day(day)
        working.append(1.0 if is_working else 0.0)
        before.append(total)
        total += hours if is_working else 0.0
        day += timedelta(days=1)
    return WorkArrays(start, working, before)


def _minutes(t: Any) -> int:
    return int(t.hour * 60 + t.minute)


def day_minutes(office: OfficeHours) -> list[float]:
    """Working hours from midnight to each minute of a working day (1441 values)."""
    segments = [(_minutes(a), _minutes(b)) for a, b in office.segments]
    return [sum(max(0, min(m, end) - start) for start, end in segments) / 60.0 for m in range(1441)]


def _cum(column: str) -> str:
    """Working hours from the arrays' start to the instant ``column`` (NULL outside them):
    two array lookups, minute precision. Asia/Ho_Chi_Minh has had a fixed offset since 1975,
    so local days and minutes are plain arithmetic on the epoch, much cheaper than timezone()."""
    local = f"(date_part('epoch', {column}) + :utc_offset)"
    day = f"floor({local} / 86400)"
    idx = f"({day}::int - :cal_start_day + 1)"
    minute = f"(floor(({local} - {day} * 86400) / 60)::int + 1)"
    return f"((:cal_before)[{idx}] + (:cal_working)[{idx}] * (:day_minutes)[{minute}])"


def _dossier_sql(scope: ReportScope) -> str:
    first_due = "coalesce(d.original_due_at, d.due_at)"
    # Each working-time term is a sum of its own, so that every lookup runs once per row.
    legal_other = f"{_cum(first_due)} - {_cum('d.received_at')}"
    by_limit = "d.time_limit_unit IN ('working_days', 'working_hours')"
    # Only fixed fragments are interpolated; every value is a bound parameter.
    return f"""
    WITH d AS (
        SELECT d.*,
               (d.received_at >= :lo AND d.received_at < :hi) AS r,
               (d.finished_at >= :lo AND d.finished_at < :hi
                AND d.status IN ('resolved', 'returned')) AS f,
               ({first_due} >= :lo AND {first_due} < :hi
                AND coalesce(d.finished_at, :now) > {first_due}) AS o
        FROM dossiers d
        WHERE {scope.dossier_filter()}
          AND ((d.received_at >= :lo AND d.received_at < :hi)
               OR (d.finished_at >= :lo AND d.finished_at < :hi)
               OR ({first_due} >= :lo AND {first_due} < :hi))
    )
    SELECT
        count(*) FILTER (WHERE r) AS received,
        count(*) FILTER (WHERE r AND channel = 'online') AS received_online,
        count(*) FILTER (WHERE r AND online_level = 'full') AS received_full_level,
        count(*) FILTER (WHERE r AND online_level = 'full' AND channel = 'online')
            AS received_full_online,
        count(*) FILTER (WHERE r AND fee_amount_vnd > 0) AS payable,
        count(*) FILTER (WHERE r AND fee_amount_vnd > 0 AND fee_paid_online) AS paid_online,
        count(*) FILTER (WHERE r AND digitized) AS digitized,
        count(*) FILTER (WHERE r AND portal_sync = 'synced') AS synced,
        count(*) FILTER (WHERE r AND reused_data) AS reused,
        count(*) FILTER (WHERE f) AS resolved,
        count(*) FILTER (WHERE f AND {on_time_sql()})
            AS resolved_on_time,
        count(*) FILTER (WHERE f AND electronic_result) AS resolved_electronic,
        count(*) FILTER (WHERE f AND sector_group = 'certification') AS certified,
        count(*) FILTER (WHERE f AND sector_group = 'certification' AND electronic_result)
            AS certified_electronic,
        count(*) FILTER (WHERE o) AS overdue,
        count(*) FILTER (WHERE o AND id IN (
            SELECT a.dossier_id FROM apologies a WHERE a.status = 'sent'))
            AS overdue_apologised,
        coalesce(sum({_cum("d.finished_at")}) FILTER (WHERE f), 0)
            - coalesce(sum({_cum("d.received_at")}) FILTER (WHERE f), 0) AS used_hours,
        coalesce(sum(time_limit_value) FILTER (WHERE f AND time_limit_unit = 'working_days'), 0)
            * :hours_per_day
            + coalesce(sum(time_limit_value)
                       FILTER (WHERE f AND time_limit_unit = 'working_hours'), 0)
            + coalesce(sum({legal_other}) FILTER (WHERE f AND NOT {by_limit}), 0)
            AS legal_hours,
        min(received_at) FILTER (WHERE f) AS first_received,
        max({first_due}) FILTER (WHERE f AND NOT {by_limit}) AS last_due
    FROM d
    """  # noqa: S608


def _dossier_statement(scope: ReportScope) -> Any:
    return text(_dossier_sql(scope)).bindparams(
        bindparam("cal_before", type_=ARRAY(Float)),
        bindparam("cal_working", type_=ARRAY(Float)),
        bindparam("day_minutes", type_=ARRAY(Float)),
    )


async def _dossier_counts(
    session: AsyncSession, scope: ReportScope, now: datetime, settings: Settings
) -> dict[str, Any]:
    office = calendar_service.office_hours(settings)
    minutes = day_minutes(office)
    end = scope.last + timedelta(days=CALENDAR_LOOKAHEAD_DAYS)
    start = scope.first - timedelta(days=CALENDAR_LOOKBACK_DAYS)
    while True:
        arrays = await work_arrays(session, start, end)
        params = {
            **scope.params(),
            "now": now,
            "cal_start_day": (arrays.start - EPOCH).days,
            "utc_offset": UTC_OFFSET_SECONDS,
            "cal_before": arrays.hours_before,
            "cal_working": arrays.working,
            "day_minutes": minutes,
            "hours_per_day": office.hours_per_day,
        }
        # One large aggregate of cheap expressions: compiling it (JIT) costs more than it saves.
        await session.execute(text("SET LOCAL jit = off"))
        row = (await session.execute(_dossier_statement(scope), params)).mappings().one()
        first_received: datetime | None = row["first_received"]
        last_due: datetime | None = row["last_due"]
        # A resolved dossier received before the window, or due after it (a long calendar-day
        # limit): widen the window once to cover it, else its legal time would count as none.
        widened = False
        if first_received is not None and as_local(first_received).date() < start:
            start, widened = first_received.date() - timedelta(days=1), True
        if last_due is not None and as_local(last_due).date() >= end:
            end, widened = as_local(last_due).date() + timedelta(days=1), True
        if widened:
            continue
        return dict(row)


async def _rating_counts(session: AsyncSession, scope: ReportScope) -> dict[str, Any]:
    agency = (
        "(receiving_agency_code = :agency OR resolving_agency_code = :agency)"
        if scope.agency_code is not None
        else "TRUE"
    )
    group = "sector_group = :sector_group" if scope.sector_group is not None else "TRUE"
    sql = f"""
    SELECT count(*) AS ratings,
           count(*) FILTER (WHERE rating IN ('very_satisfied', 'satisfied')) AS satisfied,
           count(*) FILTER (WHERE sector_group = ANY(:lci)) AS lci_ratings,
           count(*) FILTER (WHERE sector_group = ANY(:lci)
                            AND rating IN ('very_satisfied', 'satisfied')) AS lci_satisfied
    FROM ratings
    WHERE rated_at >= :lo AND rated_at < :hi AND {agency} AND {group}
    """  # noqa: S608
    params = {**scope.params(), "lci": list(LCI_GROUPS)}
    return dict((await session.execute(text(sql), params)).mappings().one())


async def _feedback_counts(
    session: AsyncSession, scope: ReportScope, now: datetime
) -> dict[str, Any]:
    agency = "agency_code = :agency" if scope.agency_code is not None else "TRUE"
    sql = f"""
    SELECT count(*) FILTER (WHERE closed_at IS NOT NULL OR due_at < :now) AS decided,
           count(*) FILTER (WHERE closed_at IS NOT NULL AND NOT late) AS on_time
    FROM feedback
    WHERE received_at >= :lo AND received_at < :hi AND {agency}
    """  # noqa: S608
    return dict((await session.execute(text(sql), {**scope.params(), "now": now})).mappings().one())


async def _procedure_counts(session: AsyncSession, scope: ReportScope) -> dict[str, Any]:
    group = "sector_group = :sector_group" if scope.sector_group is not None else "TRUE"
    sql = f"""
    SELECT count(*) AS procedures, count(*) FILTER (WHERE boundary_free) AS boundary_free
    FROM procedures WHERE is_active AND {group}
    """  # noqa: S608
    return dict((await session.execute(text(sql), scope.params())).mappings().one())


async def counts(
    session: AsyncSession, scope: ReportScope, now: datetime, settings: Settings
) -> dict[str, Count]:
    d = await _dossier_counts(session, scope, now, settings)
    r = await _rating_counts(session, scope)
    fb = await _feedback_counts(session, scope, now)
    p = await _procedure_counts(session, scope)

    def c(numerator: Any, denominator: Any) -> Count:
        return Count(Decimal(str(numerator)), Decimal(str(denominator)))

    return {
        "on_time": c(d["resolved_on_time"], d["resolved"]),
        "online_receipt": c(d["received_online"], d["received"]),
        "full_online": c(d["received_full_online"], d["received_full_level"]),
        "online_payment": c(d["paid_online"], d["payable"]),
        "digitization": c(d["digitized"], d["received"]),
        "electronic_result": c(d["resolved_electronic"], d["resolved"]),
        "electronic_certified_copy": c(d["certified_electronic"], d["certified"]),
        "portal_sync": c(d["synced"], d["received"]),
        "data_reuse": c(d["reused"], d["received"]),
        "satisfaction": c(r["satisfied"], r["ratings"]),
        "satisfaction_land_construction_investment": c(r["lci_satisfied"], r["lci_ratings"]),
        "apology_compliance": c(d["overdue_apologised"], d["overdue"]),
        "feedback_on_time": c(fb["on_time"], fb["decided"]),
        "processing_time_ratio": c(d["used_hours"], d["legal_hours"]),
        "boundary_free_procedures": c(p["boundary_free"], p["procedures"]),
    }


async def targets(
    session: AsyncSession, year: int, agency_code: str | None
) -> dict[str, tuple[Decimal, TargetKind, str]]:
    """key → (target, kind, source): the agency's own target, else the year's, else the
    2026 plan's default."""
    effective = {i.key: (i.default_target, i.kind, "default") for i in INDICATORS}
    stmt = select(KpiTarget).where(KpiTarget.year == year)
    stmt = stmt.where(
        KpiTarget.agency_code.is_(None)
        if agency_code is None
        else (KpiTarget.agency_code.is_(None) | (KpiTarget.agency_code == agency_code))
    )
    # Rows for all agencies first, so that an agency's own row overwrites them.
    rows = sorted(await session.scalars(stmt), key=lambda t: t.agency_code is not None)
    for row in rows:
        if row.key in effective:
            effective[row.key] = (row.target, row.kind, "agency" if row.agency_code else "year")
    return effective


async def report(
    session: AsyncSession, scope: ReportScope, now: datetime, settings: Settings
) -> list[IndicatorResult]:
    figures = await counts(session, scope, now, settings)
    goals = await targets(session, scope.year, scope.agency_code)
    results = []
    for indicator in INDICATORS:
        count = figures[indicator.key]
        target, kind, _ = goals[indicator.key]
        value = exact_value(indicator, count.numerator, count.denominator)
        results.append(
            IndicatorResult(
                key=indicator.key,
                label_vi=indicator.label_vi,
                unit=indicator.unit.value,
                numerator=count.numerator,
                denominator=count.denominator,
                value=rounded(value),
                target=target,
                target_kind=kind,
                met=is_met(value, target, kind),
            )
        )
    return results


async def step_punctuality(
    session: AsyncSession, scope: ReportScope, now: datetime
) -> list[dict[str, Any]]:
    """Per agency: its process steps completed in the period, judged before / on / after their
    deadline, and its active steps already late."""
    agency = "s.agency_code = :agency" if scope.agency_code is not None else "TRUE"
    group = "d.sector_group = :sector_group" if scope.sector_group is not None else "TRUE"
    sql = f"""
    SELECT s.agency_code,
           count(*) FILTER (WHERE s.status = 'completed' AND s.completed_at >= :lo
                            AND s.completed_at < :hi) AS completed,
           count(*) FILTER (WHERE s.result = 'before' AND s.completed_at >= :lo
                            AND s.completed_at < :hi) AS "before",
           count(*) FILTER (WHERE s.result = 'on' AND s.completed_at >= :lo
                            AND s.completed_at < :hi) AS "on",
           count(*) FILTER (WHERE s.result = 'after' AND s.completed_at >= :lo
                            AND s.completed_at < :hi) AS "after",
           count(*) FILTER (WHERE s.status = 'active' AND s.due_at < :now) AS overdue_in_progress
    FROM dossier_steps s JOIN dossiers d ON d.id = s.dossier_id
    WHERE s.agency_code IS NOT NULL AND {agency} AND {group}
      AND ((s.completed_at >= :lo AND s.completed_at < :hi)
           OR (s.status = 'active' AND s.due_at < :now))
    GROUP BY s.agency_code
    ORDER BY s.agency_code
    """  # noqa: S608
    rows = (await session.execute(text(sql), {**scope.params(), "now": now})).mappings()
    result = []
    for row in rows:
        done = row["completed"]
        rate = Decimal(row["before"] + row["on"]) * 100 / done if done else None
        result.append({**row, "on_time_rate": rounded(rate)})
    return result
