"""Use cases of the working calendar: seeding, editing, and the calendar that due dates use.

Editing the calendar never moves a due date already computed: dossiers store theirs (domain.md §3).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from types import MappingProxyType

from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar import repository
from services.calendar.models import CalendarDay, DaySource
from services.calendar.schemas import CalendarDayIn
from services.calendar.workingtime import (
    DayKind,
    OfficeHours,
    TimeUnit,
    WorkCalendar,
    vn_holidays,
    vn_weekend_workdays,
)
from services.core.cache import TTLCache, clear_all
from services.core.clock import MAX_YEAR, MIN_YEAR, as_local
from services.core.errors import NotFound, Unprocessable
from services.core.settings import Settings, get_settings

HOLIDAY_LEGAL_REF = "Bộ luật Lao động 2019, Điều 112"
MAKE_UP_DAY_NAME = "Ngày làm bù"
MAKE_UP_LEGAL_REF = "Hoán đổi ngày làm việc theo thông báo của Chính phủ"

# Overrides loaded before the start date: an effective start never looks back, but a week of slack
# costs nothing and keeps callers that compute around the start date honest.
LOOKBACK_DAYS = 7
# A time limit larger than this is not a real procedure and would only make the server loop.
MAX_TIME_LIMIT_VALUE = Decimal(1000)


def office_hours(settings: Settings) -> OfficeHours:
    return _office_hours(
        settings.office_morning_start,
        settings.office_morning_end,
        settings.office_afternoon_start,
        settings.office_afternoon_end,
        settings.same_day_cutoff,
    )


@lru_cache(maxsize=8)
def _office_hours(
    morning_start: time, morning_end: time, afternoon_start: time, afternoon_end: time, cutoff: time
) -> OfficeHours:
    # One object per set of hours: its derived figures are computed once, not per reception.
    return OfficeHours(morning_start, morning_end, afternoon_start, afternoon_end, cutoff)


async def ensure_seeded(session: AsyncSession, years: Iterable[int]) -> None:
    """Load the VN holidays and make-up days of every year not loaded yet; idempotent.

    Rows go in with ON CONFLICT DO NOTHING, so an entry made through the API wins over the
    package, and two requests seeding the same year at once do not fail.
    """
    wanted = set(years)
    missing = sorted(wanted - await repository.seeded_years(session, wanted))
    if not missing:
        return
    rows = [
        {
            "day": day,
            "kind": DayKind.HOLIDAY,
            "name": name[:255],
            "legal_ref": HOLIDAY_LEGAL_REF,
            "source": DaySource.SEED,
        }
        for day, name in vn_holidays(missing).items()
    ]
    rows += [
        {
            "day": day,
            "kind": DayKind.WORKING_DAY,
            "name": MAKE_UP_DAY_NAME,
            "legal_ref": MAKE_UP_LEGAL_REF,
            "source": DaySource.SEED,
        }
        for day in sorted(vn_weekend_workdays(missing))
    ]
    await repository.insert_days_if_absent(session, rows)
    await repository.mark_seeded(session, missing)


_calendars: TTLCache[WorkCalendar] = TTLCache("work-calendars", max_entries=1000)


async def work_calendar(session: AsyncSession, start: date, days: int = 400) -> WorkCalendar:
    """The calendar for computing due dates from ``start`` up to ``start + days``.

    Seeds the years involved on first use; once seeded this costs two small queries, and
    nothing while the process has it cached.
    """

    async def load() -> WorkCalendar:
        end = start + timedelta(days=days)
        await ensure_seeded(session, range(start.year, end.year + 1))
        overrides = await repository.day_kinds(session, start - timedelta(days=LOOKBACK_DAYS), end)
        return WorkCalendar(office_hours(get_settings()), MappingProxyType(overrides))

    return await _calendars.get((start, days), load)


async def put_day(session: AsyncSession, day: date, data: CalendarDayIn) -> CalendarDay:
    entry = await repository.upsert_day(
        session, day, data.kind, data.name, data.legal_ref, DaySource.API
    )
    clear_all()
    return entry


async def delete_day(session: AsyncSession, day: date) -> None:
    """Remove an entry: the date is then an ordinary weekday or weekend day.

    A deleted seeded holiday stays deleted: its year is already marked seeded.
    """
    if not await repository.delete_day(session, day):
        raise NotFound(f"no calendar entry on {day.isoformat()}")
    clear_all()


async def list_year(session: AsyncSession, year: int) -> list[CalendarDay]:
    await ensure_seeded(session, [year])
    return await repository.list_days(session, date(year, 1, 1), date(year, 12, 31))


@dataclass(frozen=True)
class DueDate:
    received_at: datetime
    effective_start: datetime
    due_at: datetime
    value: Decimal | None
    unit: TimeUnit


def _invalid(field: str, msg: str) -> Unprocessable:
    return Unprocessable(f"{field}: {msg}", errors=[{"loc": ["query", field], "msg": msg}])


def hours_per_day() -> Decimal:
    """Office hours in a working day (8 with the default hours): a working day's worth."""
    return office_hours(get_settings()).hours_per_day


def _window_days(value: Decimal, unit: TimeUnit, hours_per_day: Decimal) -> int:
    """Calendar days that surely contain the due date, so that every override in it is loaded."""
    slack = 31  # the longest run of days off (Tết plus weekends) with room to spare
    if unit is TimeUnit.WORKING_DAYS:
        return math.ceil(value) * 2 + slack
    if unit is TimeUnit.WORKING_HOURS:
        return math.ceil(value / hours_per_day) * 2 + slack
    if unit is TimeUnit.CALENDAR_DAYS:
        return math.ceil(value) + slack
    return slack


async def calendar_for_limit(
    session: AsyncSession, start: date, value: Decimal, unit: TimeUnit, extra_days: int = 0
) -> WorkCalendar:
    """The calendar that surely covers a time limit counted from ``start`` (plus ``extra_days``)."""
    return await work_calendar(
        session, start, _window_days(value, unit, hours_per_day()) + extra_days
    )


async def compute_due_date(
    session: AsyncSession, received_at: datetime, value: Decimal | None, unit: TimeUnit
) -> DueDate:
    """Due date of a time limit for something received at ``received_at`` (naive = local time)."""
    # Checked on the given wall time, before any zone conversion can overflow.
    if not MIN_YEAR <= received_at.year <= MAX_YEAR:
        raise _invalid("received_at", f"year must be between {MIN_YEAR} and {MAX_YEAR}")
    received_local = as_local(received_at)
    if value is None:
        if unit is not TimeUnit.SAME_DAY:
            raise _invalid("value", f"required for unit {unit.value}")
        amount = Decimal(0)
    else:
        if value > MAX_TIME_LIMIT_VALUE:
            raise _invalid("value", f"must be at most {MAX_TIME_LIMIT_VALUE}")
        if unit is TimeUnit.CALENDAR_DAYS and (value < 1 or value != value.to_integral_value()):
            raise _invalid("value", f"calendar_days needs a whole number ≥ 1, got {value}")
        amount = value
    calendar = await calendar_for_limit(session, received_local.date(), amount, unit)
    try:
        due_at = calendar.due_at(received_local, amount, unit)
        effective_start = calendar.effective_start(received_local)
    except ValueError as exc:
        raise _invalid("value", str(exc)) from exc
    return DueDate(
        received_at=received_local,
        effective_start=effective_start,
        due_at=due_at,
        value=value,
        unit=unit,
    )
