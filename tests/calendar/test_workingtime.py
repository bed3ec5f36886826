from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.calendar.workingtime import (
    ZONE,
    DayKind,
    OfficeHours,
    TimeUnit,
    WorkCalendar,
    hours_to_timedelta,
    vn_holidays,
    vn_weekend_workdays,
)

PLAIN = WorkCalendar(OfficeHours(), {})


def vn(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=ZONE)


def tet_2026() -> WorkCalendar:
    days = {date(2026, 2, 14) + timedelta(days=i): DayKind.HOLIDAY for i in range(9)}
    return WorkCalendar(OfficeHours(), days)


# 2026-03-02 is a Monday; the week 2026-03-02..06 has no holidays.
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 3, 2) + timedelta(days=i) for i in range(7))


def at(d: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(d, time(hh, mm), tzinfo=ZONE)


# ---- office hours and days -----------------------------------------------------------------


def test_hours_per_day_is_eight() -> None:
    assert OfficeHours().hours_per_day == 8


def test_invalid_office_hours_rejected() -> None:
    with pytest.raises(ValueError):
        OfficeHours(morning_start=time(12, 0))


def test_office_time_is_a_working_day_inside_a_morning_or_an_afternoon() -> None:
    cal = WorkCalendar(OfficeHours(), {TUE: DayKind.HOLIDAY, SAT: DayKind.WORKING_DAY})
    inside = [at(MON, 7, 30), at(MON, 11, 30), at(MON, 13), at(MON, 17), at(SAT, 9)]
    outside = [at(MON, 7, 29), at(MON, 12), at(MON, 17, 1), at(TUE, 9), at(SUN, 9), at(SUN, 3)]
    assert [cal.is_office_time(t) for t in inside] == [True] * len(inside)
    assert [cal.is_office_time(t) for t in outside] == [False] * len(outside)


def test_weekends_and_overrides() -> None:
    cal = WorkCalendar(OfficeHours(), {MON: DayKind.DAY_OFF, SAT: DayKind.WORKING_DAY})
    assert not cal.is_working_day(MON)
    assert cal.is_working_day(TUE)
    assert cal.is_working_day(SAT)
    assert not cal.is_working_day(SUN)
    assert not PLAIN.is_working_day(SAT)
    # a holiday override on a weekend day changes nothing
    assert not WorkCalendar(OfficeHours(), {SUN: DayKind.HOLIDAY}).is_working_day(SUN)


def test_next_working_day_is_strictly_after() -> None:
    assert PLAIN.next_working_day(MON) == TUE
    assert PLAIN.next_working_day(FRI) == MON + timedelta(days=7)
    assert PLAIN.next_working_day(SAT) == MON + timedelta(days=7)


def test_next_working_day_gives_up() -> None:
    every_day_off = {MON + timedelta(days=i): DayKind.HOLIDAY for i in range(4000)}
    with pytest.raises(ValueError):
        WorkCalendar(OfficeHours(), every_day_off).next_working_day(MON)


# ---- effective start -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (at(TUE, 9, 15), at(TUE, 9, 15)),  # in hours
        (at(TUE, 7, 30), at(TUE, 7, 30)),  # exactly at opening
        (at(TUE, 6, 0), at(TUE, 7, 30)),  # before opening
        (at(TUE, 11, 30), at(TUE, 13, 0)),  # start of lunch
        (at(TUE, 12, 10), at(TUE, 13, 0)),  # lunch
        (at(TUE, 13, 0), at(TUE, 13, 0)),
        (at(TUE, 17, 0), at(WED, 7, 30)),  # at closing
        (at(TUE, 21, 0), at(WED, 7, 30)),  # after closing
        (at(FRI, 17, 30), at(MON + timedelta(days=7), 7, 30)),
        (at(SAT, 10, 0), at(MON + timedelta(days=7), 7, 30)),  # weekend
        (at(SUN, 23, 59), at(MON + timedelta(days=7), 7, 30)),
    ],
)
def test_effective_start(received: datetime, expected: datetime) -> None:
    got = PLAIN.effective_start(received)
    assert got == expected
    assert got.tzinfo is ZONE


def test_effective_start_converts_utc() -> None:
    # 2026-03-03 01:00Z = 08:00 in Hanoi, inside office hours
    got = PLAIN.effective_start(datetime(2026, 3, 3, 1, 0, tzinfo=UTC))
    assert got == at(TUE, 8, 0)
    assert got.utcoffset() == timedelta(hours=7)
    # 2026-03-03 10:30Z = 17:30 in Hanoi, after closing
    assert PLAIN.effective_start(datetime(2026, 3, 3, 10, 30, tzinfo=UTC)) == at(WED, 7, 30)
    # Friday 18:00Z is already Saturday 01:00 in Hanoi
    assert PLAIN.effective_start(datetime(2026, 3, 6, 18, 0, tzinfo=UTC)) == at(
        MON + timedelta(days=7), 7, 30
    )


def test_naive_datetime_rejected() -> None:
    with pytest.raises(ValueError):
        PLAIN.effective_start(datetime(2026, 3, 3, 9, 0))


# ---- adding working time -------------------------------------------------------------------


def test_domain_example_tet() -> None:
    received = datetime.fromisoformat("2026-02-12T09:00:00+07:00")
    due = tet_2026().due_at(received, 3, TimeUnit.WORKING_DAYS)
    assert due == datetime.fromisoformat("2026-02-24T09:00:00+07:00")
    assert due.weekday() == 1


def test_across_lunch() -> None:
    assert PLAIN.add_working_time(at(TUE, 11, 0), 1) == at(TUE, 13, 30)


def test_across_night_and_weekend() -> None:
    assert PLAIN.add_working_time(at(TUE, 16, 0), 2) == at(WED, 8, 30)
    assert PLAIN.add_working_time(at(FRI, 16, 0), 2) == at(MON + timedelta(days=7), 8, 30)


def test_before_opening_and_after_closing() -> None:
    assert PLAIN.add_working_time(at(TUE, 5, 0), 2) == at(TUE, 9, 30)
    assert PLAIN.add_working_time(at(TUE, 18, 0), 2) == at(WED, 9, 30)


def test_weekend_reception() -> None:
    next_mon = MON + timedelta(days=7)
    assert PLAIN.due_at(at(SAT, 9, 0), 1, TimeUnit.WORKING_DAYS) == at(next_mon, 17, 0)
    assert PLAIN.due_at(at(SUN, 9, 0), 3, TimeUnit.WORKING_HOURS) == at(next_mon, 10, 30)


def test_landing_exactly_on_closing_stays() -> None:
    assert PLAIN.add_working_time(at(TUE, 7, 30), 8) == at(TUE, 17, 0)
    assert PLAIN.add_working_time(at(TUE, 13, 0), 4) == at(TUE, 17, 0)
    assert PLAIN.add_working_time(at(FRI, 15, 0), 2) == at(FRI, 17, 0)
    assert PLAIN.due_at(at(MON, 7, 30), 5, TimeUnit.WORKING_DAYS) == at(FRI, 17, 0)


def test_landing_exactly_on_lunch_stays() -> None:
    assert PLAIN.add_working_time(at(TUE, 7, 30), 4) == at(TUE, 11, 30)
    assert PLAIN.add_working_time(at(TUE, 14, 0), 7) == at(WED, 11, 30)


def test_zero_hours_is_effective_start() -> None:
    assert PLAIN.add_working_time(at(TUE, 12, 0), 0) == at(TUE, 13, 0)


def test_negative_or_invalid_hours_rejected() -> None:
    with pytest.raises(ValueError):
        PLAIN.add_working_time(at(TUE, 9, 0), -1)
    with pytest.raises(ValueError):
        PLAIN.add_working_time(at(TUE, 9, 0), float("nan"))


def test_fractional_working_days() -> None:
    # 2.5 days = 20 h from Mon 09:00 → Wed 09:00 + 4 h = Wed 14:30
    assert PLAIN.due_at(at(MON, 9, 0), 2.5, TimeUnit.WORKING_DAYS) == at(WED, 14, 30)
    assert PLAIN.due_at(at(MON, 9, 0), Decimal("2.5"), TimeUnit.WORKING_DAYS) == at(WED, 14, 30)
    assert PLAIN.due_at(at(MON, 9, 0), 0.5, TimeUnit.WORKING_DAYS) == at(MON, 14, 30)


def test_float_hours_are_read_as_decimal() -> None:
    assert hours_to_timedelta(0.1) == timedelta(minutes=6)
    assert hours_to_timedelta(Decimal("1.5")) == timedelta(minutes=90)


def test_make_up_saturday_counts() -> None:
    cal = WorkCalendar(OfficeHours(), {SAT: DayKind.WORKING_DAY})
    assert cal.add_working_time(at(FRI, 16, 0), 2) == at(SAT, 8, 30)
    assert cal.effective_start(at(SAT, 6, 0)) == at(SAT, 7, 30)
    assert cal.due_at(at(FRI, 9, 0), 1, TimeUnit.WORKING_DAYS) == at(SAT, 9, 0)


def test_day_off_is_skipped() -> None:
    cal = WorkCalendar(OfficeHours(), {WED: DayKind.DAY_OFF})
    assert cal.due_at(at(TUE, 9, 0), 1, TimeUnit.WORKING_DAYS) == at(THU, 9, 0)


def test_long_limit() -> None:
    # 60 working days from Monday 07:30 with no holidays = 12 weeks later, Friday 17:00
    due = PLAIN.due_at(at(MON, 7, 30), 60, TimeUnit.WORKING_DAYS)
    assert due == at(FRI + timedelta(weeks=11), 17, 0)


def test_custom_office_hours() -> None:
    office = OfficeHours(
        morning_start=time(8, 0),
        morning_end=time(12, 0),
        afternoon_start=time(13, 30),
        afternoon_end=time(17, 30),
        same_day_cutoff=time(16, 0),
    )
    cal = WorkCalendar(office, {})
    assert office.hours_per_day == 8
    assert cal.add_working_time(at(TUE, 11, 0), 2) == at(TUE, 14, 30)
    assert cal.due_at(at(TUE, 15, 30), 0, TimeUnit.SAME_DAY) == at(TUE, 17, 30)


# ---- calendar days and same day ------------------------------------------------------------


def test_calendar_days_on_working_day() -> None:
    assert PLAIN.due_at(at(MON, 16, 0), 3, TimeUnit.CALENDAR_DAYS) == at(THU, 17, 0)


def test_calendar_days_landing_on_weekend() -> None:
    next_mon = MON + timedelta(days=7)
    assert PLAIN.due_at(at(WED, 9, 0), 3, TimeUnit.CALENDAR_DAYS) == at(next_mon, 17, 0)
    assert PLAIN.due_at(at(THU, 9, 0), 3, TimeUnit.CALENDAR_DAYS) == at(next_mon, 17, 0)


def test_calendar_days_landing_on_holiday() -> None:
    # Tue 2026-02-10 + 5 days = Sun 2026-02-15, inside Tết (14-22/2) → Mon 2026-02-23
    due = tet_2026().due_at(vn(2026, 2, 10, 10), 5, TimeUnit.CALENDAR_DAYS)
    assert due == vn(2026, 2, 23, 17)


def test_calendar_days_counts_from_local_date() -> None:
    # 2026-03-02 20:00Z is already Tuesday 03:00 in Hanoi
    received = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    assert PLAIN.due_at(received, 1, TimeUnit.CALENDAR_DAYS) == at(WED, 17, 0)


def test_calendar_days_requires_whole_positive_number() -> None:
    with pytest.raises(ValueError):
        PLAIN.due_at(at(MON, 9, 0), 1.5, TimeUnit.CALENDAR_DAYS)
    with pytest.raises(ValueError):
        PLAIN.due_at(at(MON, 9, 0), 0, TimeUnit.CALENDAR_DAYS)


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (at(TUE, 6, 0), at(TUE, 17, 0)),
        (at(TUE, 9, 0), at(TUE, 17, 0)),
        (at(TUE, 12, 0), at(TUE, 17, 0)),
        (at(TUE, 14, 59), at(TUE, 17, 0)),
        (at(TUE, 15, 0), at(WED, 17, 0)),
        (at(TUE, 16, 30), at(WED, 17, 0)),
        (at(FRI, 15, 0), at(MON + timedelta(days=7), 17, 0)),
        (at(SAT, 9, 0), at(MON + timedelta(days=7), 17, 0)),
    ],
)
def test_same_day(received: datetime, expected: datetime) -> None:
    assert PLAIN.due_at(received, 0, TimeUnit.SAME_DAY) == expected


def test_same_day_on_make_up_saturday() -> None:
    cal = WorkCalendar(OfficeHours(), {SAT: DayKind.WORKING_DAY})
    assert cal.due_at(at(SAT, 9, 0), 0, TimeUnit.SAME_DAY) == at(SAT, 17, 0)
    assert cal.due_at(at(FRI, 15, 30), 0, TimeUnit.SAME_DAY) == at(SAT, 17, 0)


def test_same_day_utc_input() -> None:
    # 07:59Z = 14:59 local (before cutoff); 08:00Z = 15:00 local (at cutoff)
    before = datetime(2026, 3, 3, 7, 59, tzinfo=UTC)
    at_cutoff = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    assert PLAIN.due_at(before, 0, TimeUnit.SAME_DAY) == at(TUE, 17)
    assert PLAIN.due_at(at_cutoff, 0, TimeUnit.SAME_DAY) == at(WED, 17)


def test_due_in_other_zone_input() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    # 11:00 Tokyo = 09:00 Hanoi
    received = datetime(2026, 3, 3, 11, 0, tzinfo=tokyo)
    due = PLAIN.due_at(received, 2, TimeUnit.WORKING_HOURS)
    assert due == at(TUE, 11, 0)
    assert due.tzinfo is ZONE


# ---- working time between ------------------------------------------------------------------


def test_between_same_interval() -> None:
    assert PLAIN.working_time_between(at(TUE, 8, 0), at(TUE, 10, 0)) == timedelta(hours=2)


def test_between_across_lunch() -> None:
    assert PLAIN.working_time_between(at(TUE, 11, 0), at(TUE, 14, 0)) == timedelta(hours=1.5)
    assert PLAIN.working_time_between(at(TUE, 11, 45), at(TUE, 12, 45)) == timedelta(0)


def test_between_across_night() -> None:
    assert PLAIN.working_time_between(at(TUE, 16, 0), at(WED, 8, 30)) == timedelta(hours=2)
    assert PLAIN.working_time_between(at(TUE, 18, 0), at(WED, 6, 0)) == timedelta(0)


def test_between_across_weekend() -> None:
    next_mon = MON + timedelta(days=7)
    assert PLAIN.working_time_between(at(FRI, 16, 0), at(next_mon, 8, 30)) == timedelta(hours=2)
    assert PLAIN.working_time_between(at(SAT, 9, 0), at(SUN, 16, 0)) == timedelta(0)


def test_between_full_weeks_with_overrides() -> None:
    end = at(MON + timedelta(days=14), 7, 30)
    assert PLAIN.working_time_between(at(MON, 7, 30), end) == timedelta(hours=80)
    cal = WorkCalendar(OfficeHours(), {WED: DayKind.HOLIDAY, SAT: DayKind.WORKING_DAY})
    assert cal.working_time_between(at(MON, 7, 30), end) == timedelta(hours=80)
    cal = WorkCalendar(OfficeHours(), {WED: DayKind.HOLIDAY, THU: DayKind.DAY_OFF})
    assert cal.working_time_between(at(MON, 7, 30), end) == timedelta(hours=64)


def test_between_reversed_is_zero() -> None:
    assert PLAIN.working_time_between(at(WED, 9, 0), at(TUE, 9, 0)) == timedelta(0)


def test_between_mixed_zones() -> None:
    start = datetime(2026, 3, 3, 1, 0, tzinfo=UTC)  # Tue 08:00 local
    assert PLAIN.working_time_between(start, at(TUE, 10, 0)) == timedelta(hours=2)


def test_between_domain_example() -> None:
    received = vn(2026, 2, 12, 9)
    assert tet_2026().working_time_between(received, vn(2026, 2, 24, 9)) == timedelta(hours=24)


# ---- holidays package ----------------------------------------------------------------------


def test_vn_holidays_2026() -> None:
    days = vn_holidays([2026])
    assert date(2026, 1, 1) in days
    assert date(2026, 4, 30) in days
    assert date(2026, 5, 1) in days
    assert date(2026, 9, 2) in days
    assert all(d.year == 2026 for d in days)
    assert all(isinstance(name, str) and name for name in days.values())
    # Tết: the package knows the lunar calendar
    assert date(2026, 2, 17) in days


def test_vn_holidays_several_years_and_language() -> None:
    days = vn_holidays(range(2026, 2028), language="en_US")
    assert {d.year for d in days} == {2026, 2027}
    assert days[date(2026, 1, 1)] == "New Year's Day"


def test_vn_weekend_workdays_are_weekends() -> None:
    workdays = vn_weekend_workdays([2026])
    assert all(d.year == 2026 and d.weekday() >= 5 for d in workdays)


# ---- properties ----------------------------------------------------------------------------

# Local instants over 2025-2027, any minute; the zone is applied afterwards.
instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31, 23, 59)
).map(lambda dt: dt.replace(second=0, microsecond=0, tzinfo=ZONE))
hours = st.integers(min_value=0, max_value=600 * 60).map(lambda m: Decimal(m) / 60)
overrides = st.dictionaries(
    st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 12, 31)),
    st.sampled_from(list(DayKind)),
    max_size=40,
)
units = st.sampled_from(list(TimeUnit))


def limit_for(unit: TimeUnit, value: Decimal) -> Decimal:
    if unit is TimeUnit.CALENDAR_DAYS:
        return Decimal(int(value) // 8 + 1)
    if unit is TimeUnit.WORKING_DAYS:
        return value / 8
    return value


@settings(max_examples=300, deadline=None)
@given(instants, hours, overrides, units)
def test_due_not_before_reception(
    start: datetime, h: Decimal, days: dict[date, DayKind], unit: TimeUnit
) -> None:
    cal = WorkCalendar(OfficeHours(), days)
    due = cal.due_at(start, limit_for(unit, h), unit)
    assert due >= start
    assert due.tzinfo is ZONE
    assert cal.is_working_day(due.date())


@settings(max_examples=300, deadline=None)
@given(instants, hours, hours, overrides)
def test_monotonic_in_limit(
    start: datetime, a: Decimal, b: Decimal, days: dict[date, DayKind]
) -> None:
    cal = WorkCalendar(OfficeHours(), days)
    lo, hi = sorted((a, b))
    assert cal.add_working_time(start, lo) <= cal.add_working_time(start, hi)
    for unit in TimeUnit:
        assert cal.due_at(start, limit_for(unit, lo), unit) <= cal.due_at(
            start, limit_for(unit, hi), unit
        )


@settings(max_examples=300, deadline=None)
@given(
    instants,
    hours,
    overrides,
    st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 12, 31)),
    st.sampled_from([DayKind.HOLIDAY, DayKind.DAY_OFF]),
    units,
)
def test_extra_day_off_never_makes_due_earlier(
    start: datetime,
    h: Decimal,
    days: dict[date, DayKind],
    extra: date,
    kind: DayKind,
    unit: TimeUnit,
) -> None:
    before = WorkCalendar(OfficeHours(), days)
    after = WorkCalendar(OfficeHours(), {**days, extra: kind})
    value = limit_for(unit, h)
    assert after.due_at(start, value, unit) >= before.due_at(start, value, unit)


@settings(max_examples=300, deadline=None)
@given(instants, st.integers(min_value=0, max_value=400 * 3600), overrides)
def test_between_inverts_add(start: datetime, seconds: int, days: dict[date, DayKind]) -> None:
    cal = WorkCalendar(OfficeHours(), days)
    begin = cal.effective_start(start)
    h = Decimal(seconds) / 3600
    end = cal.add_working_time(begin, h)
    assert cal.working_time_between(begin, end) == timedelta(seconds=seconds)
    # from any start, the time before the effective start does not count
    assert cal.working_time_between(start, cal.add_working_time(start, h)) == timedelta(
        seconds=seconds
    )


@settings(max_examples=200, deadline=None)
@given(instants, instants, instants, overrides)
def test_between_is_additive(
    a: datetime, b: datetime, c: datetime, days: dict[date, DayKind]
) -> None:
    cal = WorkCalendar(OfficeHours(), days)
    x, y, z = sorted((a, b, c))
    assert cal.working_time_between(x, z) == cal.working_time_between(
        x, y
    ) + cal.working_time_between(y, z)


@settings(max_examples=200, deadline=None)
@given(instants, overrides)
def test_effective_start_is_a_working_instant(start: datetime, days: dict[date, DayKind]) -> None:
    cal = WorkCalendar(OfficeHours(), days)
    eff = cal.effective_start(start)
    assert eff >= start
    assert cal.is_working_day(eff.date())
    assert cal.working_time_between(start, eff) == timedelta(0)
    t = eff.time()
    assert time(7, 30) <= t < time(11, 30) or time(13, 0) <= t < time(17, 0)
