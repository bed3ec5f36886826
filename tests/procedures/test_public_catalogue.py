from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.dossiers.conftest import (
    BIRTH,
    LAND,
    MARITAL,
)

URL = "/api/v1/public/procedures"


async def test_catalogue_is_public_and_searchable_without_diacritics(
    client: httpx.AsyncClient, procedures: Any
) -> None:
    resp = await client.get(URL)
    assert resp.status_code == 200
    items = resp.json()["items"]
    assert [i["code"] for i in items] == sorted([BIRTH, MARITAL, LAND])
    assert set(items[0]) == {
        "code",
        "name",
        "sector_code",
        "sector_name",
        "sector_group",
        "time_limit",
        "fee_vnd",
        "online_level",
        "boundary_free",
    }
    for q, expected in (
        ("dang ky", {BIRTH, LAND}),
        ("ĐĂNG KÝ ĐẤT", {LAND}),
        ("hon nhan", {MARITAL}),
        ("1.0011", {BIRTH}),
    ):
        found = (await client.get(URL, params={"q": q})).json()["items"]
        assert {i["code"] for i in found} == expected, q
    by_group = (await client.get(URL, params={"sector_group": "land"})).json()["items"]
    assert [i["code"] for i in by_group] == [LAND]
    page = (await client.get(URL, params={"limit": 2})).json()
    rest = (await client.get(URL, params={"limit": 2, "cursor": page["next_cursor"]})).json()
    assert len(page["items"]) == 2 and len(rest["items"]) == 1


async def test_etag_and_not_modified(
    client: httpx.AsyncClient, procedures: Any, session: AsyncSession
) -> None:
    first = await client.get(URL)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public")
    again = await client.get(URL, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    one = await client.get(f"{URL}/{LAND}")
    assert one.status_code == 200 and one.json()["time_limit"] == {
        "value": 10,
        "unit": "working_days",
    }
    assert (
        await client.get(f"{URL}/{LAND}", headers={"If-None-Match": one.headers["ETag"]})
    ).status_code == 304

    procedures[LAND].fee_vnd = 100_000
    await session.commit()
    changed = await client.get(f"{URL}/{LAND}", headers={"If-None-Match": one.headers["ETag"]})
    assert changed.status_code == 200 and changed.json()["fee_vnd"] == 100_000

    procedures[BIRTH].is_active = False
    await session.commit()
    assert (await client.get(f"{URL}/{BIRTH}")).status_code == 404
    assert BIRTH not in {i["code"] for i in (await client.get(URL)).json()["items"]}
    assert (await client.get(f"{URL}/9.999999")).status_code == 404
