"""Database access of the mock portal. Each function runs and commits its own transaction: the
mock has no request-wide unit of work, and a sync batch may need to be retried as a whole."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.clock import utcnow
from services.core.db import get_sessionmaker
from services.portal_mock.models import (
    KIND_DOSSIER,
    KIND_SUMMARY,
    PortalMockDossier,
    PortalMockFaults,
    PortalMockReceived,
    PortalMockSession,
)
from services.portal_mock.schemas import ALREADY_EXISTS, NOT_FOUND, OK

T = TypeVar("T")

# Deadlock and serialization failure: two batches that share keys in a different order may
# wait on each other's unique-index entries; PostgreSQL aborts one, which is simply run again.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
ATTEMPTS = 3


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _in_transaction(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with get_sessionmaker()() as session, session.begin():
                return await work(session)
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) not in RETRYABLE_SQLSTATES or (
                attempt == ATTEMPTS
            ):
                raise
    raise AssertionError("unreachable")


# Sessions ---------------------------------------------------------------------------------


async def create_session(token: str, username: str, ttl_seconds: int) -> None:
    now = utcnow()

    async def work(session: AsyncSession) -> None:
        # Expired sessions are purged as new ones are issued, so the table stays small.
        await session.execute(delete(PortalMockSession).where(PortalMockSession.expires_at <= now))
        session.add(
            PortalMockSession(
                token_hash=token_hash(token),
                username=username,
                expires_at=now + timedelta(seconds=ttl_seconds),
            )
        )

    await _in_transaction(work)


async def session_is_valid(token: str) -> bool:
    async with get_sessionmaker()() as session:
        found = await session.scalar(
            select(PortalMockSession.token_hash).where(
                PortalMockSession.token_hash == token_hash(token),
                PortalMockSession.expires_at > utcnow(),
            )
        )
    return found is not None


# Faults -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Faults:
    fail_rate: float
    latency_ms: int
    status: int


async def get_faults() -> Faults | None:
    async with get_sessionmaker()() as session:
        row = await session.get(PortalMockFaults, 1)
    if row is None:
        return None
    return Faults(row.fail_rate, row.latency_ms, row.status)


async def set_faults(faults: Faults) -> None:
    values = {
        "fail_rate": faults.fail_rate,
        "latency_ms": faults.latency_ms,
        "status": faults.status,
    }

    async def work(session: AsyncSession) -> None:
        stmt = insert(PortalMockFaults).values(id=1, **values)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[PortalMockFaults.id], set_={**values, "updated_at": func.now()}
            )
        )

    await _in_transaction(work)


async def clear_faults() -> None:
    async def work(session: AsyncSession) -> None:
        await session.execute(delete(PortalMockFaults))

    await _in_transaction(work)


# Received records -------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    error_code: int
    duplicate: bool = False


async def _remember(
    session: AsyncSession,
    kind: str,
    code: str,
    key: str,
    payload: dict[str, Any],
    *,
    status: int | None = None,
    is_updating: bool | None = None,
) -> bool:
    """Inserts the received row; False when the key was accepted before (or concurrently)."""
    stmt = (
        insert(PortalMockReceived)
        .values(
            kind=kind,
            code=code,
            idempotency_key=key,
            payload=payload,
            status=status,
            is_updating=is_updating,
        )
        .on_conflict_do_nothing(
            index_elements=[PortalMockReceived.kind, PortalMockReceived.idempotency_key]
        )
        .returning(PortalMockReceived.id)
    )
    return await session.scalar(stmt) is not None


async def _store_dossier(
    session: AsyncSession, is_updating: bool, record: dict[str, Any]
) -> Outcome:
    code, key, status = record["MaHoSo"], record["IdempotencyKey"], record["TrangThaiHoSo"]
    savepoint = await session.begin_nested()
    if not await _remember(
        session, KIND_DOSSIER, code, key, record, status=status, is_updating=is_updating
    ):
        await savepoint.rollback()
        return Outcome(OK, duplicate=True)
    if is_updating:
        stored = await session.scalar(
            update(PortalMockDossier)
            .where(PortalMockDossier.ma_ho_so == code)
            .values(status=status, payload=record, last_idempotency_key=key)
            .returning(PortalMockDossier.ma_ho_so)
        )
        failure = NOT_FOUND
    else:
        stored = await session.scalar(
            insert(PortalMockDossier)
            .values(ma_ho_so=code, status=status, payload=record, last_idempotency_key=key)
            .on_conflict_do_nothing(index_elements=[PortalMockDossier.ma_ho_so])
            .returning(PortalMockDossier.ma_ho_so)
        )
        failure = ALREADY_EXISTS
    if stored is None:
        # The received row goes too: a refused record is not "accepted", so its key stays free.
        await savepoint.rollback()
        return Outcome(failure)
    await savepoint.commit()
    return Outcome(OK)


async def store_dossiers(is_updating: bool, records: Sequence[dict[str, Any]]) -> list[Outcome]:
    """Stores valid records in one transaction, in order; a refused one leaves the rest alone."""

    async def work(session: AsyncSession) -> list[Outcome]:
        return [await _store_dossier(session, is_updating, r) for r in records]

    async def batch(session: AsyncSession) -> list[Outcome]:
        return await _store_dossier_batch(session, is_updating, records)

    if not records:
        return []
    codes = {r["MaHoSo"] for r in records}
    keys = {r["IdempotencyKey"] for r in records}
    if len(codes) == len(keys) == len(records):
        return await _in_transaction(batch)
    # A code or key twice in one request: record by record, so that order decides.
    return await _in_transaction(work)


async def _store_dossier_batch(
    session: AsyncSession, is_updating: bool, records: Sequence[dict[str, Any]]
) -> list[Outcome]:
    """The same answers as record by record, in a few set-based statements (a real portal
    takes batches of hundreds; per-record savepoints made the mock the bottleneck)."""
    received = [
        {
            "kind": KIND_DOSSIER,
            "code": r["MaHoSo"],
            "idempotency_key": r["IdempotencyKey"],
            "payload": r,
            "status": r["TrangThaiHoSo"],
            "is_updating": is_updating,
        }
        for r in records
    ]
    # executemany with RETURNING (insertmanyvalues): compiled once, unlike a VALUES list
    # whose statement differs with every batch size.
    new_keys = set(
        await session.scalars(
            insert(PortalMockReceived)
            .on_conflict_do_nothing(
                index_elements=[PortalMockReceived.kind, PortalMockReceived.idempotency_key]
            )
            .returning(PortalMockReceived.idempotency_key),
            received,
        )
    )
    fresh = [r for r in records if r["IdempotencyKey"] in new_keys]
    states = [
        {
            "ma_ho_so": r["MaHoSo"],
            "status": r["TrangThaiHoSo"],
            "payload": r,
            "last_idempotency_key": r["IdempotencyKey"],
        }
        for r in fresh
    ]
    stored: set[str] = set()
    if is_updating and fresh:
        stored = set(
            await session.scalars(
                select(PortalMockDossier.ma_ho_so)
                .where(PortalMockDossier.ma_ho_so.in_([r["MaHoSo"] for r in fresh]))
                .with_for_update()
            )
        )
        known = [row for row in states if row["ma_ho_so"] in stored]
        if known:
            # ORM bulk UPDATE by primary key: one executemany for the whole batch.
            await session.execute(update(PortalMockDossier), known)
    elif fresh:
        stored = set(
            await session.scalars(
                insert(PortalMockDossier)
                .on_conflict_do_nothing(index_elements=[PortalMockDossier.ma_ho_so])
                .returning(PortalMockDossier.ma_ho_so),
                states,
            )
        )
    failure = NOT_FOUND if is_updating else ALREADY_EXISTS
    refused = [r["IdempotencyKey"] for r in fresh if r["MaHoSo"] not in stored]
    if refused:
        # A refused record is not "accepted": its received row goes, and its key stays free.
        await session.execute(
            delete(PortalMockReceived).where(
                PortalMockReceived.kind == KIND_DOSSIER,
                PortalMockReceived.idempotency_key.in_(refused),
            )
        )
    return [
        Outcome(OK, duplicate=True)
        if r["IdempotencyKey"] not in new_keys
        else Outcome(OK if r["MaHoSo"] in stored else failure)
        for r in records
    ]


async def store_summary(payload: dict[str, Any]) -> Outcome:
    async def work(session: AsyncSession) -> Outcome:
        stored = await _remember(
            session, KIND_SUMMARY, payload["MaDonVi"], payload["IdempotencyKey"], payload
        )
        return Outcome(OK, duplicate=not stored)

    return await _in_transaction(work)


async def list_received(
    *,
    kind: str | None,
    code: str | None,
    idempotency_key: str | None,
    limit: int,
    offset: int,
) -> tuple[list[PortalMockReceived], int]:
    conditions = []
    if kind is not None:
        conditions.append(PortalMockReceived.kind == kind)
    if code is not None:
        conditions.append(PortalMockReceived.code == code)
    if idempotency_key is not None:
        conditions.append(PortalMockReceived.idempotency_key == idempotency_key)
    async with get_sessionmaker()() as session:
        total = await session.scalar(
            select(func.count()).select_from(PortalMockReceived).where(*conditions)
        )
        rows = await session.scalars(
            select(PortalMockReceived)
            .where(*conditions)
            .order_by(PortalMockReceived.id)
            .limit(limit)
            .offset(offset)
        )
        return list(rows), total or 0
