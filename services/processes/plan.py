"""Pure rules of internal processes (domain.md §4b): stages, shares of the time limit, step
deadlines and the before / on / after judgement of Mẫu 05. No I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from services.calendar.workingtime import TimeUnit, WorkCalendar, hours_to_timedelta
from services.core.clock import as_local
from services.processes.models import AllotmentUnit, StepResult

# Shares are given to two decimals: a sum within this of the limit is equal to it.
TOLERANCE_HOURS = Decimal("0.01")
TOLERANCE_FRACTION = Decimal("0.001")


class ShareUnit(StrEnum):
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"
    FRACTION = "fraction"  # of the procedure's time limit


@dataclass(frozen=True)
class StepSpec:
    name: str
    role: str
    agency_code: str | None
    share_value: Decimal
    share_unit: ShareUnit
    parallel_group: str | None = None


@dataclass(frozen=True)
class Allotment:
    amount: Decimal
    unit: AllotmentUnit


def stages(steps: Sequence[StepSpec]) -> list[list[int]]:
    """Indexes of ``steps`` grouped into stages: consecutive steps of one parallel group run
    at the same time (agencies consulted together); every other step is a stage of its own."""
    result: list[list[int]] = []
    for i, step in enumerate(steps):
        previous = steps[i - 1].parallel_group if i else None
        if step.parallel_group is not None and step.parallel_group == previous:
            result[-1].append(i)
        else:
            result.append([i])
    return result


def limit_hours(value: Decimal, unit: TimeUnit, hours_per_day: Decimal) -> Decimal | None:
    """The procedure's limit in working hours; None when it is not counted in working time."""
    if unit is TimeUnit.WORKING_DAYS:
        return value * hours_per_day
    if unit is TimeUnit.WORKING_HOURS:
        return value
    return None


def allotment(
    step: StepSpec, limit_value: Decimal, limit_unit: TimeUnit, hours_per_day: Decimal
) -> Allotment:
    """The time a step gets. Assumes :func:`check` passed."""
    working = limit_hours(limit_value, limit_unit, hours_per_day)
    if working is None:  # calendar days: fractions only
        return Allotment(step.share_value * limit_value * 24, AllotmentUnit.CALENDAR_HOURS)
    if step.share_unit is ShareUnit.WORKING_DAYS:
        hours = step.share_value * hours_per_day
    elif step.share_unit is ShareUnit.FRACTION:
        hours = step.share_value * working
    else:
        hours = step.share_value
    return Allotment(hours.quantize(Decimal("0.01")), AllotmentUnit.WORKING_HOURS)


def check(
    steps: Sequence[StepSpec], limit_value: Decimal, limit_unit: TimeUnit, hours_per_day: Decimal
) -> list[str]:
    """What is wrong with a process for a procedure of this limit; empty when it is valid.

    The stages must add up to the limit, a parallel stage counting as its longest step.
    """
    errors: list[str] = []
    seen_groups: set[str] = set()
    for stage in stages(steps):
        group = steps[stage[0]].parallel_group
        if group is not None:
            if group in seen_groups:
                errors.append(f"steps of parallel group {group!r} must be consecutive")
            seen_groups.add(group)
    if limit_unit is TimeUnit.SAME_DAY:
        return [*errors, "a same-day procedure cannot be divided into steps"]
    for i, step in enumerate(steps, start=1):
        if step.share_unit is ShareUnit.FRACTION and step.share_value > 1:
            errors.append(f"step {i}: a fraction of the limit must be at most 1")
    working = limit_hours(limit_value, limit_unit, hours_per_day)
    if working is None:
        wrong = [i for i, s in enumerate(steps, start=1) if s.share_unit is not ShareUnit.FRACTION]
        if wrong:
            errors.append(
                f"steps {wrong}: the limit is in calendar days, so shares must be fractions"
            )
            return errors
        total = sum(
            (max(steps[i].share_value for i in stage) for stage in stages(steps)), Decimal(0)
        )
        if abs(total - 1) > TOLERANCE_FRACTION:
            errors.append(f"the shares add up to {total} of the limit, not 1")
        return errors
    total = sum(
        (
            max(allotment(steps[i], limit_value, limit_unit, hours_per_day).amount for i in stage)
            for stage in stages(steps)
        ),
        Decimal(0),
    )
    if abs(total - working) > TOLERANCE_HOURS:
        errors.append(
            f"the steps add up to {total.normalize():f} working hours; the procedure's limit is "
            f"{working.normalize():f} ({limit_value.normalize():f} {limit_unit.value})"
        )
    return errors


def step_due(calendar: WorkCalendar, start: datetime, allotted: Allotment) -> datetime:
    """A step's deadline, counted from when it starts (its effective start in office time).

    Elapsed time (a limit in calendar days) ends, like the dossier's own due date, at the
    closing time of that day, or of the next working day when it falls on a day off.
    """
    if allotted.unit is AllotmentUnit.CALENDAR_HOURS:
        end = as_local(start) + hours_to_timedelta(allotted.amount)
        return calendar.closing_on_or_after(end.date())
    return calendar.add_working_time(start, allotted.amount)


def judge(completed_at: datetime, due_at: datetime) -> StepResult:
    """Mẫu 05: after the deadline is late; on the deadline's day is on time; earlier is early."""
    if completed_at > due_at:
        return StepResult.AFTER
    if as_local(completed_at).date() == as_local(due_at).date():
        return StepResult.ON
    return StepResult.BEFORE
