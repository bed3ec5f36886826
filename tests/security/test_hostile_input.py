"""Regressions found by the schemathesis run: hostile text must answer 4xx, never 500."""

from __future__ import annotations

import httpx

from tests.conftest import LoginFn
from tests.security.conftest import DossiersFn, TokenFn


async def test_non_ascii_lookup_token_is_404(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/v1/public/dossiers/X-1", params={"token": "ĐĐĐĐĐĐ"})
    assert resp.status_code == 404
    rating = await client.post(
        "/api/v1/public/dossiers/X-1/rating", json={"token": "ĐĐĐĐĐĐ", "score": 5}
    )
    assert rating.status_code in (404, 422)


async def test_non_ascii_portal_signature_is_401(client: httpx.AsyncClient) -> None:
    resp = await client.post(
        "/api/v1/inbound/portal",
        content=b"{}",
        headers={
            "content-type": "application/json",
            "webhook-id": "msg_1",
            "webhook-timestamp": "1",
            "webhook-signature": "v1,\xe9t\xe9".encode("latin-1"),  # type: ignore[dict-item]
        },
    )
    assert resp.status_code in (400, 401)


async def test_nul_characters_are_422(
    client: httpx.AsyncClient, tokens: TokenFn, dossiers: DossiersFn
) -> None:
    login = await client.post("/api/v1/auth/token", data={"username": "a\x00b", "password": "x"})
    assert login.status_code == 422, login.text
    listed = await client.get("/api/v1/dossiers", params={"q": "a\x00"}, headers=tokens("officer"))
    assert listed.status_code in (200, 422), listed.text
    code = (await dossiers())["own"]
    got = await client.get(f"/api/v1/dossiers/{code}%00", headers=tokens("officer"))
    assert got.status_code in (404, 422), got.text


FORGED_CURSORS = [
    [2**63],  # past a bigint
    [-1],
    [True],
    ["x" * 300],
    [{"a": 1}],
    ["0001-01-01T00:00:00+14:00", 1],  # overflows when converted to UTC
    ["2026-01-01T00:00:00", 1],  # no offset
    ["2026-01-01T00:00:00+00:00", 2**63],
    ["2026-01-01T00:00:00+00:00", "not-a-uuid"],
    [None, None],
    ["a\ud800b"],  # a lone surrogate: valid JSON, not encodable text
    ["a\x00b"],
]
LISTS = [
    "/api/v1/dossiers",
    "/api/v1/work-items",
    "/api/v1/apologies",
    "/api/v1/feedback",
    "/api/v1/public/feedback",
    "/api/v1/agencies",
    "/api/v1/users",
    "/api/v1/api-keys",
    "/api/v1/procedures",
    "/api/v1/public/procedures",
]


async def test_forged_cursors_are_422_not_500(client: httpx.AsyncClient, login: LoginFn) -> None:
    from services.core.pagination import encode_cursor

    headers = await login("admin")
    for path in LISTS:
        for values in FORGED_CURSORS:
            resp = await client.get(path, params={"cursor": encode_cursor(values)}, headers=headers)
            # 200 only where the value is a valid key of that list (a string code, say).
            assert resp.status_code in (200, 422), (path, values, resp.status_code, resp.text)
            if resp.status_code == 422:
                assert resp.json()["detail"] == "cursor: not a cursor returned by this API"
