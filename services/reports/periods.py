"""Reporting periods (domain.md §7, normative): they run from the 15th to the 14th.

Quarter Q of year Y: the 15th of the month before the quarter → the 14th of its last month
(2026-Q1 = 2025-12-15 … 2026-03-14); year Y: 15 December Y−1 → 14 December Y; month M:
the 15th of M−1 → the 14th of M. Periods are dates in Asia/Ho_Chi_Minh, both ends included.
"""

from __future__ import annotations

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
