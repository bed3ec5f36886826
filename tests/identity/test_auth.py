from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.settings import get_settings
from services.identity.models import Agency, ApiKey, User
from tests.conftest import AGENCY, OTHER_AGENCY, PASSWORD, LoginFn
from tests.dossiers.conftest import procedures  # noqa: F401


async def test_login_returns_token_usable_for_me(client: httpx.AsyncClient, login: LoginFn) -> None:
    headers = await login("officer")
    me = await client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200
    assert me.json() == {
        "kind": "user",
        "name": "officer",
        "agency_code": AGENCY,
        "role": "officer",
        "scopes": [],
    }


async def test_wrong_password_is_401_problem(client: httpx.AsyncClient, seed: Any) -> None:
    resp = await client.post("/api/v1/auth/token", data={"username": "officer", "password": "nope"})
    assert resp.status_code == 401
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["detail"] == "Incorrect username or password"
    unknown = await client.post("/api/v1/auth/token", data={"username": "ghost", "password": "x"})
    assert unknown.status_code == 401
    assert unknown.json()["detail"] == resp.json()["detail"]


async def test_login_is_throttled_after_repeated_failures(
    client: httpx.AsyncClient, seed: Any
) -> None:
    statuses = [
        (
            await client.post(
                "/api/v1/auth/token", data={"username": "officer", "password": "wrong"}
            )
        ).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    blocked = await client.post(
        "/api/v1/auth/token", data={"username": "officer", "password": PASSWORD}
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0


@pytest.mark.parametrize("mutate", ["tamper", "expired", "alg_none", "garbage"])
async def test_bad_tokens_are_401(
    client: httpx.AsyncClient, login: LoginFn, seed: dict[str, User], mutate: str
) -> None:
    settings = get_settings()
    secret = settings.secret_key.get_secret_value()
    good = (await login("officer"))["Authorization"].split()[1]
    claims = {"sub": str(seed["officer"].id), "iss": "motcua", "iat": datetime.now(UTC)}
    if mutate == "tamper":
        token = good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb")
    elif mutate == "expired":
        token = jwt.encode(
            {**claims, "exp": datetime.now(UTC) - timedelta(seconds=1)}, secret, algorithm="HS256"
        )
    elif mutate == "alg_none":
        token = jwt.encode(
            {**claims, "exp": datetime.now(UTC) + timedelta(hours=1)}, None, algorithm="none"
        )
    else:
        token = "not-a-jwt"
    resp = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"] == "Bearer"


async def test_a_token_verified_once_still_expires(
    client: httpx.AsyncClient, login: LoginFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.identity import service as identity_service

    headers = await login("officer")
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    later = time.time() + get_settings().access_token_ttl_minutes * 60 + 1
    # Its signature is not checked again (the verified claims are kept), its expiry is.
    monkeypatch.setattr(identity_service.time, "time", lambda: later)
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_deactivated_user_token_stops_working(
    client: httpx.AsyncClient, login: LoginFn, seed: dict[str, User], session: AsyncSession
) -> None:
    headers = await login("officer")
    seed["officer"].is_active = False
    await session.commit()
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401


async def test_anonymous_is_401(client: httpx.AsyncClient) -> None:
    resp = await client.get("/api/v1/agencies")
    assert resp.status_code == 401
    assert resp.json()["status"] == 401


async def test_role_denied_is_403_and_nothing_written(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession
) -> None:
    resp = await client.post(
        "/api/v1/agencies",
        headers=await login("leader"),
        json={"code": "NEW.1", "name": "Xã mới", "level": "commune"},
    )
    assert resp.status_code == 403
    assert await session.scalar(select(func.count()).where(Agency.code == "NEW.1")) == 0


async def test_other_agency_is_404_but_own_is_visible(
    client: httpx.AsyncClient, login: LoginFn
) -> None:
    headers = await login("officer")
    assert (await client.get(f"/api/v1/agencies/{AGENCY}", headers=headers)).status_code == 200
    other = await client.get(f"/api/v1/agencies/{OTHER_AGENCY}", headers=headers)
    assert other.status_code == 404
    listed = await client.get("/api/v1/agencies", headers=headers)
    assert [a["code"] for a in listed.json()["items"]] == [AGENCY]


async def test_admin_creates_agency_user_and_lists_with_cursor(
    client: httpx.AsyncClient, login: LoginFn
) -> None:
    admin = await login("admin")
    created = await client.post(
        "/api/v1/agencies",
        headers=admin,
        json={"code": "000.00.99.H56", "name": "Xã Thử Nghiệm", "level": "commune"},
    )
    assert created.status_code == 201, created.text
    dup = await client.post(
        "/api/v1/agencies",
        headers=admin,
        json={"code": "000.00.99.H56", "name": "Xã Thử Nghiệm", "level": "commune"},
    )
    assert dup.status_code == 409
    user = await client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "moi01",
            "password": "Mat-khau-2026",
            "full_name": "Nguyễn Văn Mới",
            "role": "officer",
            "agency_code": "000.00.99.H56",
        },
    )
    assert user.status_code == 201, user.text
    assert "password" not in user.text and "hash" not in user.text
    page1 = await client.get("/api/v1/agencies?limit=2", headers=admin)
    assert len(page1.json()["items"]) == 2
    page2 = await client.get(
        f"/api/v1/agencies?limit=2&cursor={page1.json()['next_cursor']}", headers=admin
    )
    codes = [a["code"] for a in page1.json()["items"] + page2.json()["items"]]
    assert codes == sorted(codes) and len(set(codes)) == 3


@pytest.mark.parametrize(
    "password,fragment",
    [
        ("short1!", "at least 10"),
        ("onlyletterslong", "mix"),
        ("xmoi02x-2026-pass", "username"),
        (" " * 12, "visible"),  # was accepted, and could log in
        ("a" + " " * 11 + "1", "visible"),
        ("aaaa1111aaaa", "4 of them different"),
        ("\x00" * 12, "control characters"),
        ("Mật\tkhẩu\x07-2026", "control characters"),
    ],
)
async def test_password_policy(
    client: httpx.AsyncClient, login: LoginFn, password: str, fragment: str
) -> None:
    resp = await client.post(
        "/api/v1/users",
        headers=await login("admin"),
        json={
            "username": "moi02",
            "password": password,
            "full_name": "A B",
            "role": "viewer",
            "agency_code": AGENCY,
        },
    )
    assert resp.status_code == 422
    assert fragment in resp.text


async def test_api_key_shown_once_hashed_and_scoped(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession
) -> None:
    admin = await login("admin")
    resp = await client.post(
        "/api/v1/api-keys",
        headers=admin,
        json={"name": "Cổng tỉnh", "agency_code": AGENCY, "scopes": ["dossiers:read"]},
    )
    assert resp.status_code == 201, resp.text
    key = resp.json()["key"]
    stored = await session.scalar(select(ApiKey).where(ApiKey.prefix == resp.json()["prefix"]))
    assert stored is not None and key not in stored.key_hash
    listed = await client.get("/api/v1/api-keys", headers=admin)
    assert key not in listed.text
    unused = {k["prefix"]: k["last_used_at"] for k in listed.json()["items"]}
    assert unused[resp.json()["prefix"]] is None
    me = await client.get("/api/v1/auth/me", headers={"X-API-Key": key})
    assert me.status_code == 200
    assert me.json()["kind"] == "api_key" and me.json()["scopes"] == ["dossiers:read"]
    used = {
        k["prefix"]: k["last_used_at"]
        for k in (await client.get("/api/v1/api-keys", headers=admin)).json()["items"]
    }
    assert used[resp.json()["prefix"]] is not None  # api.md's last_used_at was never written
    # a scope the key lacks
    denied = await client.post(
        "/api/v1/agencies",
        headers={"X-API-Key": key},
        json={"code": "X.1", "name": "x", "level": "commune"},
    )
    assert denied.status_code == 403
    assert (
        await client.get("/api/v1/auth/me", headers={"X-API-Key": key + "x"})
    ).status_code == 401
    revoked = await client.delete(f"/api/v1/api-keys/{resp.json()['id']}", headers=admin)
    assert revoked.status_code == 204
    assert (await client.get("/api/v1/auth/me", headers={"X-API-Key": key})).status_code == 401


async def test_unknown_scope_is_422(client: httpx.AsyncClient, login: LoginFn) -> None:
    resp = await client.post(
        "/api/v1/api-keys",
        headers=await login("admin"),
        json={"name": "k", "agency_code": AGENCY, "scopes": ["everything"]},
    )
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["loc"][-1] == "scopes"


async def test_every_timestamp_is_given_in_vietnamese_time(
    client: httpx.AsyncClient,
    login: LoginFn,
    procedures: Any,  # noqa: F811
) -> None:
    """api.md: output in +07:00. Agencies, users, keys and procedures answered UTC (``Z``)."""
    admin = await login("admin")
    key = await client.post(
        "/api/v1/api-keys",
        json={"name": "tz", "agency_code": AGENCY, "scopes": ["dossiers:read"]},
        headers=admin,
    )
    assert key.status_code == 201, key.text
    stamps = [key.json()["created_at"]]
    for path in ("/api/v1/agencies", "/api/v1/users", "/api/v1/api-keys", "/api/v1/procedures"):
        resp = await client.get(path, headers=admin)
        assert resp.status_code == 200, (path, resp.text)
        stamps += [
            item[field]
            for item in resp.json()["items"]
            for field in ("created_at", "updated_at")
            if item.get(field)
        ]
    assert len(stamps) > 5
    assert all(stamp.endswith("+07:00") for stamp in stamps), stamps


async def test_every_creating_post_honours_an_idempotency_key(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession
) -> None:
    """api.md: the same key with the same body returns the first result. Agencies, users,
    API keys and webhooks created a second resource (or a 409 on a unique name)."""
    admin = await login("admin")
    cases = [
        ("/api/v1/agencies", {"code": "000.00.77.H56", "name": "UBND xã Bảy", "level": "commune"}),
        (
            "/api/v1/users",
            {
                "username": "idem01",
                "password": "Mat-khau-2026-idem",
                "full_name": "Lặp Lại",
                "role": "viewer",
                "agency_code": AGENCY,
            },
        ),
    ]
    for path, body in cases:
        headers = {**admin, "Idempotency-Key": f"k-{path}"}
        first = await client.post(path, headers=headers, json=body)
        again = await client.post(path, headers=headers, json=body)
        assert first.status_code == again.status_code == 201, (path, again.text)
        assert first.json() == again.json()
    # Secrets are shown once: a repeat creates nothing and says why.
    key_body = {"name": "idem", "agency_code": AGENCY, "scopes": ["dossiers:read"]}
    headers = {**admin, "Idempotency-Key": "k-api-key"}
    first = await client.post("/api/v1/api-keys", headers=headers, json=key_body)
    again = await client.post("/api/v1/api-keys", headers=headers, json=key_body)
    assert first.status_code == 201 and again.status_code == 409
    assert first.json()["id"] in again.json()["detail"] and first.json()["key"] not in again.text
    count = await session.scalar(select(func.count()).where(ApiKey.name == "idem"))
    assert count == 1
    stored = await session.scalar(
        text("SELECT response::text FROM idempotency_records WHERE key = 'k-api-key'")
    )
    assert stored is not None and first.json()["key"] not in stored
    password_kept = await session.scalar(
        text("SELECT count(*) FROM idempotency_records WHERE response::text LIKE '%Mat-khau%'")
    )
    assert password_kept == 0


async def test_a_password_change_ends_the_sessions_opened_before_it(
    client: httpx.AsyncClient, seed: Any, session: AsyncSession
) -> None:
    """Found by probing: after `motcua create-admin` reset a password, tokens issued with the
    old one kept working for their whole lifetime (4 h)."""
    from services.identity import service as identity_service

    settings = get_settings()
    admin = await session.scalar(select(User).where(User.username == "admin"))
    assert admin is not None
    earlier = datetime.now(UTC) - timedelta(minutes=1)
    old = jwt.encode(
        {
            "sub": str(admin.id),
            "agency": AGENCY,
            "role": "admin",
            "iat": earlier,
            "exp": earlier + timedelta(hours=1),
            "iss": "motcua",
        },
        settings.secret_key.get_secret_value(),
        algorithm=settings.jwt_algorithm,
    )
    bearer = {"Authorization": f"Bearer {old}"}
    assert (await client.get("/api/v1/auth/me", headers=bearer)).status_code == 200
    _, created = await identity_service.ensure_admin(
        session, "admin", "Doi-mat-khau-2026!", AGENCY, "x"
    )
    await session.commit()
    assert created is False
    refused = await client.get("/api/v1/auth/me", headers=bearer)
    assert refused.status_code == 401 and "password was changed" in refused.json()["detail"]
    fresh = await client.post(
        "/api/v1/auth/token", data={"username": "admin", "password": "Doi-mat-khau-2026!"}
    )
    token = fresh.json()["access_token"]
    ok = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
