from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from services.portal_mock.main import create_portal_app
from tests.portal_mock.conftest import PASSWORD, USERNAME
from tests.portal_mock.test_sync import received, record

FAILURE = {"error_code": 503, "message": "Lỗi hệ thống (giả lập)"}
SYNC = {"service": "DongBoHoSoMC", "isUpdating": False, "data": [record()]}
SUMMARY = {"IdempotencyKey": "s1", "MaDonVi": "000.00.31.H56"}
LOGIN = {"username": USERNAME, "password": PASSWORD}


async def set_faults(
    portal: httpx.AsyncClient, auth: dict[str, str], **faults: Any
) -> dict[str, Any]:
    resp = await portal.post("/_admin/faults", json=faults, headers=auth)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def test_a_failing_portal_stores_nothing_until_faults_are_cleared(
    portal: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    assert await set_faults(portal, auth, fail_rate=1) == {
        "active": True,
        "fail_rate": 1.0,
        "latency_ms": 0,
        "status": 503,
    }
    for path, body in (("/api/dossiers/sync", SYNC), ("/api/summaries", SUMMARY)):
        resp = await portal.post(path, json=body, headers=auth)
        assert resp.status_code == 503
        assert resp.json() == FAILURE
    login = await portal.post("/api/auth/token", json=LOGIN)
    assert login.status_code == 503
    # The operators' view and the admin endpoints keep working.
    assert (await received(portal, auth))["total"] == 0
    assert (await portal.get("/_admin/faults", headers=auth)).json()["active"] is True

    cleared = await portal.delete("/_admin/faults", headers=auth)
    assert cleared.status_code == 200
    assert cleared.json()["active"] is False
    assert (await portal.post("/api/dossiers/sync", json=SYNC, headers=auth)).json()[
        "error_code"
    ] == 0
    assert (await portal.post("/api/summaries", json=SUMMARY, headers=auth)).json()[
        "error_code"
    ] == 0
    assert (await portal.post("/api/auth/token", json=LOGIN)).status_code == 200
    assert (await received(portal, auth))["total"] == 2


async def test_faults_are_shared_by_every_mock_process(
    portal: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await set_faults(portal, auth, fail_rate=1, status=500)
    transport = httpx.ASGITransport(app=create_portal_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://other") as other:
        resp = await other.post("/api/summaries", json=SUMMARY, headers=auth)
    assert resp.status_code == 500
    assert resp.json() == {"error_code": 500, "message": "Lỗi hệ thống (giả lập)"}


async def test_fail_rate_zero_with_latency_only_slows_down(
    portal: httpx.AsyncClient, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The delays the mock asks for, rather than a stopwatch: a loaded machine slows every
    # request, and a time limit in a test then fails for no fault of the code.
    from services.portal_mock import auth as mock_auth

    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def recorded_sleep(seconds: float) -> None:
        delays.append(seconds)
        await real_sleep(seconds)

    monkeypatch.setattr(mock_auth.asyncio, "sleep", recorded_sleep)
    await set_faults(portal, auth, fail_rate=0, latency_ms=300)
    delays.clear()
    resp = await portal.post("/api/summaries", json=SUMMARY, headers=auth)
    assert resp.json()["error_code"] == 0
    assert delays.count(0.3) == 1
    await received(portal, auth)  # the test's own view of the mock is not slowed down
    assert delays.count(0.3) == 1


async def test_a_partial_fail_rate_fails_some_requests(
    portal: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await set_faults(portal, auth, fail_rate=0.5)
    statuses = [
        (
            await portal.post(
                "/api/summaries", json=SUMMARY | {"IdempotencyKey": f"s{i}"}, headers=auth
            )
        ).status_code
        for i in range(60)
    ]
    # P(all 60 the same) = 2 × 0.5⁶⁰: never in practice.
    assert set(statuses) == {200, 503}
    assert (await received(portal, auth))["total"] == statuses.count(200)


@pytest.mark.parametrize(
    "faults",
    [
        {},
        {"fail_rate": 1.5},
        {"fail_rate": -0.1},
        {"fail_rate": "x"},
        {"fail_rate": 0.5, "latency_ms": -1},
        {"fail_rate": 0.5, "status": 200},
        {"fail_rate": 0.5, "status": 600},
        {"fail_rate": 0.5, "other": 1},
    ],
)
async def test_invalid_fault_settings_are_422(
    portal: httpx.AsyncClient, auth: dict[str, str], faults: dict[str, Any]
) -> None:
    resp = await portal.post("/_admin/faults", json=faults, headers=auth)
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    assert (await portal.get("/_admin/faults", headers=auth)).json()["active"] is False
