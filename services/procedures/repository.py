from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.cache import clear_all
from services.core.privacy import fold
from services.procedures.models import OnlineLevel, Procedure, SectorGroup

# What a catalogue import may overwrite; boundary_free, supplement_clock and is_active are the
# commune's own decisions and survive a re-import.
CATALOGUE_COLUMNS = (
    "name",
    "name_folded",
    "sector_code",
    "sector_name",
    "sector_group",
    "time_limit_value",
    "time_limit_unit",
    "fee_vnd",
    "online_level",
    "source",
    "notes",
)


def search_key(text: str) -> str:
    """Folded (lower case, no diacritics) with single spaces: what name searches compare."""
    return " ".join(fold(text).split())


async def get_procedure(session: AsyncSession, code: str) -> Procedure | None:
    return await session.get(Procedure, code)


async def list_procedures(
    session: AsyncSession,
    *,
    sector_group: SectorGroup | None = None,
    sector_code: str | None = None,
    online_level: OnlineLevel | None = None,
    q: str | None = None,
    active: bool = True,
    after: str | None = None,
    limit: int = 50,
) -> list[Procedure]:
    stmt = (
        select(Procedure).where(Procedure.is_active == active).order_by(Procedure.code).limit(limit)
    )
    if sector_group is not None:
        stmt = stmt.where(Procedure.sector_group == sector_group)
    if sector_code is not None:
        stmt = stmt.where(Procedure.sector_code == sector_code)
    if online_level is not None:
        stmt = stmt.where(Procedure.online_level == online_level)
    if q and (key := search_key(q)):
        stmt = stmt.where(
            or_(
                Procedure.name_folded.contains(key, autoescape=True),
                Procedure.code.startswith(q.strip(), autoescape=True),
            )
        )
    if after is not None:
        stmt = stmt.where(Procedure.code > after)
    return list(await session.scalars(stmt))


async def upsert_procedures(session: AsyncSession, rows: list[dict[str, Any]]) -> int:
    clear_all()
    """INSERT … ON CONFLICT (code) DO UPDATE; returns how many rows were new.

    ``rows`` must not repeat a code (PostgreSQL refuses to update one row twice in a statement).
    """
    if not rows:
        return 0
    stmt = insert(Procedure).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Procedure.code],
        set_={**{c: stmt.excluded[c] for c in CATALOGUE_COLUMNS}, "updated_at": func.now()},
    )
    # xmax is 0 only on a row version this statement inserted; an updated row carries our xid.
    inserted = await session.scalars(stmt.returning(literal_column("xmax = 0", Boolean)))
    return sum(1 for new in inserted if new)
