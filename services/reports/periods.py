"""Reporting periods (domain.md §7, normative): they run from the 15th to the 14th.

Quarter Q of year Y: the 15th of the month before the quarter → the 14th of its last month
(2026-Q1 = 2025-12-15 … 2026-03-14); year Y: 15 December Y−1 → 14 December Y; month M:
the 15th of M−1 → the 14th of M. Periods are dates in Asia/Ho_Chi_Minh, both ends included.
"""

from __future__ import annotations

import re
from datetime import date


def _shift(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def month_period(year: int, month: int) -> tuple[date, date]:
    start_year, start_month = _shift(year, month, -1)
    return date(start_year, start_month, 15), date(year, month, 14)


def quarter_period(year: int, quarter: int) -> tuple[date, date]:
    if not 1 <= quarter <= 4:
        raise ValueError("quarter must be 1..4")
    first, last = 3 * quarter - 2, 3 * quarter
    return month_period(year, first)[0], date(year, last, 14)


def year_period(year: int) -> tuple[date, date]:
    return date(year - 1, 12, 15), date(year, 12, 14)


def month_containing(day: date) -> tuple[int, int]:
    """The reporting month a day belongs to: from the 15th on, it is the next month's."""
    return _shift(day.year, day.month, 1) if day.day >= 15 else (day.year, day.month)


_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
MIN_YEAR, MAX_YEAR = 2000, 2100
# A custom range longer than this is not a reporting period and would only load the server.
MAX_CUSTOM_DAYS = 3 * 366


def parse_period(text: str) -> tuple[date, date]:
    """``2026`` / ``2026-Q1`` / ``2026-03`` → (first day, last day); ValueError otherwise."""
    text = text.strip()
    if m := _YEAR.match(text):
        year = _check_year(int(m.group(1)))
        return year_period(year)
    if m := _QUARTER.match(text):
        return quarter_period(_check_year(int(m.group(1))), int(m.group(2)))
    if m := _MONTH.match(text):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"month must be 01..12, got {m.group(2)}")
        return month_period(_check_year(int(m.group(1))), month)
    raise ValueError(f"expected YYYY, YYYY-Qn or YYYY-MM, got {text!r}")


def _check_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year must be between {MIN_YEAR} and {MAX_YEAR}")
    return year


def resolve_period(period: str | None, first: date | None, last: date | None) -> tuple[date, date]:
    """Either a named period or a custom ``from``/``to`` (both included); ValueError otherwise."""
    if period is not None:
        if first is not None or last is not None:
            raise ValueError("give either period or from/to, not both")
        return parse_period(period)
    if first is None or last is None:
        raise ValueError("give period (YYYY, YYYY-Qn, YYYY-MM) or both from and to")
    if last < first:
        raise ValueError("to must not be before from")
    if (last - first).days > MAX_CUSTOM_DAYS:
        raise ValueError(f"a custom period spans at most {MAX_CUSTOM_DAYS} days")
    _check_year(first.year)
    _check_year(last.year)
    return first, last
