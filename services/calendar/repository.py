from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar.models import CalendarDay, CalendarSeededYear, DaySource
from services.calendar.workingtime import DayKind


async def seeded_years(session: AsyncSession, years: Iterable[int]) -> set[int]:
    stmt = select(CalendarSeededYear.year).where(CalendarSeededYear.year.in_(list(years)))
    return set(await session.scalars(stmt))


async def insert_days_if_absent(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert calendar days, leaving any existing entry for the same date untouched."""
    if rows:
        await session.execute(insert(CalendarDay).values(list(rows)).on_conflict_do_nothing())


async def mark_seeded(session: AsyncSession, years: Iterable[int]) -> None:
    rows = [{"year": y} for y in years]
    if rows:
        await session.execute(insert(CalendarSeededYear).values(rows).on_conflict_do_nothing())


async def upsert_day(
    session: AsyncSession,
    day: date,
    kind: DayKind,
    name: str,
    legal_ref: str | None,
    source: DaySource,
) -> CalendarDay:
    stmt = insert(CalendarDay).values(
        day=day, kind=kind, name=name, legal_ref=legal_ref, source=source
    )
    upsert = stmt.on_conflict_do_update(
        index_elements=[CalendarDay.day],
        set_={
            "kind": stmt.excluded.kind,
            "name": stmt.excluded.name,
            "legal_ref": stmt.excluded.legal_ref,
            "source": stmt.excluded.source,
            "updated_at": func.now(),
        },
    ).returning(CalendarDay)
    result = await session.scalars(upsert, execution_options={"populate_existing": True})
    return result.one()


async def delete_day(session: AsyncSession, day: date) -> bool:
    result = await session.execute(
        delete(CalendarDay).where(CalendarDay.day == day).returning(CalendarDay.day)
    )
    return result.first() is not None


async def list_days(session: AsyncSession, first: date, last: date) -> list[CalendarDay]:
    stmt = (
        select(CalendarDay)
        .where(CalendarDay.day.between(first, last))
        .order_by(CalendarDay.day)
        .execution_options(populate_existing=True)
    )
    return list(await session.scalars(stmt))


async def day_kinds(session: AsyncSession, first: date, last: date) -> dict[date, DayKind]:
    stmt = select(CalendarDay.day, CalendarDay.kind).where(CalendarDay.day.between(first, last))
    return {day: kind for day, kind in (await session.execute(stmt)).tuples()}
