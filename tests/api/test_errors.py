"""Every error kind is rendered as RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import LoginFn
from tests.dossiers.conftest import dossier_body, procedures  # noqa: F401


def assert_problem(resp: httpx.Response, status: int) -> dict[str, object]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"] and body["detail"]
    return body


async def test_validation_error_lists_errors(client: httpx.AsyncClient, login: LoginFn) -> None:
    resp = await client.post(
        "/api/v1/agencies",
        headers=await login("admin"),
        json={"code": "bad code", "level": "galaxy"},
    )
    body = assert_problem(resp, 422)
    locs = {tuple(e["loc"]) for e in body["errors"]}  # type: ignore[union-attr]
    assert ("body", "code") in locs and ("body", "level") in locs and ("body", "name") in locs


async def test_malformed_json_is_422(client: httpx.AsyncClient, login: LoginFn) -> None:
    resp = await client.post(
        "/api/v1/agencies",
        headers={**await login("admin"), "content-type": "application/json"},
        content=b"{not json",
    )
    assert_problem(resp, 422)


async def test_not_found_and_method_not_allowed(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/v1/nothing-here"), 404)
    resp = await client.delete("/healthz")
    assert_problem(resp, 405)
    assert "GET" in resp.headers["allow"]


async def test_conflict_is_409(client: httpx.AsyncClient, login: LoginFn) -> None:
    admin = await login("admin")
    body = {"code": "DUP.1", "name": "Trùng", "level": "commune"}
    assert (await client.post("/api/v1/agencies", headers=admin, json=body)).status_code == 201
    assert_problem(await client.post("/api/v1/agencies", headers=admin, json=body), 409)


async def test_body_over_limit_is_413(client: httpx.AsyncClient, login: LoginFn) -> None:
    big = b'{"name": "' + b"a" * (1024 * 1024 + 10) + b'"}'
    resp = await client.post(
        "/api/v1/agencies",
        headers={**await login("admin"), "content-type": "application/json"},
        content=big,
    )
    assert_problem(resp, 413)


async def test_body_over_limit_without_content_length_is_413(client: httpx.AsyncClient) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * 65536

    resp = await client.post(
        "/api/v1/auth/token",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_problem(resp, 413)


async def test_bad_cursor_is_422(client: httpx.AsyncClient, login: LoginFn) -> None:
    assert_problem(
        await client.get("/api/v1/agencies?cursor=%%%garbage", headers=await login("admin")), 422
    )


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    resp = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert resp.headers["x-request-id"] == "abc-123"
    generated = (await client.get("/healthz")).headers["x-request-id"]
    assert len(generated) == 32


async def test_health_ready_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"
    assert ready.json()["redis"] == "ok"
    metrics = await client.get("/metrics")
    assert "motcua_http_requests_total" in metrics.text


async def test_database_restarting_is_503_not_500(client: httpx.AsyncClient) -> None:
    """asyncpg raises CannotConnectNowError while PostgreSQL starts or stops (the restart
    drill saw it as a 500): it must read as 'unavailable, retry'."""
    import asyncpg
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/_boom")
    async def boom() -> None:
        raise asyncpg.exceptions.CannotConnectNowError("the database system is shutting down")

    client._transport.app.include_router(router)  # type: ignore[attr-defined]
    resp = await client.get("/_boom")
    body = assert_problem(resp, 503)
    assert resp.headers["retry-after"] and "unavailable" in str(body["detail"])


async def test_every_422_lists_its_errors(
    client: httpx.AsyncClient,
    login: LoginFn,
    procedures: Any,  # noqa: F811
) -> None:
    """api.md: validation errors carry errors: [{loc, msg}], also when a service checked the
    rule (the field named first in the message) and when PostgreSQL refused a NUL."""
    admin = await login("admin")
    unknown = await client.post(
        "/api/v1/dossiers", json=dossier_body(procedure_code="9.999999"), headers=admin
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [
        {"loc": ["procedure_code"], "msg": "procedure 9.999999 does not exist or is inactive"}
    ]
    nul = await client.post("/api/v1/dossiers", json=dossier_body(summary="a\x00b"), headers=admin)
    assert nul.status_code == 422 and nul.json()["errors"][0]["msg"].startswith("Text may not")
    cursor = await client.get("/api/v1/dossiers", params={"cursor": "nonsense"}, headers=admin)
    assert cursor.status_code == 422 and cursor.json()["errors"][0]["loc"] == ["cursor"]


async def test_head_answers_like_get_without_a_body(
    client: httpx.AsyncClient, login: LoginFn
) -> None:
    """RFC 9110: HEAD on any GET resource. FastAPI's routes answered it 405."""
    officer = await login("officer")
    for path, headers in (("/healthz", {}), ("/api/v1/auth/me", officer)):
        got = await client.get(path, headers=headers)
        head = await client.head(path, headers=headers)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"" and got.content
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-length"] == got.headers["content-length"]
    refused = await client.head("/api/v1/auth/me")
    assert refused.status_code == 401 and refused.content == b""


async def test_a_body_of_another_media_type_is_415(
    client: httpx.AsyncClient, login: LoginFn
) -> None:
    headers = await login("admin")
    body = '{"code": "000.00.88.H56", "name": "x", "level": "commune"}'
    for media in ("application/xml", "text/plain; charset=utf-8"):
        resp = await client.post(
            "/api/v1/agencies", headers={**headers, "content-type": media}, content=body
        )
        problem = assert_problem(resp, 415)
        assert "application/json" in str(problem["detail"])
    ok = await client.post(
        "/api/v1/agencies", headers={**headers, "content-type": "application/json"}, content=body
    )
    assert ok.status_code == 201, ok.text
