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


FAR_INSTANTS = [
    "0001-01-01",
    "0001-01-01T00:00:00",
    "0001-01-01T06:59:59",
    "9999-12-31T23:59:59",
    "1960-06-01T10:00:00",  # then +08:00 in Asia/Ho_Chi_Minh: no +07:00 to answer it in
]


async def test_instants_outside_1976_to_2100_are_422(
    client: httpx.AsyncClient, tokens: TokenFn, procedures: object
) -> None:
    """Found by probing a live server: naive year-1 instants passed validation and failed in
    the database or in date arithmetic (500, and the connection dropped)."""
    from tests.dossiers.conftest import dossier_body

    admin = tokens("admin")
    for value in FAR_INSTANTS:
        for name in ("received_from", "received_to"):
            listed = await client.get("/api/v1/dossiers", params={name: value}, headers=admin)
            assert listed.status_code == 422, (name, value, listed.text)
            assert "1976–2100" in listed.text
        created = await client.post(
            "/api/v1/dossiers",
            json=dossier_body(received_at=value),
            headers=admin,
        )
        assert created.status_code == 422, (value, created.text)


async def test_imports_before_2000_are_refused_their_code_would_repeat(
    client: httpx.AsyncClient, tokens: TokenFn, procedures: object
) -> None:
    from tests.dossiers.conftest import dossier_body

    admin = tokens("admin")
    early = await client.post(
        "/api/v1/dossiers",
        json=dossier_body(received_at="1999-06-01T10:00:00+07:00"),
        headers=admin,
    )
    assert early.status_code == 422 and "before 2000" in early.json()["detail"]
    ok = await client.post(
        "/api/v1/dossiers",
        json=dossier_body(received_at="2000-06-01T10:00:00+07:00"),
        headers=admin,
    )
    assert ok.status_code == 201 and "-000601-" in ok.json()["code"]


async def test_a_row_id_past_a_bigint_is_422(client: httpx.AsyncClient, tokens: TokenFn) -> None:
    import uuid

    resp = await client.post(
        f"/api/v1/webhooks/{uuid.uuid4()}/deliveries/99999999999999999999/retry",
        headers=tokens("admin"),
    )
    assert resp.status_code == 422, resp.text
