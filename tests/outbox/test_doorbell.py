"""The doorbell: a commit that wrote outbox rows queues the worker's delivery jobs at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from arq import create_pool
from arq.connections import RedisSettings
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.settings import get_settings
from services.outbox import doorbell
from tests.conftest import LoginFn
from tests.dossiers.conftest import dossier_body


@pytest_asyncio.fixture
async def bell(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[None]:
    monkeypatch.setattr(get_settings(), "doorbell", True)
    monkeypatch.setattr(get_settings(), "doorbell_interval_ms", 50)
    yield
    await doorbell.close()


async def _queued() -> list[str]:
    pool = await create_pool(RedisSettings.from_dsn(get_settings().redis_url))
    try:
        return sorted(job.function for job in await pool.queued_jobs())
    finally:
        await pool.aclose()


async def _rounds_reach(n: int) -> None:
    for _ in range(100):
        if doorbell.rounds() >= n:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"doorbell rounds: {doorbell.rounds()}, expected {n}")


async def test_a_reception_rings_once_for_a_burst(
    client: httpx.AsyncClient,
    login: LoginFn,
    procedures: Any,
    bell: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Rounds at most every second: the burst below must fit in one interval, and five
    # receptions took more than the fixture's 50 ms on a loaded machine.
    monkeypatch.setattr(get_settings(), "doorbell_interval_ms", 1000)
    officer = await login("officer")
    assert await _queued() == []
    for _ in range(5):
        resp = await client.post("/api/v1/dossiers", headers=officer, json=dossier_body())
        assert resp.status_code == 201
    await _rounds_reach(1)
    await asyncio.sleep(0.2)  # let a second round, if any, happen
    # Five receptions in a burst: one or two rounds; with no worker to run them, the second
    # round adds nothing, since each delivery job is queued under its fixed id.
    assert doorbell.rounds() in (1, 2)
    assert await _queued() == sorted(doorbell.DELIVERY_JOBS)
    resp = await client.post("/api/v1/dossiers", headers=officer, json=dossier_body())
    assert resp.status_code == 201
    await _rounds_reach(doorbell.rounds() + 1)
    assert await _queued() == sorted(doorbell.DELIVERY_JOBS)


async def test_a_refused_request_does_not_ring(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any, bell: None
) -> None:
    officer = await login("officer")
    bad = await client.post(
        "/api/v1/dossiers", headers=officer, json=dossier_body(procedure_code="9.999999")
    )
    assert bad.status_code == 422
    read = await client.get("/api/v1/dossiers", headers=officer)
    assert read.status_code == 200
    await asyncio.sleep(0.2)
    assert doorbell.rounds() == 0 and await _queued() == []


async def test_redis_down_costs_only_the_ring(
    client: httpx.AsyncClient,
    login: LoginFn,
    procedures: Any,
    bell: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    officer = await login("officer")
    monkeypatch.setattr(get_settings(), "redis_url", "redis://127.0.0.1:9/0")  # nothing there
    resp = await client.post("/api/v1/dossiers", headers=officer, json=dossier_body())
    assert resp.status_code == 201  # the reception itself does not depend on Redis
    for _ in range(100):
        if "doorbell not rung" in caplog.text:
            break
        await asyncio.sleep(0.02)
    assert "doorbell not rung: redis unavailable" in caplog.text
    assert doorbell.rounds() == 0


async def test_a_rolled_back_savepoint_does_not_silence_the_commit(
    session: AsyncSession, seed: Any, bell: None
) -> None:
    from services.outbox.service import emit

    emit(session, "dossier.status_changed", "X-1", ["000.00.31.H56"], {})
    await session.flush()
    savepoint = await session.begin_nested()
    emit(session, "dossier.status_changed", "X-2", ["000.00.31.H56"], {})
    await session.flush()
    await savepoint.rollback()
    await session.commit()
    await _rounds_reach(1)
