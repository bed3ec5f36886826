from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, exists, literal, or_, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.apologies.models import Apology, ApologyStatus
from services.dossiers.models import Dossier
from services.identity.principal import Principal


def _visible(principal: Principal) -> ColumnElement[bool]:
    if principal.is_admin:
        return true()
    return or_(
        Apology.agency_code == principal.agency_code,
        Apology.receiving_agency_code == principal.agency_code,
    )


async def get_visible(
    session: AsyncSession, principal: Principal, apology_id: uuid.UUID
) -> Apology | None:
    stmt = select(Apology).where(Apology.id == apology_id, _visible(principal))
    return (await session.scalars(stmt)).first()


async def for_dossier(session: AsyncSession, dossier_id: int) -> Apology | None:
    return (await session.scalars(select(Apology).where(Apology.dossier_id == dossier_id))).first()


async def list_visible(
    session: AsyncSession,
    principal: Principal,
    status: ApologyStatus | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Apology]:
    stmt = (
        select(Apology)
        .where(_visible(principal))
        .order_by(Apology.drafted_at, Apology.id)
        .limit(limit)
    )
    if status is not None:
        stmt = stmt.where(Apology.status == status)
    if after is not None:
        stmt = stmt.where(
            tuple_(Apology.drafted_at, Apology.id) > tuple_(literal(after[0]), literal(after[1]))
        )
    return list(await session.scalars(stmt))


async def claim_due(
    session: AsyncSession, now: datetime, horizon: datetime, limit: int
) -> list[Dossier]:
    """Unfinished dossiers that need a draft (due before ``horizon``, no apology yet) or an
    overdue mark (past due, not marked), locked; rows another worker holds are skipped.

    Served by the partial index on ``due_at`` of unfinished dossiers.
    """
    has_apology = exists().where(Apology.dossier_id == Dossier.id)
    stmt = (
        select(Dossier)
        .where(
            Dossier.finished_at.is_(None),
            Dossier.due_at <= horizon,
            or_(~has_apology, (Dossier.due_at < now) & Dossier.overdue_marked_at.is_(None)),
        )
        .order_by(Dossier.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Dossier)
    )
    return list(await session.scalars(stmt))


async def apologised(session: AsyncSession, dossier_ids: list[int]) -> set[int]:
    if not dossier_ids:
        return set()
    stmt = select(Apology.dossier_id).where(Apology.dossier_id.in_(dossier_ids))
    return set(await session.scalars(stmt))
