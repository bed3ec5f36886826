from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.errors import Unprocessable
from services.procedures.models import Procedure
from services.procedures.service import require_active_procedure
from tests.conftest import LoginFn

URL = "/api/v1/procedures"


def body(**overrides: Any) -> dict[str, Any]:
    return {
        "code": "1.001193",
        "name": "Thủ tục đăng ký khai sinh",
        "sector_code": "ho-tich",
        "sector_name": "Hộ tịch",
        "sector_group": "civil_status",
        "time_limit": {"value": 0, "unit": "same_day"},
        "fee_vnd": 0,
        "online_level": "full",
        "boundary_free": True,
        "supplement_clock": "restart",
        **overrides,
    }


def assert_problem(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = resp.json()
    assert problem["status"] == status and problem["detail"]
    return problem


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Procedure)) or 0)


async def api_key(client: httpx.AsyncClient, admin: dict[str, str], *scopes: str) -> dict[str, str]:
    resp = await client.post(
        "/api/v1/api-keys",
        headers=admin,
        json={"name": "Cổng tỉnh", "agency_code": "000.00.31.H56", "scopes": list(scopes)},
    )
    assert resp.status_code == 201, resp.text
    return {"X-API-Key": resp.json()["key"]}


async def test_create_get_and_list(client: httpx.AsyncClient, login: LoginFn) -> None:
    admin = await login("admin")
    created = await client.post(URL, headers=admin, json=body())
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["time_limit"] == {"value": 0, "unit": "same_day"}
    assert out["is_active"] is True and out["fee_vnd"] == 0

    got = await client.get(f"{URL}/1.001193", headers=await login("viewer"))
    assert got.status_code == 200
    assert got.json() == out
    listed = await client.get(URL, headers=await login("officer"))
    assert [p["code"] for p in listed.json()["items"]] == ["1.001193"]
    assert listed.json()["next_cursor"] is None


async def test_decomposed_name_is_stored_nfc(client: httpx.AsyncClient, login: LoginFn) -> None:
    decomposed = "Thu\u0309 tu\u0323c đăng ky\u0301 khai sinh"
    resp = await client.post(URL, headers=await login("admin"), json=body(name=decomposed))
    assert resp.json()["name"] == "Thủ tục đăng ký khai sinh"


async def test_fractional_time_limit_and_unknown_fee(
    client: httpx.AsyncClient, login: LoginFn
) -> None:
    resp = await client.post(
        URL,
        headers=await login("admin"),
        json=body(
            code="1.004656",
            time_limit={"value": 2.5, "unit": "working_days"},
            fee_vnd=None,
            online_level=None,
        ),
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["time_limit"] == {"value": 2.5, "unit": "working_days"}
    assert resp.json()["fee_vnd"] is None and resp.json()["online_level"] is None


async def test_same_day_value_may_be_omitted(client: httpx.AsyncClient, login: LoginFn) -> None:
    resp = await client.post(
        URL, headers=await login("admin"), json=body(time_limit={"unit": "same_day"})
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["time_limit"]["value"] == 0


async def test_duplicate_code_is_409(client: httpx.AsyncClient, login: LoginFn) -> None:
    admin = await login("admin")
    assert (await client.post(URL, headers=admin, json=body())).status_code == 201
    problem = assert_problem(await client.post(URL, headers=admin, json=body(name="Khác")), 409)
    assert "1.001193" in problem["detail"]


async def test_idempotency_key_replays_the_first_answer(
    client: httpx.AsyncClient, login: LoginFn
) -> None:
    headers = {**await login("admin"), "Idempotency-Key": "create-1.001193"}
    first = await client.post(URL, headers=headers, json=body())
    again = await client.post(URL, headers=headers, json=body())
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert_problem(await client.post(URL, headers=headers, json=body(fee_vnd=5)), 422)


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"code": "1.00119"}, ["body", "code"]),
        ({"code": "1001193"}, ["body", "code"]),
        ({"code": "١.٠٠١١٩٣"}, ["body", "code"]),
        ({"time_limit": {"value": 0, "unit": "working_days"}}, ["body", "time_limit", "value"]),
        ({"time_limit": {"unit": "working_days"}}, ["body", "time_limit", "value"]),
        ({"time_limit": {"value": -1, "unit": "working_days"}}, ["body", "time_limit", "value"]),
        ({"time_limit": {"value": 1, "unit": "same_day"}}, ["body", "time_limit", "value"]),
        ({"time_limit": {"value": 2.5, "unit": "calendar_days"}}, ["body", "time_limit", "value"]),
        ({"time_limit": {"value": 1.255, "unit": "working_days"}}, ["body", "time_limit", "value"]),
        ({"time_limit": {"value": 3, "unit": "weeks"}}, ["body", "time_limit", "unit"]),
        ({"fee_vnd": -1}, ["body", "fee_vnd"]),
        ({"fee_vnd": 10.5}, ["body", "fee_vnd"]),
        ({"fee_vnd": "5.000"}, ["body", "fee_vnd"]),
        ({"sector_group": "health"}, ["body", "sector_group"]),
        ({"online_level": "unknown"}, ["body", "online_level"]),
        ({"supplement_clock": "stop"}, ["body", "supplement_clock"]),
        ({"name": "   "}, ["body", "name"]),
    ],
)
async def test_invalid_input_is_422_and_writes_nothing(
    client: httpx.AsyncClient,
    login: LoginFn,
    session: AsyncSession,
    overrides: dict[str, Any],
    loc: list[str],
) -> None:
    resp = await client.post(URL, headers=await login("admin"), json=body(**overrides))
    problem = assert_problem(resp, 422)
    assert loc in [e["loc"] for e in problem["errors"]], problem
    assert await count(session) == 0


async def test_roles_and_scopes(client: httpx.AsyncClient, login: LoginFn) -> None:
    admin = await login("admin")
    for role in ("officer", "leader", "viewer"):
        assert_problem(await client.post(URL, headers=await login(role), json=body()), 403)
    assert (await client.post(URL, headers=admin, json=body())).status_code == 201
    officer = await login("officer")
    resp = await client.patch(f"{URL}/1.001193", headers=officer, json={"fee_vnd": 1})
    assert_problem(resp, 403)
    assert_problem(await client.get(URL), 401)

    reader = await api_key(client, admin, "dossiers:read")
    assert (await client.get(f"{URL}/1.001193", headers=reader)).status_code == 200
    assert_problem(await client.post(URL, headers=reader, json=body(code="1.000894")), 403)
    writer = await api_key(client, admin, "procedures:write")
    assert (await client.post(URL, headers=writer, json=body(code="1.000894"))).status_code == 201
    assert_problem(await client.get(URL, headers=writer), 403)
    other = await api_key(client, admin, "feedback:read")
    assert_problem(await client.get(URL, headers=other), 403)


async def test_get_and_patch_unknown_is_404(client: httpx.AsyncClient, login: LoginFn) -> None:
    admin = await login("admin")
    assert_problem(await client.get(f"{URL}/9.999999", headers=admin), 404)
    assert_problem(await client.patch(f"{URL}/9.999999", headers=admin, json={}), 404)


async def test_patch_updates_and_validates_against_stored_state(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession
) -> None:
    admin = await login("admin")
    created = (await client.post(URL, headers=admin, json=body())).json()
    patch = f"{URL}/1.001193"

    # same_day → working_days needs a value; a value alone must suit the stored unit.
    problem = assert_problem(
        await client.patch(patch, headers=admin, json={"time_limit": {"unit": "working_days"}}),
        422,
    )
    assert problem["errors"][0]["loc"] == ["body", "time_limit", "value"]
    assert_problem(await client.patch(patch, headers=admin, json={"time_limit": {"value": 3}}), 422)
    assert_problem(await client.patch(patch, headers=admin, json={"name": None}), 422)
    assert_problem(await client.patch(patch, headers=admin, json={"fee_vnd": -5}), 422)
    stored = await session.get(Procedure, "1.001193")
    assert stored is not None
    await session.refresh(stored)
    assert stored.time_limit_unit == "same_day" and stored.fee_vnd == 0

    resp = await client.patch(
        patch,
        headers=admin,
        json={"time_limit": {"value": 3, "unit": "working_days"}, "fee_vnd": None},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["time_limit"] == {"value": 3, "unit": "working_days"}
    assert resp.json()["fee_vnd"] is None
    resp = await client.patch(patch, headers=admin, json={"time_limit": {"value": 1.5}})
    assert resp.json()["time_limit"] == {"value": 1.5, "unit": "working_days"}
    resp = await client.patch(patch, headers=admin, json={"time_limit": {"unit": "same_day"}})
    assert resp.json()["time_limit"] == {"value": 0, "unit": "same_day"}

    resp = await client.patch(patch, headers=admin, json={"name": "Đăng ký khai sinh (sửa)"})
    assert resp.json()["name"] == "Đăng ký khai sinh (sửa)"
    assert resp.json()["created_at"] == created["created_at"]
    listed = await client.get(URL, headers=admin, params={"q": "sua"})
    assert [p["code"] for p in listed.json()["items"]] == ["1.001193"]


async def test_inactive_procedures_are_hidden_and_refused_for_dossiers(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession
) -> None:
    admin = await login("admin")
    await client.post(URL, headers=admin, json=body())
    assert (await require_active_procedure(session, "1.001193")).code == "1.001193"
    resp = await client.patch(f"{URL}/1.001193", headers=admin, json={"is_active": False})
    assert resp.json()["is_active"] is False
    assert (await client.get(URL, headers=admin)).json()["items"] == []
    inactive = await client.get(URL, headers=admin, params={"active": "false"})
    assert [p["code"] for p in inactive.json()["items"]] == ["1.001193"]
    session.expire_all()
    for code in ("1.001193", "9.999999"):
        with pytest.raises(Unprocessable, match=f"procedure_code: procedure {code} does not"):
            await require_active_procedure(session, code)


async def test_search_ignores_case_and_diacritics(
    client: httpx.AsyncClient, login: LoginFn
) -> None:
    admin = await login("admin")
    await client.post(URL, headers=admin, json=body())
    await client.post(
        URL,
        headers=admin,
        json=body(code="1.000894", name="Thủ tục đăng ký kết hôn", online_level="partial"),
    )
    await client.post(
        URL,
        headers=admin,
        json=body(
            code="2.000884",
            name="Chứng thực chữ ký",
            sector_code="chung-thuc",
            sector_name="Chứng thực",
            sector_group="certification",
        ),
    )

    async def codes(**params: str) -> list[str]:
        resp = await client.get(URL, headers=admin, params=params)
        assert resp.status_code == 200, resp.text
        return [p["code"] for p in resp.json()["items"]]

    assert await codes(q="dang ky khai sinh") == ["1.001193"]
    assert await codes(q="DANG KY") == ["1.000894", "1.001193"]
    assert await codes(q="  Đăng   KÝ kết ") == ["1.000894"]
    assert await codes(q="chu ky") == ["2.000884"]
    assert await codes(q="1.00") == ["1.000894", "1.001193"]
    assert await codes(q="%") == []
    assert await codes(q="chu_ky") == []
    assert await codes(sector_group="certification") == ["2.000884"]
    assert await codes(sector_code="ho-tich", online_level="partial") == ["1.000894"]
    assert_problem(await client.get(URL, headers=admin, params={"sector_group": "x"}), 422)


async def test_pagination_by_code(client: httpx.AsyncClient, login: LoginFn) -> None:
    admin = await login("admin")
    codes = [f"1.00{n:04d}" for n in range(7)]
    for code in reversed(codes):
        assert (await client.post(URL, headers=admin, json=body(code=code))).status_code == 201
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(URL, headers=admin, params=params)).json()
        seen += [p["code"] for p in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == codes and pages == 3
    bad = await client.get(URL, headers=admin, params={"cursor": "not-a-cursor"})
    assert_problem(bad, 422)
