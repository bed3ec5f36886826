from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.portal_mock.main import create_portal_app
from tests.portal_mock.conftest import PASSWORD, USERNAME

INVALID_SESSION = {"error_code": 401, "message": "Phiên đăng nhập không hợp lệ hoặc đã hết hạn"}


async def test_token_with_the_right_credentials(portal: httpx.AsyncClient) -> None:
    resp = await portal.post("/api/auth/token", json={"username": USERNAME, "password": PASSWORD})
    assert resp.status_code == 200
    body = resp.json()
    assert set(body) == {"session", "error_code", "expires_in"}
    assert body["error_code"] == 0
    assert body["expires_in"] == 1800
    assert len(body["session"]) >= 32


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": USERNAME, "password": "wrong"},
        {"username": "someone", "password": PASSWORD},
        {"username": "", "password": ""},
    ],
)
async def test_wrong_credentials_are_401(
    portal: httpx.AsyncClient, credentials: dict[str, str]
) -> None:
    resp = await portal.post("/api/auth/token", json=credentials)
    assert resp.status_code == 401
    assert resp.json() == {"error_code": 401, "message": "Sai tên đăng nhập hoặc mật khẩu"}


@pytest.mark.parametrize(
    "content",
    [b"not json", b"[1, 2]", b'{"username": "motcua"}', b'{"username": 1, "password": 2}'],
)
async def test_malformed_login_is_answered_portal_style(
    portal: httpx.AsyncClient, content: bytes
) -> None:
    resp = await portal.post(
        "/api/auth/token", content=content, headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["error_code"] == 1
    assert body["message"]
    assert "session" not in body


async def test_ttl_comes_from_the_environment(
    portal: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.portal_mock.config import get_mock_settings

    monkeypatch.setenv("MOTCUA_PORTAL_MOCK_TOKEN_TTL_SECONDS", "60")
    get_mock_settings.cache_clear()
    resp = await portal.post("/api/auth/token", json={"username": USERNAME, "password": PASSWORD})
    assert resp.json()["expires_in"] == 60


async def test_an_expired_session_is_refused(
    portal: httpx.AsyncClient, auth: dict[str, str], engine: AsyncEngine
) -> None:
    assert (await portal.get("/api/received", headers=auth)).status_code == 200
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE portal_mock_sessions SET expires_at = now() - interval '1 second'")
        )
    resp = await portal.get("/api/received", headers=auth)
    assert resp.status_code == 401
    assert resp.json() == INVALID_SESSION
    assert resp.headers["WWW-Authenticate"] == "Bearer"


async def test_sessions_are_shared_by_every_mock_process(auth: dict[str, str]) -> None:
    # Another app instance stands for another process (or a restarted one).
    transport = httpx.ASGITransport(app=create_portal_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://other") as other:
        assert (await other.get("/api/received", headers=auth)).status_code == 200


ENDPOINTS = [
    ("POST", "/api/dossiers/sync", {"service": "DongBoHoSoMC", "isUpdating": False, "data": []}),
    ("POST", "/api/summaries", {"IdempotencyKey": "k", "MaDonVi": "X"}),
    ("GET", "/api/received", None),
    ("GET", "/_admin/faults", None),
    ("POST", "/_admin/faults", {"fail_rate": 1}),
    ("DELETE", "/_admin/faults", None),
    ("POST", "/_admin/online-dossiers", {}),
    ("POST", "/_admin/payments", {"dossier_code": "X", "amount_vnd": 1}),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer unknown-session"},
        {"Authorization": "Basic bW90Y3VhOm1vdGN1YS1wb3J0YWw="},
        {"Authorization": "Bearer"},
    ],
)
async def test_every_data_endpoint_needs_a_session(
    portal: httpx.AsyncClient,
    method: str,
    path: str,
    body: dict[str, object] | None,
    headers: dict[str, str],
) -> None:
    resp = await portal.request(method, path, json=body, headers=headers)
    assert resp.status_code == 401, resp.text
    assert resp.json() == INVALID_SESSION
    # Nothing was changed by the refused requests.
    auth = await portal.post("/api/auth/token", json={"username": USERNAME, "password": PASSWORD})
    token = {"Authorization": f"Bearer {auth.json()['session']}"}
    assert (await portal.get("/api/received", headers=token)).json()["total"] == 0
    assert (await portal.get("/_admin/faults", headers=token)).json()["active"] is False
