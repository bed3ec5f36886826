"""Named queries over dossiers; agency scoping lives here so that no endpoint can forget it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.db import RowReader
from services.core.privacy import fold
from services.dossiers.models import Dossier, DossierHistory
from services.dossiers.schemas import ListFilters
from services.identity.principal import Principal
from services.processes.models import DossierStep


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
    row: Mapping[str, Any] | None = await reader.fetchrow(_PUBLIC_VIEW_SQL, code)
    return row


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


def _columns(table: Any, *skip: str) -> list[str]:
    return [c.key for c in table.__table__.columns if c.key not in skip]


DOSSIER_COLUMNS = _columns(Dossier, "id", "code")
HISTORY_COLUMNS = _columns(DossierHistory, "id", "dossier_id")
STEP_COLUMNS = _columns(DossierStep, "id", "dossier_id")


def _insert_numbered_sql() -> str:
    """One statement for a group of receptions: each agency-day's counter moves by the number
    of its receptions in the group, and each dossier, its first history row, its steps, its
    outbox event and its ``Idempotency-Key`` answer are written with their code. ``$1`` is a
    JSON array with one document per reception (``Reception.document``); the rows are read
    with ``jsonb_populate_record``, so each value takes its column's type.

    A reception whose ``Idempotency-Key`` already has a stored answer is left out: it is a
    repeat, answered from that answer. Counter rows are taken in (agency, day) order, so that
    two groups never wait for each other's rows in turn. Only column names of our own tables
    are interpolated; every value is a bound parameter.
    """

    def picked(alias: str, columns: list[str]) -> str:
        return ", ".join(f"{alias}.{c}" for c in columns)

    return f"""
    WITH batch AS (
        SELECT n, doc, doc ->> 'agency' AS agency_code, (doc ->> 'day')::date AS day
        FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS b(doc, n)
        WHERE NOT EXISTS (
            SELECT FROM idempotency_records r
            WHERE r.principal = doc -> 'idempotency' ->> 'principal'
              AND r.key = doc -> 'idempotency' ->> 'key'
        )
    ), taken AS (
        SELECT agency_code, day, count(*)::int AS taken FROM batch GROUP BY agency_code, day
    ), seq AS (
        INSERT INTO dossier_code_counters AS c (agency_code, day, last_value)
        SELECT agency_code, day, taken FROM taken ORDER BY agency_code, day
        ON CONFLICT (agency_code, day)
        DO UPDATE SET last_value = c.last_value + EXCLUDED.last_value
        RETURNING agency_code, day, last_value
    ), numbered AS (
        SELECT batch.n, batch.doc, seq.last_value - taken.taken + row_number() OVER (
                   PARTITION BY batch.agency_code, batch.day ORDER BY batch.n
               ) AS number
        FROM batch JOIN taken USING (agency_code, day) JOIN seq USING (agency_code, day)
    ), coded AS (
        -- NNNN, with more digits once the day passes 9999 (lpad would truncate them).
        SELECT n, doc, doc ->> 'prefix' || CASE WHEN number < 10000
                                                THEN lpad(number::text, 4, '0')
                                                ELSE number::text END AS code
        FROM numbered
    ), inserted AS (
        INSERT INTO dossiers ({", ".join(DOSSIER_COLUMNS)}, code)
        SELECT {picked("d", DOSSIER_COLUMNS)}, coded.code
        FROM coded, jsonb_populate_record(NULL::dossiers, coded.doc -> 'dossier') AS d
        RETURNING id, code
    ), mine AS (
        SELECT coded.n, coded.doc, inserted.id, inserted.code
        FROM inserted JOIN coded USING (code)
    ), history AS (
        INSERT INTO dossier_history ({", ".join(HISTORY_COLUMNS)}, dossier_id)
        SELECT {picked("h", HISTORY_COLUMNS)}, mine.id
        FROM mine, jsonb_populate_record(NULL::dossier_history, mine.doc -> 'history') AS h
    ), steps AS (
        INSERT INTO dossier_steps ({", ".join(STEP_COLUMNS)}, dossier_id)
        SELECT {picked("s", STEP_COLUMNS)}, mine.id
        FROM mine, jsonb_populate_recordset(NULL::dossier_steps, mine.doc -> 'steps') AS s
    ), event AS (
        INSERT INTO outbox_events (event_type, agency_codes, subject, payload)
        SELECT e.event_type, e.agency_codes, mine.code,
               jsonb_set(e.payload, '{{dossier,code}}', to_jsonb(mine.code))
        FROM mine, jsonb_populate_record(NULL::outbox_events, mine.doc -> 'event') AS e
    ), remembered AS (
        INSERT INTO idempotency_records (principal, key, request_hash, status_code, response)
        -- The answer is the dossier of its event (the create answer without its token).
        SELECT i.principal, i.key, i.request_hash, i.status_code,
               jsonb_set(mine.doc #> '{{event,payload,dossier}}', '{{code}}', to_jsonb(mine.code))
        FROM (SELECT * FROM mine WHERE doc ? 'idempotency') AS mine,
             jsonb_populate_record(NULL::idempotency_records, mine.doc -> 'idempotency') AS i
    )
    SELECT n, id, code FROM mine ORDER BY n
    """  # noqa: S608


_INSERT_NUMBERED = _insert_numbered_sql()


async def insert_numbered(
    rows: RowReader, documents: Sequence[str]
) -> list[tuple[int, str] | None]:
    """Numbers and writes receptions (JSON documents, see the statement) in one statement,
    returning (id, code) of each in order, None for a repeat of a stored Idempotency-Key.

    The counter rows of the agency-days stay locked until the transaction ends, so every round
    trip after taking them delays the next receptions of those agencies: here there are none.
    """
    found = await rows.fetch(_INSERT_NUMBERED, f"[{','.join(documents)}]")
    numbered = {int(row[0]): (int(row[1]), str(row[2])) for row in found}
    return [numbered.get(n) for n in range(1, len(documents) + 1)]


async def history(session: AsyncSession, dossier_id: int) -> list[DossierHistory]:
    stmt = (
        select(DossierHistory)
        .where(DossierHistory.dossier_id == dossier_id)
        .order_by(DossierHistory.id)
    )
    return list(await session.scalars(stmt))
