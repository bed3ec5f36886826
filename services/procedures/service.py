"""Use cases for the procedure catalogue: validate, write, flush (the caller commits).

Dossiers keep a snapshot of the terms they were received under, so editing a procedure here never
moves an existing due date: there is nothing to recompute.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar.workingtime import TimeUnit
from services.core.cache import TTLCache, clear_all
from services.core.errors import Conflict, NotFound, Unprocessable
from services.procedures import repository
from services.procedures.models import OnlineLevel, Procedure, SectorGroup, SupplementClock
from services.procedures.schemas import (
    ProcedureCreate,
    ProcedureUpdate,
    TimeLimitPatch,
    check_time_limit,
)


def procedure_values(data: ProcedureCreate) -> dict[str, Any]:
    """Column values of a new procedure (the API and the importer share this)."""
    return {
        **data.model_dump(exclude={"time_limit"}),
        "name_folded": repository.search_key(data.name),
        "time_limit_value": data.time_limit.amount,
        "time_limit_unit": data.time_limit.unit,
    }


async def create_procedure(session: AsyncSession, data: ProcedureCreate) -> Procedure:
    if await repository.get_procedure(session, data.code) is not None:
        raise Conflict(f"procedure {data.code} already exists")
    procedure = Procedure(**procedure_values(data))
    session.add(procedure)
    try:
        await session.flush()
    except IntegrityError as exc:  # created concurrently since the check above
        raise Conflict(f"procedure {data.code} already exists") from exc
    return procedure


async def get_procedure_or_404(session: AsyncSession, code: str) -> Procedure:
    procedure = await repository.get_procedure(session, code)
    if procedure is None:
        raise NotFound(f"procedure {code} not found")
    return procedure


@dataclass(frozen=True)
class ProcedureTerms:
    """What a dossier copies from its procedure when it is received (domain.md §2)."""

    code: str
    name: str
    sector_code: str
    sector_name: str
    sector_group: SectorGroup
    time_limit_value: Decimal
    time_limit_unit: TimeUnit
    supplement_clock: SupplementClock
    boundary_free: bool
    online_level: OnlineLevel | None
    fee_vnd: int | None = None


_terms: TTLCache[ProcedureTerms] = TTLCache("procedure-terms")


async def require_active_procedure(session: AsyncSession, code: str) -> ProcedureTerms:
    """The terms a new dossier is received under; 422 when it is unknown or withdrawn."""

    async def load() -> ProcedureTerms:
        procedure = await repository.get_procedure(session, code)
        if procedure is None or not procedure.is_active:
            raise Unprocessable(f"procedure_code: procedure {code} does not exist or is inactive")
        return ProcedureTerms(
            code=procedure.code,
            name=procedure.name,
            sector_code=procedure.sector_code,
            sector_name=procedure.sector_name,
            sector_group=procedure.sector_group,
            time_limit_value=Decimal(procedure.time_limit_value),
            time_limit_unit=procedure.time_limit_unit,
            supplement_clock=procedure.supplement_clock,
            boundary_free=procedure.boundary_free,
            online_level=procedure.online_level,
            fee_vnd=procedure.fee_vnd,
        )

    return await _terms.get(code, load)


def _merged_time_limit(procedure: Procedure, patch: TimeLimitPatch) -> dict[str, Any]:
    unit = patch.unit or procedure.time_limit_unit
    value: Decimal | None = patch.value if patch.value is not None else procedure.time_limit_value
    if patch.value is None and patch.unit is not None and patch.unit != procedure.time_limit_unit:
        # A new unit without a value: only same_day can do without one.
        value = None
    try:
        checked = check_time_limit(value, unit)
    except ValueError as exc:
        msg = str(exc)
        loc = ["body", "time_limit", "value"]
        raise Unprocessable(f"time_limit.value: {msg}", errors=[{"loc": loc, "msg": msg}]) from exc
    return {"time_limit_value": checked, "time_limit_unit": unit}


async def update_procedure(
    session: AsyncSession, procedure: Procedure, data: ProcedureUpdate
) -> Procedure:
    changes = data.model_dump(exclude_unset=True, exclude={"time_limit"})
    if data.time_limit is not None:
        changes |= _merged_time_limit(procedure, data.time_limit)
    if "name" in changes:
        changes["name_folded"] = repository.search_key(changes["name"])
    for key, value in changes.items():
        setattr(procedure, key, value)
    await session.flush()
    clear_all()
    await session.refresh(procedure)  # updated_at is set by the database
    return procedure
