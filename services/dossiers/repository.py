"""Named queries over dossiers; agency scoping lives here so that no endpoint can forget it."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Table,
    Text,
    bindparam,
    false,
    func,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import TextClause

from services.core.db import RowReader
from services.core.privacy import fold
from services.dossiers.models import Dossier, DossierHistory
from services.dossiers.schemas import ListFilters
from services.identity.principal import Principal
from services.outbox import doorbell
from services.outbox.models import OutboxEvent


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """Staff and keys see the dossiers their agency receives, resolves or holds a step of;
    admins see all."""
    if principal.is_admin:
        return true()
    return or_(
        Dossier.receiving_agency_code == principal.agency_code,
        Dossier.resolving_agency_code == principal.agency_code,
        # Liên thông: an agency holding a step sees the dossier while it holds it.
        Dossier.holder_agency_codes.contains([principal.agency_code]),
    )


async def get_visible(
    session: AsyncSession, principal: Principal, code: str, *, for_update: bool = False
) -> Dossier | None:
    stmt = select(Dossier).where(Dossier.code == code, visible_to(principal))
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.scalars(stmt)).first()


async def get_by_code(
    session: AsyncSession, code: str, *, for_update: bool = False
) -> Dossier | None:
    """Unscoped: for system callers (the portal's events), never for a user's request."""
    stmt = select(Dossier).where(Dossier.code == code)
    return (await session.scalars(stmt.with_for_update() if for_update else stmt)).first()


async def get_by_portal_ref(session: AsyncSession, portal_ref: str) -> str | None:
    code: str | None = await session.scalar(
        select(Dossier.code).where(Dossier.portal_ref == portal_ref)
    )
    return code


# What a citizen may see of a dossier: a column read, not an entity.
PUBLIC_COLUMNS = (
    "code",
    "status",
    "procedure_name",
    "applicant_full_name",
    "received_at",
    "due_at",
    "finished_at",
    "returned_at",
)
# Plain SQL on the driver's pool: the busiest public path skips the ORM and the engine's pool.
_PUBLIC_VIEW_SQL = f"SELECT {', '.join(PUBLIC_COLUMNS)} FROM dossiers WHERE code = $1"  # noqa: S608


async def public_view(reader: RowReader, code: str) -> Mapping[str, Any] | None:
    return await reader.fetchrow(_PUBLIC_VIEW_SQL, code)


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    return Dossier.due_at < func.coalesce(Dossier.finished_at, now)


async def list_visible(
    session: AsyncSession,
    principal: Principal,
    filters: ListFilters,
    before_id: int | None,
    limit: int,
    now: datetime,
) -> list[Dossier]:
    stmt = select(Dossier).where(visible_to(principal)).order_by(Dossier.id.desc()).limit(limit)
    if before_id is not None:
        stmt = stmt.where(Dossier.id < before_id)
    if filters.status is not None:
        stmt = stmt.where(Dossier.status == filters.status)
    if filters.overdue is not None:
        clause = overdue_clause(now)
        stmt = stmt.where(clause if filters.overdue else func.coalesce(~clause, true()))
    if filters.procedure_code:
        stmt = stmt.where(Dossier.procedure_code == filters.procedure_code)
    if filters.sector_group:
        stmt = stmt.where(Dossier.sector_group == filters.sector_group)
    if filters.received_from is not None:
        stmt = stmt.where(Dossier.received_at >= filters.received_from)
    if filters.received_to is not None:
        stmt = stmt.where(Dossier.received_at < filters.received_to)
    if filters.q:
        folded = fold(filters.q).strip()
        # Both escape LIKE's wildcards: ``%`` searches for a percent sign, not for everything.
        stmt = stmt.where(
            or_(
                Dossier.applicant_name_folded.contains(folded, autoescape=True),
                Dossier.code.startswith(filters.q.strip().upper(), autoescape=True),
            )
            if folded
            else false()
        )
    return list(await session.scalars(stmt))


def _insert_numbered_statement() -> TextClause:
    """Built once, as text: SQLAlchemy cannot cache the compiled form of an ON CONFLICT
    statement, and compiling this one on every reception cost more than the database work."""
    dossiers = typing.cast(Table, Dossier.__table__)
    history = typing.cast(Table, DossierHistory.__table__)
    events = typing.cast(Table, OutboxEvent.__table__)
    columns = [c for c in dossiers.columns if c.key not in ("id", "code")]
    history_columns = [c for c in history.columns if c.key not in ("id", "dossier_id")]
    binds = [bindparam(c.key, type_=c.type) for c in columns]
    binds += [bindparam(f"h_{c.key}", type_=c.type) for c in history_columns]
    binds += [
        bindparam("e_event_type", type_=events.c.event_type.type),
        bindparam("e_agency_codes", type_=events.c.agency_codes.type),
        bindparam("e_payload", type_=events.c.payload.type),
        bindparam("code_prefix", type_=Text()),
        bindparam("day", type_=Date()),
    ]
    # NNNN, with more digits once the day passes 9999 (lpad would truncate them).
    # Only column names of our own tables are interpolated; every value is a bound parameter.
    sql = f"""
    WITH seq AS (
        INSERT INTO dossier_code_counters (agency_code, day, last_value)
        VALUES (:receiving_agency_code, :day, 1)
        ON CONFLICT (agency_code, day)
        DO UPDATE SET last_value = dossier_code_counters.last_value + 1
        RETURNING last_value
    ), inserted AS (
        INSERT INTO dossiers ({", ".join(c.key for c in columns)}, code)
        SELECT {", ".join(f":{c.key}" for c in columns)},
               :code_prefix || CASE WHEN last_value < 10000
                                    THEN lpad(last_value::text, 4, '0')
                                    ELSE last_value::text END
        FROM seq
        RETURNING id, code
    ), history AS (
        INSERT INTO dossier_history ({", ".join(c.key for c in history_columns)}, dossier_id)
        SELECT {", ".join(f":h_{c.key}" for c in history_columns)}, id FROM inserted
    ), event AS (
        INSERT INTO outbox_events (event_type, agency_codes, subject, payload)
        SELECT :e_event_type, :e_agency_codes, code,
               jsonb_set(:e_payload, '{{dossier,code}}', to_jsonb(code))
        FROM inserted
    )
    SELECT id, code FROM inserted
    """  # noqa: S608
    return text(sql).bindparams(*binds)


_INSERT_NUMBERED = _insert_numbered_statement()
_DOSSIER_COLUMNS = [c.key for c in Dossier.__table__.columns if c.key not in ("id", "code")]


async def insert_numbered(
    session: AsyncSession,
    dossier: Dossier,
    code_prefix: str,
    day: date,
    history: dict[str, Any],
    event: dict[str, Any],
) -> tuple[int, str]:
    """Numbers and inserts a new dossier, its first history row and its outbox event in one
    statement, returning (id, code).

    The counter row of the agency's day stays locked until the transaction ends, so every
    round trip after taking it delays the next reception of that agency: here there are none.
    """
    params: dict[str, Any] = {key: getattr(dossier, key) for key in _DOSSIER_COLUMNS}
    params.update({f"h_{k}": v for k, v in history.items()})
    params.update(
        e_event_type=event["event_type"],
        e_agency_codes=event["agency_codes"],
        e_payload=event["payload"],
        code_prefix=code_prefix,
        day=day,
    )
    row = (await session.execute(_INSERT_NUMBERED, params)).one()
    doorbell.mark_written(session.sync_session)  # its outbox row is plain SQL
    return int(row.id), str(row.code)


async def history(session: AsyncSession, dossier_id: int) -> list[DossierHistory]:
    stmt = (
        select(DossierHistory)
        .where(DossierHistory.dossier_id == dossier_id)
        .order_by(DossierHistory.id)
    )
    return list(await session.scalars(stmt))
