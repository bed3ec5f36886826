"""The working calendar (holidays, days off, make-up days) and the due-date calculator."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from services.calendar import service
from services.calendar.schemas import UNIT_DESCRIPTION, CalendarDayIn, CalendarDayOut, DueDateOut
from services.calendar.workingtime import ZONE, TimeUnit
from services.core.clock import MAX_YEAR, MIN_YEAR
from services.core.db import SessionDep
from services.core.errors import error_responses
from services.core.pagination import Page
from services.core.types import DateIn
from services.identity.dependencies import STAFF, CurrentPrincipal, allow
from services.identity.models import Role
from services.identity.principal import Principal

router = APIRouter(prefix="/api/v1", tags=["calendar"])

# The calendar is national (or provincial): a leader of any agency may correct it.
CalendarEditor = Annotated[Principal, allow(Role.LEADER, scope="calendar:write")]
CalendarReader = Annotated[Principal, allow(*STAFF, scope="dossiers:read")]


DatePath = Annotated[DateIn, Path(description="The date, `YYYY-MM-DD`.", examples=["2026-09-02"])]


@router.put(
    "/calendar/days/{date}",
    response_model=CalendarDayOut,
    operation_id="put_calendar_day",
    summary="Set a calendar day",
    description="Create or replace the entry of one date: `holiday`, `day_off` or `working_day` "
    "(a make-up weekend day). Entries made here win over the holidays seeded from the "
    "`holidays` package and are never overwritten by seeding. Due dates already computed do "
    "not move. Admin, a leader of any agency (the calendar is national), or an API key with "
    "scope `calendar:write`.",
    responses=error_responses(401, 403, 422),
)
async def put_calendar_day(
    date: DatePath, data: CalendarDayIn, session: SessionDep, _: CalendarEditor
) -> CalendarDayOut:
    return CalendarDayOut.model_validate(await service.put_day(session, date, data))


@router.delete(
    "/calendar/days/{date}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="delete_calendar_day",
    summary="Remove a calendar day",
    description="The date becomes an ordinary day again (Monday–Friday working, weekend off). "
    "A seeded holiday removed here is not seeded again. 404 when the date has no entry. "
    "Same roles as setting a day.",
    responses=error_responses(401, 403, 404, 422),
)
async def delete_calendar_day(date: DatePath, session: SessionDep, _: CalendarEditor) -> None:
    await service.delete_day(session, date)


@router.get(
    "/calendar/days",
    response_model=Page[CalendarDayOut],
    operation_id="list_calendar_days",
    summary="List the calendar of a year",
    description="Every entry of the year, by date, in one page (`next_cursor` is always null). "
    "The year's holidays are seeded on first use. Any staff member, or an API key with scope "
    "`dossiers:read`.",
    responses=error_responses(401, 403, 422),
)
async def list_calendar_days(
    session: SessionDep,
    _: CalendarReader,
    year: Annotated[
        int | None,
        Query(
            ge=MIN_YEAR,
            le=MAX_YEAR,
            description="Default: the current year in Asia/Ho_Chi_Minh.",
            examples=[2026],
        ),
    ] = None,
) -> Page[CalendarDayOut]:
    rows = await service.list_year(session, year or dt.datetime.now(ZONE).year)
    return Page(items=[CalendarDayOut.model_validate(r) for r in rows], next_cursor=None)


@router.get(
    "/calendar/due-date",
    response_model=DueDateOut,
    operation_id="compute_due_date",
    summary="Compute a due date",
    description="The due date of a time limit for something received at `received_at`, on the "
    "current calendar (domain.md §3), so that operators can check the calendar. Timestamps "
    "in `+07:00`. Any authenticated caller.",
    responses=error_responses(401, 422),
)
async def compute_due_date(
    session: SessionDep,
    _: CurrentPrincipal,
    received_at: Annotated[
        dt.datetime,
        Query(
            description="RFC 3339; without an offset it is read as Asia/Ho_Chi_Minh time.",
            examples=["2026-02-12T09:00:00+07:00"],
        ),
    ],
    unit: Annotated[TimeUnit, Query(description=UNIT_DESCRIPTION)],
    value: Annotated[
        Decimal | None,
        Query(
            ge=0,
            le=service.MAX_TIME_LIMIT_VALUE,
            decimal_places=2,
            description="The time limit, ≥ 0 (up to 2 decimals); a whole number ≥ 1 for "
            "calendar_days; ignored (may be omitted) for same_day.",
            examples=[3],
        ),
    ] = None,
) -> DueDateOut:
    due = await service.compute_due_date(session, received_at, value, unit)
    return DueDateOut(
        received_at=due.received_at,
        effective_start=due.effective_start,
        due_at=due.due_at,
        value=due.value,
        unit=due.unit,
    )
