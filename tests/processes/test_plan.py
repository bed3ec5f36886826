"""The pure rules of internal processes: stages, shares, deadlines, judgement."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from services.calendar.workingtime import TimeUnit
from services.core.clock import LOCAL_ZONE
from services.processes.models import AllotmentUnit, StepResult
from services.processes.plan import ShareUnit, StepSpec, allotment, check, judge, stages

HPD = Decimal(8)


def step(
    value: str, unit: ShareUnit = ShareUnit.WORKING_HOURS, group: str | None = None
) -> StepSpec:
    return StepSpec("b", "officer", None, Decimal(value), unit, group)


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL_ZONE)  # type: ignore[misc]


def test_stages_group_consecutive_parallel_steps() -> None:
    steps = [
        step("4"),
        step("8", group="x"),
        step("4", group="x"),
        step("12"),
        step("4", group="y"),
    ]
    assert stages(steps) == [[0], [1, 2], [3], [4]]


def test_shares_in_every_unit_add_up_to_the_limit() -> None:
    steps = [
        step("4"),
        step("1.5", ShareUnit.WORKING_DAYS),
        step("0.25", ShareUnit.FRACTION),  # of 24 h = 6 h
        step("2"),
    ]
    assert check(steps, Decimal(3), TimeUnit.WORKING_DAYS, HPD) == []
    assert allotment(steps[2], Decimal(3), TimeUnit.WORKING_DAYS, HPD).amount == Decimal(6)


def test_a_parallel_stage_counts_as_its_longest_step() -> None:
    steps = [step("8"), step("8", group="g"), step("6", group="g"), step("8")]
    assert check(steps, Decimal(3), TimeUnit.WORKING_DAYS, HPD) == []
    wrong = [step("8"), step("8", group="g"), step("10", group="g"), step("8")]
    [error] = check(wrong, Decimal(3), TimeUnit.WORKING_DAYS, HPD)
    assert "26 working hours" in error and "24" in error


def test_invalid_processes_say_why() -> None:
    assert "must be consecutive" in " ".join(
        check(
            [step("8", group="g"), step("8"), step("8", group="g")],
            Decimal(3),
            TimeUnit.WORKING_DAYS,
            HPD,
        )
    )
    assert check([step("1", ShareUnit.FRACTION)], Decimal(0), TimeUnit.SAME_DAY, HPD) == [
        "a same-day procedure cannot be divided into steps"
    ]
    assert "at most 1" in " ".join(
        check([step("1.5", ShareUnit.FRACTION)], Decimal(3), TimeUnit.WORKING_DAYS, HPD)
    )
    assert "must be fractions" in " ".join(
        check([step("8")], Decimal(5), TimeUnit.CALENDAR_DAYS, HPD)
    )


def test_calendar_day_limits_take_fractions_of_elapsed_time() -> None:
    steps = [step("0.2", ShareUnit.FRACTION), step("0.8", ShareUnit.FRACTION)]
    assert check(steps, Decimal(5), TimeUnit.CALENDAR_DAYS, HPD) == []
    given = allotment(steps[0], Decimal(5), TimeUnit.CALENDAR_DAYS, HPD)
    assert (given.amount, given.unit) == (Decimal(24), AllotmentUnit.CALENDAR_HOURS)


def test_judgement_before_on_after() -> None:
    due = vn(2026, 2, 24, 10, 0)
    assert judge(vn(2026, 2, 23, 16, 0), due) is StepResult.BEFORE
    assert judge(vn(2026, 2, 24, 7, 30), due) is StepResult.ON
    assert judge(due, due) is StepResult.ON
    assert judge(vn(2026, 2, 24, 10, 0, 1), due) is StepResult.AFTER


def test_elapsed_time_steps_end_at_closing_time_of_a_working_day() -> None:
    from services.calendar.workingtime import WorkCalendar
    from services.processes.models import AllotmentUnit
    from services.processes.plan import Allotment, step_due

    calendar = WorkCalendar()
    # Friday 16:00 + 60 h = Monday 04:00 → Monday's closing time, as for the dossier itself.
    half_of_five_days = Allotment(Decimal(60), AllotmentUnit.CALENDAR_HOURS)
    assert step_due(calendar, vn(2026, 3, 6, 16, 0), half_of_five_days) == vn(2026, 3, 9, 17, 0)
    # Landing on a Saturday → Monday.
    one_day = Allotment(Decimal(24), AllotmentUnit.CALENDAR_HOURS)
    assert step_due(calendar, vn(2026, 3, 6, 9, 0), one_day) == vn(2026, 3, 9, 17, 0)
