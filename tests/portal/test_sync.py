"""Dossier changes reach the (mock) portal exactly once: normal runs, a portal that fails
and recovers, an expired session, a wiped Redis, a SIGKILL mid-run."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.core.clock import utcnow
from services.core.db import get_sessionmaker
from services.core.redis import get_redis
from services.core.settings import get_settings
from services.dossiers import service as dossier_service
from services.dossiers.schemas import ApplicantIn, AssignIn, DossierCreate
from services.dossiers.workflow import Action
from services.identity.principal import Principal
from services.portal import service as portal_service
from services.portal.client import PortalClient, PortalResponse
from services.portal.jobs import portal_summary, portal_sync
from services.portal_mock.main import create_portal_app
from tests.conftest import COMMITTED_AGENCY, COMMITTED_PROCEDURE

MOCK_TABLES = "portal_mock_received, portal_mock_dossiers, portal_mock_sessions, portal_mock_faults"


@pytest_asyncio.fixture
async def portal(engine: AsyncEngine, committed_agency: str) -> AsyncIterator[dict[str, Any]]:
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {MOCK_TABLES}"))
    transport = httpx.ASGITransport(app=create_portal_app())
    client = PortalClient.create(get_settings(), transport)
    # One session for the test's own calls, taken before any fault is switched on.
    token = await client._login()
    await client.close()
    yield {"portal_transport": transport, "auth": {"Authorization": f"Bearer {token}"}}
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {MOCK_TABLES}"))


async def _received(ctx: dict[str, Any], kind: str = "dossier") -> list[dict[str, Any]]:
    client = PortalClient.create(get_settings(), ctx["portal_transport"])
    try:
        items: list[dict[str, Any]] = []
        while True:
            page = await client.http.get(
                "/api/received",
                params={"kind": kind, "limit": 1000, "offset": len(items)},
                headers={"Authorization": f"Bearer {await client._login()}"},
            )
            batch = page.json()["items"]
            items += batch
            if len(batch) < 1000:
                return items
    finally:
        await client.close()


async def _faults(ctx: dict[str, Any], body: dict[str, Any] | None) -> None:
    client = PortalClient.create(get_settings(), ctx["portal_transport"])
    try:
        auth = ctx["auth"]
        if body is None:
            await client.http.delete("/_admin/faults", headers=auth)
        else:
            await client.http.post("/_admin/faults", json=body, headers=auth)
    finally:
        await client.close()


async def _receive(count: int, assign: int = 0) -> list[str]:
    """Committed dossiers of the committed agency, some assigned (a second version)."""
    principal = Principal(
        kind="api_key",
        id=uuid.uuid4(),
        name="test",
        agency_code=COMMITTED_AGENCY,
        scopes=frozenset({"dossiers:write"}),
    )
    codes = []
    async with get_sessionmaker()() as session, session.begin():
        for n in range(count):
            data = DossierCreate(
                procedure_code=COMMITTED_PROCEDURE,
                channel="in_person",  # type: ignore[arg-type]
                applicant=ApplicantIn(full_name=f"Người Số {n}"),
            )
            dossier, _ = await dossier_service.create(
                session, principal, data, utcnow(), get_settings()
            )
            if n < assign:
                await dossier_service.perform(
                    session, principal, dossier, Action.ASSIGN, AssignIn(), utcnow(), get_settings()
                )
            codes.append(dossier.code)
    return codes


def _keys(received: list[dict[str, Any]]) -> list[str]:
    return sorted(r["idempotency_key"] for r in received)


async def _sync_state(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT portal_sync, count(*) FROM dossiers WHERE receiving_agency_code = :a "
                "GROUP BY portal_sync"
            ),
            {"a": COMMITTED_AGENCY},
        )
        return dict(rows.tuples().all())


async def test_each_change_is_accepted_once_creates_before_updates(
    portal: dict[str, Any], engine: AsyncEngine
) -> None:
    codes = await _receive(5, assign=2)
    first = await portal_sync(portal)
    assert first["queued"] == 7 and first["sent"] == 7
    received = await _received(portal)
    assert _keys(received) == sorted([f"{c}:v1" for c in codes] + [f"{c}:v2" for c in codes[:2]])
    by_key = {r["idempotency_key"]: r for r in received}
    assert by_key[f"{codes[0]}:v1"]["is_updating"] is False
    assert by_key[f"{codes[0]}:v2"]["is_updating"] is True
    assert by_key[f"{codes[0]}:v2"]["status"] == 4 and by_key[f"{codes[4]}:v1"]["status"] == 2
    assert await _sync_state(engine) == {"synced": 5}
    again = await portal_sync(portal)
    assert again == {"queued": 0, "sent": 0, "retried": 0, "failed": 0}
    assert len(await _received(portal)) == 7


async def test_a_change_another_consumer_holds_keeps_the_later_ones_waiting(
    portal: dict[str, Any], engine: AsyncEngine
) -> None:
    [code] = await _receive(1, assign=1)  # v1 (received) and v2 (assigned)
    async with engine.connect() as other:
        # The webhook fan-out (or a second worker) has the v1 event locked: ours skips it.
        held = await other.begin()
        await other.execute(
            text("SELECT id FROM outbox_events WHERE subject = :c ORDER BY id LIMIT 1 FOR UPDATE"),
            {"c": code},
        )
        await portal_sync(portal)
        assert [r for r in await _received(portal) if r["idempotency_key"].startswith(code)] == []
        await held.rollback()
    await portal_sync(portal)
    mine = [r for r in await _received(portal) if r["idempotency_key"].startswith(code)]
    # In order: without the wait, v2 went first and v1 then overwrote it with an older state.
    assert [r["idempotency_key"] for r in mine] == [f"{code}:v1", f"{code}:v2"]


async def test_a_refused_version_does_not_hold_back_the_next(
    portal: dict[str, Any], engine: AsyncEngine
) -> None:
    """A version the portal refused for good (bad data) is FAILED; once staff correct the
    dossier, the next version is sent, as a create since the portal has none."""
    [code] = await _receive(1, assign=1)
    await _faults(portal, {"fail_rate": 1, "status": 503})
    await portal_sync(portal)
    await _faults(portal, None)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE portal_sync_items SET status = CASE version WHEN 1 THEN 'failed' "
                "ELSE status END, next_attempt_at = now() WHERE dossier_code = :c"
            ),
            {"c": code},
        )
    await portal_sync(portal)
    mine = [r for r in await _received(portal) if r["idempotency_key"].startswith(code)]
    assert [(r["idempotency_key"], r["is_updating"]) for r in mine] == [(f"{code}:v2", False)]


async def test_portal_down_then_recovering_delivers_everything_once(
    portal: dict[str, Any], engine: AsyncEngine
) -> None:
    codes = await _receive(4, assign=1)
    await _faults(portal, {"fail_rate": 1, "status": 503})
    down = await portal_sync(portal)
    assert down["sent"] == 0 and down["retried"] >= 1
    async with engine.connect() as conn:
        attempts = (
            await conn.execute(
                text(
                    "SELECT count(*), min(error_code), max(message) FROM portal_attempts "
                    "WHERE subject LIKE :a || '%'"
                ),
                {"a": COMMITTED_AGENCY},
            )
        ).one()
    assert attempts[0] >= 1 and attempts[1] is None and "503" in attempts[2]
    await _faults(portal, None)
    async with engine.begin() as conn:  # the backoff has passed
        await conn.execute(text("UPDATE portal_sync_items SET next_attempt_at = now()"))
    for _ in range(3):
        await portal_sync(portal)
    assert _keys(await _received(portal)) == sorted([f"{c}:v1" for c in codes] + [f"{codes[0]}:v2"])
    assert await _sync_state(engine) == {"synced": 4}


async def test_flaky_portal_half_the_time(portal: dict[str, Any], engine: AsyncEngine) -> None:
    settings = get_settings()
    settings.portal_retry_base_seconds, settings.portal_sync_batch_size = 0, 3
    try:
        codes = await _receive(12, assign=6)
        await _faults(portal, {"fail_rate": 0.5, "status": 502})
        for _ in range(40):
            await portal_sync(portal)
            if await _sync_state(engine) == {"synced": 12}:
                break
    finally:
        settings.portal_retry_base_seconds, settings.portal_sync_batch_size = 5, 500
    await _faults(portal, None)
    keys = _keys(await _received(portal))
    assert keys == sorted([f"{c}:v1" for c in codes] + [f"{c}:v2" for c in codes[:6]])


async def test_expired_session_is_renewed(portal: dict[str, Any], engine: AsyncEngine) -> None:
    client = PortalClient.create(get_settings(), portal["portal_transport"])
    try:
        first = await client.call("/api/summaries", {"IdempotencyKey": "k1", "MaDonVi": "A.1"})
        assert first.body["error_code"] == 0
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE portal_mock_sessions SET expires_at = now()"))
        second = await client.call("/api/summaries", {"IdempotencyKey": "k2", "MaDonVi": "A.1"})
        assert second.body["error_code"] == 0
    finally:
        await client.close()


async def test_redis_wiped_between_runs_loses_nothing(
    portal: dict[str, Any], engine: AsyncEngine
) -> None:
    codes = await _receive(3)
    await get_redis().flushdb()
    await portal_sync(portal)
    assert _keys(await _received(portal)) == sorted(f"{c}:v1" for c in codes)


async def test_summary_is_kept_until_accepted(portal: dict[str, Any], engine: AsyncEngine) -> None:
    await _receive(2)
    await _faults(portal, {"fail_rate": 1})
    assert (await portal_summary(portal))["sent"] == 0
    await _faults(portal, None)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE portal_summaries SET next_attempt_at = now()"))
    await portal_summary(portal)
    summaries = await _received(portal, "summary")
    mine = [s for s in summaries if s["code"] == COMMITTED_AGENCY]
    assert len(mine) >= 1
    payload = mine[0]["payload"]
    assert payload["SoHoSoTheoTrangThai"] == {"2": 2} and payload["TiepNhanTrongKy"] == 2
    assert "KyBaoCao" in payload and payload["SoHoSoQuaHan"] == 0
    async with engine.connect() as conn:
        pending = await conn.scalar(
            text(
                "SELECT count(*) FROM portal_summaries WHERE agency_code = :a AND status <> 'sent'"
            ),
            {"a": COMMITTED_AGENCY},
        )
    assert pending == 0


async def test_summary_runs_never_push_the_same_summary_nor_undo_each_other(
    portal: dict[str, Any], engine: AsyncEngine
) -> None:
    """The hourly push and the one after a scan run in the same minute: each claims its own
    summaries, and a late answer recorded from a stale copy does not undo a success."""
    keys = [f"test-{uuid.uuid4()}" for _ in range(2)]
    settings = get_settings()
    async with engine.begin() as conn:
        for key in keys:
            await conn.execute(
                text(
                    "INSERT INTO portal_summaries (idempotency_key, agency_code, payload, status, "
                    "attempts, next_attempt_at) VALUES (:k, :a, '{}', 'pending', 0, now())"
                ),
                {"k": key, "a": COMMITTED_AGENCY},
            )
    sessions, now = get_sessionmaker(), utcnow()
    try:
        async with sessions() as first, first.begin():
            claimed = await portal_service.claim_summaries(first, now, settings)
            mine = [s for s in claimed if s.idempotency_key in keys]
            async with sessions() as second, second.begin():
                others = await portal_service.claim_summaries(second, now, settings)
                assert not {s.idempotency_key for s in others} & set(keys)
        assert len(mine) == 2
        async with sessions() as third, third.begin():
            later = await portal_service.claim_summaries(third, now, settings)
            assert not {s.idempotency_key for s in later} & set(keys)  # leased
        accepted = PortalResponse("r1", 200, {"error_code": 0})
        async with sessions() as session, session.begin():
            assert await portal_service.record_summary_result(
                session, mine[0], accepted, None, utcnow(), settings
            )
        async with sessions() as session, session.begin():  # a second run's late failure
            await portal_service.record_summary_result(
                session, mine[0], None, "timed out", utcnow(), settings
            )
        async with engine.connect() as conn:
            status = await conn.scalar(
                text("SELECT status FROM portal_summaries WHERE idempotency_key = :k"),
                {"k": mine[0].idempotency_key},
            )
        assert status == "sent"
    finally:
        async with engine.begin() as conn:
            await conn.execute(
                text("DELETE FROM portal_summaries WHERE idempotency_key = ANY(:k)"), {"k": keys}
            )


async def test_sigkill_of_a_sync_run_then_rerun(
    portal: dict[str, Any], engine: AsyncEngine
) -> None:
    codes = await _receive(40)
    port = _free_port()
    env = {**os.environ, "MOTCUA_LOG_LEVEL": "WARNING"}
    mock = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "services.portal_mock.main:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait(url)
        env_sync = {**env, "MOTCUA_PORTAL_URL": url, "MOTCUA_PORTAL_SYNC_BATCH_SIZE": "2"}
        async with httpx.AsyncClient(base_url=url) as http:
            token = (
                await http.post(
                    "/api/auth/token",
                    json={
                        "username": get_settings().portal_username,
                        "password": get_settings().portal_password.get_secret_value(),
                    },
                )
            ).json()["session"]
            await http.post(
                "/_admin/faults",
                json={"fail_rate": 0, "latency_ms": 150},
                headers={"Authorization": f"Bearer {token}"},
            )
            run = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "run-job", "portal-sync"],
                env=env_sync,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 60
            while True:
                got = (
                    await http.get(
                        "/api/received",
                        params={"kind": "dossier"},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                ).json()
                if got["total"] >= 6:
                    break
                assert time.monotonic() < deadline and run.poll() is None
                await asyncio.sleep(0.05)
            run.send_signal(signal.SIGKILL)
            run.wait(timeout=10)
            assert got["total"] < 40, "the kill should land mid-run"
            await http.delete("/_admin/faults", headers={"Authorization": f"Bearer {token}"})
            async with engine.begin() as conn:  # the lease of the killed run has expired
                await conn.execute(
                    text(
                        "UPDATE portal_sync_items SET next_attempt_at = now() "
                        "WHERE status = 'pending'"
                    )
                )
            rerun = subprocess.run(
                [sys.executable, "-m", "services.cli", "run-job", "portal-sync"],
                env=env_sync,
                capture_output=True,
                timeout=120,
                check=False,
            )
            assert rerun.returncode == 0, rerun.stderr
            final = (
                await http.get(
                    "/api/received",
                    params={"kind": "dossier", "limit": 1000},
                    headers={"Authorization": f"Bearer {token}"},
                )
            ).json()
    finally:
        mock.terminate()
        mock.wait(timeout=20)
    assert _keys(final["items"]) == sorted(f"{c}:v1" for c in codes)
    assert await _sync_state(engine) == {"synced": 40}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("mock portal did not start")
