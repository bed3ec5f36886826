"""The worker's purge of old Idempotency-Key answers, on committed rows."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.core import idempotency
from services.core.clock import utcnow
from services.core.db import get_sessionmaker
from services.core.idempotency import IdempotencyRecord, idempotency_purge


async def test_the_purge_deletes_what_is_past_the_retention_in_batches(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    principal = f"purge-test:{uuid.uuid4()}"
    now = utcnow()
    ages = {"old-1": 45, "old-2": 31, "old-3": 400, "fresh": 29, "today": 0}
    async with get_sessionmaker()() as session, session.begin():
        for key, days in ages.items():
            session.add(
                IdempotencyRecord(
                    principal=principal,
                    key=key,
                    request_hash="0" * 64,
                    status_code=201,
                    response={"key": key},
                    created_at=now - timedelta(days=days),
                )
            )
    monkeypatch.setattr(idempotency, "PURGE_BATCH", 2)  # three batches: 2, 1, 0
    try:
        result = await idempotency_purge()
        async with get_sessionmaker()() as session:
            kept = set(
                await session.scalars(
                    select(IdempotencyRecord.key).where(IdempotencyRecord.principal == principal)
                )
            )
        assert kept == {"fresh", "today"}
        assert result["deleted"] >= 3
    finally:
        async with get_sessionmaker()() as session, session.begin():
            await session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.principal == principal)
            )
