"""Working-time arithmetic for the one-stop shop (domain.md §3).

Pure functions over a :class:`WorkCalendar`; no I/O. All business rules run on the
Asia/Ho_Chi_Minh wall clock, whatever zone the input instants carry.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from holidays import HolidayBase

__all__ = [
    "ZONE",
    "DayKind",
    "OfficeHours",
    "TimeUnit",
    "WorkCalendar",
    "hours_to_timedelta",
    "vn_holidays",
    "vn_weekend_workdays",
]

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")

# Upper bound on consecutive non-working days we are willing to scan (≈ 10 years).
MAX_SCAN_DAYS = 3660

_MICROSECONDS_PER_HOUR = Decimal(3_600_000_000)
_ZERO = timedelta(0)


class DayKind(StrEnum):
    HOLIDAY = "holiday"
    DAY_OFF = "day_off"
    WORKING_DAY = "working_day"


class TimeUnit(StrEnum):
    WORKING_DAYS = "working_days"
    WORKING_HOURS = "working_hours"
    CALENDAR_DAYS = "calendar_days"
    SAME_DAY = "same_day"


def _to_decimal(value: Decimal | float, what: str) -> Decimal:
    if isinstance(value, bool):
        raise TypeError(f"{what} must be a number, not bool")
    # str() of a float is its shortest repr: 0.1 becomes Decimal("0.1"), not the binary expansion.
    dec = value if isinstance(value, Decimal) else Decimal(str(value))
    if not dec.is_finite():
        raise ValueError(f"{what} must be finite, got {value!r}")
    if dec < 0:
        raise ValueError(f"{what} must not be negative, got {value!r}")
    return dec


def hours_to_timedelta(hours: Decimal | float) -> timedelta:
    """Convert a non-negative number of hours to a timedelta, rounded to the microsecond."""
    micros = (_to_decimal(hours, "hours") * _MICROSECONDS_PER_HOUR).to_integral_value(
        rounding=ROUND_HALF_EVEN
    )
    return timedelta(microseconds=int(micros))


def _local(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"datetime must be timezone-aware, got naive {at!r}")
    return at.astimezone(ZONE)


def _at(d: date, t: time) -> datetime:
    return datetime.combine(d, t, tzinfo=ZONE)


def _span(start: time, end: time) -> timedelta:
    anchor = date(2000, 1, 1)
    return datetime.combine(anchor, end) - datetime.combine(anchor, start)


@dataclass(frozen=True)
class OfficeHours:
    morning_start: time = time(7, 30)
    morning_end: time = time(11, 30)
    afternoon_start: time = time(13, 0)
    afternoon_end: time = time(17, 0)
    same_day_cutoff: time = time(15, 0)

    def __post_init__(self) -> None:
        times = (self.morning_start, self.morning_end, self.afternoon_start, self.afternoon_end)
        if any(t.tzinfo is not None for t in (*times, self.same_day_cutoff)):
            raise ValueError("office hours are local wall-clock times and must be naive")
        if not (self.morning_start < self.morning_end <= self.afternoon_start < self.afternoon_end):
            raise ValueError(
                "office hours must satisfy morning_start < morning_end"
                " <= afternoon_start < afternoon_end"
            )

    # Cached: each reception reads them several times (frozen, so they never change).
    @cached_property
    def segments(self) -> tuple[tuple[time, time], tuple[time, time]]:
        return (
            (self.morning_start, self.morning_end),
            (self.afternoon_start, self.afternoon_end),
        )

    @cached_property
    def day_length(self) -> timedelta:
        return sum((_span(a, b) for a, b in self.segments), _ZERO)

    @cached_property
    def hours_per_day(self) -> Decimal:
        """Working hours in one working day (8 with the default hours)."""
        micros = self.day_length // timedelta(microseconds=1)
        return Decimal(micros) / _MICROSECONDS_PER_HOUR


def _weekdays_in(first: date, last: date) -> int:
    """Number of Monday-to-Friday dates in the inclusive range [first, last]."""
    if last < first:
        return 0
    total = (last - first).days + 1
    weeks, rest = divmod(total, 7)
    count = weeks * 5
    wd = first.weekday()
    for i in range(rest):
        if (wd + i) % 7 < 5:
            count += 1
    return count


@dataclass(frozen=True)
class WorkCalendar:
    office: OfficeHours = field(default_factory=OfficeHours)
    overrides: Mapping[date, DayKind] = field(default_factory=lambda: MappingProxyType({}))

    # ---- days -------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        kind = self.overrides.get(d)
        if kind is None:
            return d.weekday() < 5
        return DayKind(kind) is DayKind.WORKING_DAY

    def is_office_time(self, at: datetime) -> bool:
        """``at`` (local wall clock) falls on a working day, inside a morning or afternoon."""
        return self.is_working_day(at.date()) and any(
            start <= at.time() <= end for start, end in self.office.segments
        )

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        candidate = d
        for _ in range(MAX_SCAN_DAYS):
            candidate += timedelta(days=1)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"no working day within {MAX_SCAN_DAYS} days after {d.isoformat()}")

    def _working_day_on_or_after(self, d: date) -> date:
        return d if self.is_working_day(d) else self.next_working_day(d)

    def _working_days_in(self, first: date, last: date) -> int:
        """Number of working days in the inclusive range [first, last], without a day loop."""
        if last < first:
            return 0
        count = _weekdays_in(first, last)
        for d, kind in self.overrides.items():
            if first <= d <= last:
                is_weekday = d.weekday() < 5
                working = DayKind(kind) is DayKind.WORKING_DAY
                if is_weekday and not working:
                    count -= 1
                elif not is_weekday and working:
                    count += 1
        return count

    # ---- instants ---------------------------------------------------------------------------

    def _opening(self, d: date) -> datetime:
        return _at(d, self.office.morning_start)

    def closing_on_or_after(self, d: date) -> datetime:
        """Closing time of the first working day on or after ``d``: where a limit counted in
        calendar days ends."""
        return self._closing(self._working_day_on_or_after(d))

    def _closing(self, d: date) -> datetime:
        return _at(d, self.office.afternoon_end)

    def effective_start(self, at: datetime) -> datetime:
        """When the clock starts for something received at ``at`` (tz-aware, any zone)."""
        local = _local(at)
        d = local.date()
        if self.is_working_day(d):
            t = local.timetz().replace(tzinfo=None)
            office = self.office
            if t < office.morning_start:
                return self._opening(d)
            if t < office.morning_end:
                return local
            if t < office.afternoon_start:
                return _at(d, office.afternoon_start)
            if t < office.afternoon_end:
                return local
        return self._opening(self.next_working_day(d))

    def _segments_of(self, d: date) -> Iterator[tuple[datetime, datetime]]:
        for a, b in self.office.segments:
            yield _at(d, a), _at(d, b)

    def add_working_time(self, start: datetime, hours: Decimal | float) -> datetime:
        """``start`` plus ``hours`` of office time on working days.

        A result exactly on a closing time stays there (17:00, or 11:30 for the lunch break).
        """
        remaining = hours_to_timedelta(hours)
        cursor = self.effective_start(start)
        day = cursor.date()
        day_length = self.office.day_length
        while True:
            if cursor == self._opening(day) and remaining > day_length:
                # Whole day consumed: skip it without looking at segments.
                remaining -= day_length
            else:
                for seg_start, seg_end in self._segments_of(day):
                    if seg_end <= cursor:
                        continue
                    begin = max(cursor, seg_start)
                    available = seg_end - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day = self.next_working_day(day)
            cursor = self._opening(day)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Office time on working days inside [start, end]; zero if ``end <= start``."""
        lo, hi = _local(start), _local(end)
        if hi <= lo:
            return _ZERO
        first, last = lo.date(), hi.date()
        if first == last:
            return self._day_overlap(first, lo, hi)
        total = self._day_overlap(first, lo, self._closing(first))
        total += self._day_overlap(last, self._opening(last), hi)
        inner = self._working_days_in(first + timedelta(days=1), last - timedelta(days=1))
        return total + inner * self.office.day_length

    def _day_overlap(self, d: date, lo: datetime, hi: datetime) -> timedelta:
        if not self.is_working_day(d):
            return _ZERO
        total = _ZERO
        for seg_start, seg_end in self._segments_of(d):
            overlap = min(hi, seg_end) - max(lo, seg_start)
            if overlap > _ZERO:
                total += overlap
        return total

    # ---- due dates --------------------------------------------------------------------------

    def due_at(self, received_at: datetime, value: Decimal | float, unit: TimeUnit) -> datetime:
        """Due instant (in ZONE) for a time limit of ``value`` ``unit`` received at ``received_at``.

        ``value`` is ignored for ``same_day``; ``calendar_days`` needs a whole number ≥ 1.
        """
        unit = TimeUnit(unit)
        if unit is TimeUnit.WORKING_DAYS:
            days = _to_decimal(value, "value")
            return self.add_working_time(received_at, days * self.office.hours_per_day)
        if unit is TimeUnit.WORKING_HOURS:
            return self.add_working_time(received_at, _to_decimal(value, "value"))
        local = _local(received_at)
        if unit is TimeUnit.CALENDAR_DAYS:
            days = _to_decimal(value, "value")
            if days != days.to_integral_value() or days < 1:
                raise ValueError(f"calendar_days needs a whole number >= 1, got {value!r}")
            target = local.date() + timedelta(days=int(days))
            return self.closing_on_or_after(target)
        # SAME_DAY
        d = local.date()
        cutoff = self.office.same_day_cutoff
        if self.is_working_day(d) and local.timetz().replace(tzinfo=None) < cutoff:
            return self._closing(d)
        return self._closing(self.next_working_day(d))


def _vn_country_holidays(years: Iterable[int], language: str | None) -> HolidayBase:
    # Imported lazily: only calendar seeding needs the package, the arithmetic above does not.
    import holidays

    return holidays.country_holidays("VN", years=sorted(set(years)), language=language)


def vn_holidays(years: Iterable[int], *, language: str | None = "vi") -> dict[date, str]:
    """Public holidays of Vietnam (incl. substituted days off) by date, for seeding the calendar.

    ``language`` is one the package supports for VN ("vi", "en_US", "th").
    """
    calendar = _vn_country_holidays(years, language)
    return {d: str(name) for d, name in sorted(calendar.items())}


def vn_weekend_workdays(years: Iterable[int]) -> set[date]:
    """Weekend days decreed working days (làm bù) that the ``holidays`` package knows of."""
    wanted = set(years)
    calendar = _vn_country_holidays(wanted, None)
    return {d for d in calendar.weekend_workdays if d.year in wanted}
