"""``Idempotency-Key`` on creating POSTs: a repeated key and body get the first answer."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Index, Integer, String, delete, func, select, tuple_
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services.core.clock import utcnow
from services.core.db import RowReader, get_sessionmaker
from services.core.errors import Conflict, Unprocessable
from services.core.models import Base, TimestampMixin
from services.core.routing import TextParameter
from services.core.settings import get_settings

logger = logging.getLogger("motcua.jobs.idempotency")
PURGE_BATCH = 5000

# The header as a route that reads it itself checks it (routing.reads_itself), and as others
# declare it.
IDEMPOTENCY_KEY = TextParameter("header", "Idempotency-Key", 1, 128, required=False)
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_KEY.name,
        min_length=IDEMPOTENCY_KEY.min_length,
        max_length=IDEMPOTENCY_KEY.max_length,
        description="Repeat a create safely: the same key and body answer the first result.",
    ),
]


class IdempotencyRecord(TimestampMixin, Base):
    """The first answer to a creating POST with an ``Idempotency-Key``, replayed for repeats."""

    __tablename__ = "idempotency_records"
    __table_args__ = (Index("ix_idempotency_records_created_at", "created_at"),)

    principal: Mapped[str] = mapped_column(String(160), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSONB)


def request_fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


async def lock_key(session: AsyncSession, principal: str, key: str) -> None:
    """Serialises requests that share a key, so only one of them creates the resource."""
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtext(f"idem:{principal}:{key}")))
    )


IDEMPOTENCY_PRIMARY_KEY = "pk_idempotency_records"


def _same_request(request_hash: str, fingerprint: str) -> None:
    if request_hash != fingerprint:
        raise Unprocessable(
            "Idempotency-Key was already used with a different request body; use a new key"
        )


async def replay(
    session: AsyncSession, principal: str, key: str, fingerprint: str
) -> IdempotencyRecord | None:
    record = await session.get(IdempotencyRecord, (principal, key))
    if record is not None:
        _same_request(record.request_hash, fingerprint)
    return record


async def stored_answer(
    rows: RowReader, principal: str, key: str, fingerprint: str
) -> dict[str, Any] | None:
    """``replay`` in plain SQL, for the receptions, whose answers are stored by the numbering
    statement itself (``dossiers.repository.insert_numbered``)."""
    row = await rows.fetchrow(
        "SELECT request_hash, response::text FROM idempotency_records "
        "WHERE principal = $1 AND key = $2",
        principal,
        key,
    )
    if row is None:
        return None
    _same_request(row[0], fingerprint)
    answer: dict[str, Any] = json.loads(row[1])
    return answer


async def remember(
    session: AsyncSession,
    principal: str,
    key: str,
    fingerprint: str,
    status_code: int,
    response: dict[str, Any],
) -> None:
    await session.execute(
        insert(IdempotencyRecord)
        .values(
            principal=principal,
            key=key,
            request_hash=fingerprint,
            status_code=status_code,
            response=response,
        )
        .on_conflict_do_nothing()
    )


async def once(
    session: AsyncSession,
    principal: str,
    key: str | None,
    body: Any,
    produce: Callable[[], Awaitable[dict[str, Any]]],
    shown_once: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Runs ``produce`` once per (principal, key); returns (response, replayed).

    ``shown_once``: a field of the answer holding a secret (an API key, a signing secret). It
    is never stored, so a repeat cannot show it again: it answers 409 instead of creating a
    second resource."""
    if key is None:
        return await produce(), False
    await lock_key(session, principal, key)
    fingerprint = request_fingerprint(body)
    record = await replay(session, principal, key, fingerprint)
    if record is not None:
        if shown_once is not None:
            raise Conflict(
                f"Idempotency-Key: this key already created {record.response.get('id')}, whose "
                f"{shown_once} is shown only once; if the answer was lost, revoke it and create "
                "another with a new key"
            )
        return record.response, True
    response = await produce()
    kept = {k: v for k, v in response.items() if k != shown_once}
    await remember(session, principal, key, fingerprint, 201, kept)
    return response, False


async def created(
    session: AsyncSession,
    principal: str,
    key: str | None,
    body: Any,
    produce: Callable[[], Awaitable[BaseModel]],
    shown_once: str | None = None,
) -> JSONResponse:
    """The 201 answer of a creating POST that honours ``Idempotency-Key`` (api.md)."""

    async def dumped() -> dict[str, Any]:
        return (await produce()).model_dump(mode="json")

    response, _ = await once(session, principal, key, body, dumped, shown_once)
    return JSONResponse(response, status_code=201)


async def purge_before(session: AsyncSession, before: datetime, limit: int) -> int:
    """Deletes up to ``limit`` records first answered before ``before``; returns how many."""
    oldest = (
        select(IdempotencyRecord.principal, IdempotencyRecord.key)
        .where(IdempotencyRecord.created_at < before)
        .order_by(IdempotencyRecord.created_at)
        .limit(limit)
    )
    result = await session.execute(
        delete(IdempotencyRecord).where(
            tuple_(IdempotencyRecord.principal, IdempotencyRecord.key).in_(oldest)
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def idempotency_purge(ctx: dict[str, Any] | None = None) -> dict[str, int]:
    """Worker job: forgets answers older than the retention, in short transactions."""
    settings = get_settings()
    before = utcnow() - timedelta(days=settings.idempotency_retention_days)
    deleted = 0
    while True:
        async with get_sessionmaker()() as session, session.begin():
            batch = await purge_before(session, before, PURGE_BATCH)
        deleted += batch
        if batch < PURGE_BATCH:
            break
    logger.info("idempotency purge done", extra={"deleted": deleted})
    return {"deleted": deleted}
