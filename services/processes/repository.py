"""Queries over dossier steps: the "my work" list and the late steps of the overdue scan."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Row, and_, literal, not_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.dossiers.models import Dossier, DossierStatus
from services.processes.models import DossierStep, StepStatus


def step_late(now: datetime) -> ColumnElement[bool]:
    """An active step past its deadline. While the applicant completes the file the step's
    clock waits too (its deadline restarts or moves when the documents arrive)."""
    return and_(DossierStep.due_at < now, Dossier.status != DossierStatus.SUPPLEMENT_REQUESTED)


async def work_items(
    session: AsyncSession,
    agency_code: str | None,
    roles: frozenset[str] | None,
    overdue: bool | None,
    assignee: str | None,
    after: tuple[datetime, int] | None,
    limit: int,
    now: datetime,
) -> list[Row[tuple[DossierStep, Dossier, bool]]]:
    """Active steps held by ``agency_code`` (None: every agency), earliest deadline first — so
    the overdue ones come first — each with whether it is late. ``roles`` None: every role."""
    late = step_late(now)
    stmt = (
        select(DossierStep, Dossier, late.label("late"))
        .join(Dossier, Dossier.id == DossierStep.dossier_id)
        .where(DossierStep.status == StepStatus.ACTIVE)
        .order_by(DossierStep.due_at, DossierStep.id)
        .limit(limit)
    )
    if agency_code is not None:
        stmt = stmt.where(DossierStep.agency_code == agency_code)
    if roles is not None:
        stmt = stmt.where(DossierStep.role.in_(sorted(roles)))
    if overdue is not None:
        stmt = stmt.where(late if overdue else not_(late))
    if assignee is not None:
        stmt = stmt.where(Dossier.assignee_username == assignee)
    if after is not None:
        stmt = stmt.where(
            tuple_(DossierStep.due_at, DossierStep.id)
            > tuple_(literal(after[0]), literal(after[1]))
        )
    return list((await session.execute(stmt)).tuples())  # type: ignore[arg-type]


async def claim_late_steps(
    session: AsyncSession, now: datetime, limit: int
) -> list[Row[tuple[DossierStep, Dossier]]]:
    """Active steps past their deadline and not yet reported, locked with SKIP LOCKED so that
    several workers split them; the caller marks them in the same transaction."""
    stmt = (
        select(DossierStep, Dossier)
        .join(Dossier, Dossier.id == DossierStep.dossier_id)
        .where(
            DossierStep.status == StepStatus.ACTIVE,
            DossierStep.overdue_at.is_(None),
            step_late(now),
        )
        .order_by(DossierStep.due_at)
        .limit(limit)
        .with_for_update(of=DossierStep, skip_locked=True)
    )
    return list((await session.execute(stmt)).tuples())  # type: ignore[arg-type]
