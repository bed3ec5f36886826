"""Named queries over feedback; agency scoping lives here so that no endpoint can forget it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.models import Feedback, FeedbackCodeCounter, FeedbackHistory, FeedbackState
from services.feedback.schemas import ListFilters
from services.identity.principal import Principal


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """The addressed agency sees its feedback, and so does the agency it was forwarded to
    (once forwarded, not when merely named at classification)."""
    if principal.is_admin:
        return true()
    return or_(
        Feedback.agency_code == principal.agency_code,
        (Feedback.forwarded_to_agency_code == principal.agency_code)
        & (Feedback.state == FeedbackState.FORWARDED),
    )


async def get_visible(
    session: AsyncSession, principal: Principal, code: str, *, for_update: bool = False
) -> Feedback | None:
    stmt = select(Feedback).where(Feedback.code == code, visible_to(principal))
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    return Feedback.closed_at.is_(None) & (Feedback.due_at < now)


async def list_visible(
    session: AsyncSession,
    principal: Principal,
    filters: ListFilters,
    before_id: int | None,
    limit: int,
    now: datetime,
) -> list[Feedback]:
    stmt = select(Feedback).where(visible_to(principal)).order_by(Feedback.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(Feedback.id < before_id)
    if filters.state is not None:
        stmt = stmt.where(Feedback.state == filters.state)
    if filters.classification is not None:
        stmt = stmt.where(Feedback.classification == filters.classification)
    if filters.overdue is not None:
        clause = overdue_clause(now)
        stmt = stmt.where(clause if filters.overdue else ~clause)
    return list(await session.scalars(stmt))


async def next_number(session: AsyncSession, day: date) -> int:
    """The day's next number; the counter row stays locked until the transaction ends, so a
    rollback gives the number back and codes stay gap-free."""
    stmt = (
        insert(FeedbackCodeCounter)
        .values(day=day, last_value=1)
        .on_conflict_do_update(
            index_elements=[FeedbackCodeCounter.day],
            set_={"last_value": FeedbackCodeCounter.last_value + 1},
        )
        .returning(FeedbackCodeCounter.last_value)
    )
    return int((await session.execute(stmt)).scalar_one())


async def history(session: AsyncSession, feedback_id: int) -> list[FeedbackHistory]:
    stmt = (
        select(FeedbackHistory)
        .where(FeedbackHistory.feedback_id == feedback_id)
        .order_by(FeedbackHistory.id)
    )
    return list(await session.scalars(stmt))


def _published() -> ColumnElement[bool]:
    return Feedback.state == FeedbackState.PUBLISHED


async def list_published(
    session: AsyncSession,
    after: tuple[datetime, int] | None,
    limit: int,
    agency_code: str | None,
    procedure_code: str | None,
) -> list[Feedback]:
    """Newest publication first; served by the partial index on published items."""
    stmt = (
        select(Feedback)
        .where(_published())
        .order_by(Feedback.published_at.desc(), Feedback.id.desc())
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(
            func.row(Feedback.published_at, Feedback.id) < func.row(after[0], after[1])
        )
    if agency_code:
        stmt = stmt.where(Feedback.agency_code == agency_code)
    if procedure_code:
        stmt = stmt.where(Feedback.procedure_code == procedure_code)
    return list(await session.scalars(stmt))


async def get_published(session: AsyncSession, code: str) -> Feedback | None:
    stmt = select(Feedback).where(Feedback.code == code, _published())
    return (await session.scalars(stmt)).first()


async def flag_late(session: AsyncSession, now: datetime) -> int:
    """Marks open items past their deadline as late, once each; returns how many."""
    stmt = (
        update(Feedback)
        .where(overdue_clause(now), Feedback.late_flagged_at.is_(None))
        .values(late=True, late_flagged_at=now, version=Feedback.version + 1)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
