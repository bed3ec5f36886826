from __future__ import annotations

from datetime import date

import pytest

from services.reports.periods import parse_period, resolve_period


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2026-Q1", date(2025, 12, 15), date(2026, 3, 14)),
        ("2026-q2", date(2026, 3, 15), date(2026, 6, 14)),
        ("2026-Q4", date(2026, 9, 15), date(2026, 12, 14)),
        ("2026", date(2025, 12, 15), date(2026, 12, 14)),
        ("2026-03", date(2026, 2, 15), date(2026, 3, 14)),
        ("2026-01", date(2025, 12, 15), date(2026, 1, 14)),
        (" 2026-12 ", date(2026, 11, 15), date(2026, 12, 14)),
    ],
)
def test_named_periods_run_from_the_15th_to_the_14th(text: str, first: date, last: date) -> None:
    assert parse_period(text) == (first, last)


@pytest.mark.parametrize("text", ["2026-Q5", "2026-Q0", "2026-13", "2026-00", "26", "Q1", "1999"])
def test_bad_periods_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_period(text)


def test_custom_ranges() -> None:
    assert resolve_period(None, date(2026, 1, 1), date(2026, 1, 31)) == (
        date(2026, 1, 1),
        date(2026, 1, 31),
    )
    for args in (
        (None, None, None),
        (None, date(2026, 1, 1), None),
        (None, date(2026, 2, 1), date(2026, 1, 1)),
        ("2026", date(2026, 1, 1), date(2026, 1, 2)),
        (None, date(2020, 1, 1), date(2026, 1, 1)),
    ):
        with pytest.raises(ValueError):
            resolve_period(*args)
