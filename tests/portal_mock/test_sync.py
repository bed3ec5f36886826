from __future__ import annotations

import asyncio
import copy
from typing import Any

import httpx
import pytest

from services.portal_mock.main import create_portal_app

RECORD: dict[str, Any] = {
    "MaHoSo": "000.00.31.H56-261123-0001",
    "MaTTHC": "1.001193",
    "TenTTHC": "Thủ tục đăng ký khai sinh",
    "KenhThucHien": 1,
    "ChuHoSo": "Nguyễn Văn An",
    "NgayTiepNhan": "20261123083000",
    "NgayHenTra": "20261123163000",
    "TrangThaiHoSo": 2,
    "DuocThanhToanTrucTuyen": 3,
    "DanhSachLePhi": [{"TenPhiLePhi": "Lệ phí", "Gia": 0}],
    "IdempotencyKey": "000.00.31.H56-261123-0001:2:1",
}


def record(code: str = RECORD["MaHoSo"], key: str | None = None, **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(RECORD) | {"MaHoSo": code, "IdempotencyKey": key or f"{code}:k"}
    for name, value in changes.items():
        if value is ...:
            data.pop(name)
        else:
            data[name] = value
    return data


async def sync(
    portal: httpx.AsyncClient,
    auth: dict[str, str],
    records: list[Any],
    *,
    updating: bool = False,
) -> dict[str, Any]:
    resp = await portal.post(
        "/api/dossiers/sync",
        json={"service": "DongBoHoSoMC", "isUpdating": updating, "data": records},
        headers=auth,
    )
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def received(
    portal: httpx.AsyncClient, auth: dict[str, str], **params: Any
) -> dict[str, Any]:
    resp = await portal.get("/api/received", params=params, headers=auth)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def test_create_stores_the_record_once_per_key(
    portal: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = await sync(portal, auth, [record()])
    assert body["error_code"] == 0
    assert body["results"] == [
        {
            "MaHoSo": RECORD["MaHoSo"],
            "IdempotencyKey": f"{RECORD['MaHoSo']}:k",
            "error_code": 0,
            "message": "Tiếp nhận thành công",
            "duplicate": False,
        }
    ]
    again = await sync(portal, auth, [record()])
    assert again["error_code"] == 0
    assert again["results"][0]["duplicate"] is True
    assert again["results"][0]["error_code"] == 0

    page = await received(portal, auth, kind="dossier", code=RECORD["MaHoSo"])
    assert page["total"] == 1
    item = page["items"][0]
    assert item["kind"] == "dossier"
    assert item["code"] == RECORD["MaHoSo"]
    assert item["status"] == 2
    assert item["is_updating"] is False
    assert item["idempotency_key"] == f"{RECORD['MaHoSo']}:k"
    assert item["payload"] == record()
    assert item["received_at"]


async def test_creating_an_existing_dossier_with_a_new_key_is_refused(
    portal: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await sync(portal, auth, [record(key="first")])
    body = await sync(portal, auth, [record(key="second")])
    assert body["error_code"] == 1
    assert body["results"][0]["error_code"] == 2
    assert body["results"][0]["message"] == "Hồ sơ đã tồn tại"
    assert body["results"][0]["duplicate"] is False
    assert (await received(portal, auth))["total"] == 1
    # The refused key was not "accepted": it can still be used, e.g. for the update.
    update = await sync(portal, auth, [record(key="second", TrangThaiHoSo=4)], updating=True)
    assert update["error_code"] == 0
    assert update["results"][0]["duplicate"] is False


async def test_updating_an_unknown_dossier_is_refused(
    portal: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = await sync(portal, auth, [record(code="UNKNOWN-1")], updating=True)
    assert body["error_code"] == 1
    assert body["results"][0]["error_code"] == 3
    assert body["results"][0]["message"] == "Hồ sơ không tồn tại"
    assert (await received(portal, auth))["total"] == 0


async def test_updates_are_stored_as_state_changes(
    portal: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await sync(portal, auth, [record(key="s2")])
    for status in (4, 9, 10):
        body = await sync(
            portal, auth, [record(key=f"s{status}", TrangThaiHoSo=status)], updating=True
        )
        assert body["error_code"] == 0, body
    page = await received(portal, auth, code=RECORD["MaHoSo"])
    assert [(i["status"], i["is_updating"]) for i in page["items"]] == [
        (2, False),
        (4, True),
        (9, True),
        (10, True),
    ]


INVALID = [
    *[(name, ...) for name in ("MaHoSo", "MaTTHC", "TenTTHC", "KenhThucHien", "ChuHoSo")],
    *[(name, ...) for name in ("NgayTiepNhan", "NgayHenTra", "TrangThaiHoSo", "IdempotencyKey")],
    ("MaHoSo", ""),
    ("MaHoSo", None),
    ("ChuHoSo", 12),
    ("TrangThaiHoSo", 11),
    ("TrangThaiHoSo", 0),
    ("TrangThaiHoSo", "2"),
    ("TrangThaiHoSo", True),
    ("KenhThucHien", 4),
    ("KenhThucHien", 0),
    ("NgayTiepNhan", "2026-11-23 08:30"),
    ("NgayHenTra", "20261123"),
    ("NgayHenTra", "20260230083000"),
    ("NgayHenTra", "20261123256000"),
    ("NgayNopHoSo", "2026112308300"),
    ("NgayKetThucXuLy", "x0261123083000"),
    ("NgayTra", 20261123083000),
    ("NgayTuChoi", "２０２６１１２３０８３０００"),
]


@pytest.mark.parametrize(("field", "value"), INVALID)
async def test_an_invalid_record_is_answered_with_the_field_named(
    portal: httpx.AsyncClient, auth: dict[str, str], field: str, value: Any
) -> None:
    body = await sync(portal, auth, [record(**{field: value})])
    assert body["error_code"] == 1
    [result] = body["results"]
    assert result["error_code"] == 1
    assert field in result["message"], result["message"]
    assert result["duplicate"] is False
    assert (await received(portal, auth))["total"] == 0


async def test_optional_dates_and_other_fields_are_accepted_as_given(
    portal: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    rec = record(
        NgayNopHoSo="20261122200000",
        NgayKetThucXuLy=None,
        NgayTra="20261124090000",
        NgayTuChoi="20261124090000",
        TrichYeuHoSo="x" * 2000,
        HinhThuc="anything",
        DanhSachHoSoBoSung=[{"NgayHenTraTruoc": "whatever"}],
    )
    body = await sync(portal, auth, [rec])
    assert body["error_code"] == 0, body
    assert (await received(portal, auth))["items"][0]["payload"] == rec


async def test_a_mixed_batch_is_answered_in_input_order(
    portal: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await sync(portal, auth, [record(code="A", key="a1")])
    batch: list[Any] = [
        record(code="B", key="b1"),
        record(code="A", key="a2"),  # already exists
        record(code="C", key="c1", TrangThaiHoSo=11),  # invalid
        record(code="A", key="a1"),  # duplicate
        "not an object",
        record(code="D", key="d1"),
        record(code="B", key="b2"),  # created earlier in this batch
        record(code="E", key="b1"),  # key used earlier in this batch
    ]
    body = await sync(portal, auth, batch)
    assert body["error_code"] == 1
    assert body["message"] == "4/8 hồ sơ không đồng bộ được"
    summary = [
        (r["MaHoSo"], r["IdempotencyKey"], r["error_code"], r["duplicate"]) for r in body["results"]
    ]
    assert summary == [
        ("B", "b1", 0, False),
        ("A", "a2", 2, False),
        ("C", "c1", 1, False),
        ("A", "a1", 0, True),
        (None, None, 1, False),
        ("D", "d1", 0, False),
        ("B", "b2", 2, False),
        ("E", "b1", 0, True),
    ]
    page = await received(portal, auth, kind="dossier")
    assert [i["idempotency_key"] for i in page["items"]] == ["a1", "b1", "d1"]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b'{"service": "Other", "isUpdating": false, "data": []}', "service"),
        (b'{"isUpdating": false, "data": []}', "service"),
        (b'{"service": "DongBoHoSoMC", "data": []}', "isUpdating"),
        (b'{"service": "DongBoHoSoMC", "isUpdating": "no", "data": []}', "isUpdating"),
        (b'{"service": "DongBoHoSoMC", "isUpdating": false}', "data"),
        (b'{"service": "DongBoHoSoMC", "isUpdating": false, "data": {}}', "data"),
        (b"{not json", "JSON"),
        (b"", "JSON"),
        (b"[]", "JSON"),
        (b'{"service": "DongBoHoSoMC", "isUpdating": false, "data": [NaN]}', "JSON"),
        (b"\xff\xfe", "JSON"),
        (b'{"service": "DongBoHoSoMC", "isUpdating": false, "data": [{"Gia": 1e400}]}', "JSON"),
        (
            b'{"service": "DongBoHoSoMC", "isUpdating": false, "data": [' + b"9" * 5000 + b"]}",
            "JSON",
        ),
        (b"[" * 100_000, "JSON"),
        (b'{"service": "DongBoHoSoMC", "isUpdating": false, "data": ["\\u0000"]}', "NUL"),
    ],
)
async def test_a_malformed_request_is_answered_portal_style(
    portal: httpx.AsyncClient, auth: dict[str, str], content: bytes, needle: str
) -> None:
    resp = await portal.post(
        "/api/dossiers/sync",
        content=content,
        headers={**auth, "Content-Type": "application/json"},
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["error_code"] == 1
    assert needle in body["message"], body["message"]
    assert body["results"] == []


async def test_a_batch_above_the_limit_is_refused_whole(
    portal: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = await sync(portal, auth, [record(code=f"X{i}") for i in range(1001)])
    assert body["error_code"] == 1
    assert "1000" in body["message"]
    assert (await received(portal, auth))["total"] == 0


async def test_a_full_batch_is_accepted(portal: httpx.AsyncClient, auth: dict[str, str]) -> None:
    body = await sync(portal, auth, [record(code=f"X{i}") for i in range(1000)])
    assert body["error_code"] == 0
    assert len(body["results"]) == 1000
    assert (await received(portal, auth, limit=1))["total"] == 1000


async def test_the_same_key_sent_concurrently_is_stored_once(
    auth: dict[str, str],
) -> None:
    # Separate app instances and connections, as with several mock processes.
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_portal_app()), base_url="http://p"
        )
        for _ in range(6)
    ]
    try:
        bodies = await asyncio.gather(*(sync(c, auth, [record(key="same")]) for c in clients))
    finally:
        for c in clients:
            await c.aclose()
    results = [b["results"][0] for b in bodies]
    assert all(r["error_code"] == 0 for r in results), results
    assert sorted(r["duplicate"] for r in results) == [False] + [True] * 5
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_portal_app()), base_url="http://p"
    ) as c:
        assert (await received(c, auth))["total"] == 1


async def test_the_same_dossier_created_concurrently_with_different_keys_once(
    auth: dict[str, str],
) -> None:
    clients = [
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_portal_app()), base_url="http://p"
        )
        for _ in range(4)
    ]
    try:
        bodies = await asyncio.gather(
            *(sync(c, auth, [record(key=f"k{i}")]) for i, c in enumerate(clients))
        )
    finally:
        for c in clients:
            await c.aclose()
    codes = sorted(b["results"][0]["error_code"] for b in bodies)
    assert codes == [0, 2, 2, 2]


async def test_summaries_are_stored_once_per_key(
    portal: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    summary = {
        "IdempotencyKey": "sum-1",
        "MaDonVi": "000.00.31.H56",
        "KyBaoCao": {"TuNgay": "20261101000000", "DenNgay": "20261123080000"},
        "ChiSo": [{"key": "on_time", "value": 0.97}],
    }
    first = await portal.post("/api/summaries", json=summary, headers=auth)
    assert first.status_code == 200
    assert first.json()["error_code"] == 0
    assert first.json()["duplicate"] is False
    again = await portal.post("/api/summaries", json=summary, headers=auth)
    assert again.json()["error_code"] == 0
    assert again.json()["duplicate"] is True
    other = await portal.post(
        "/api/summaries", json=summary | {"IdempotencyKey": "sum-2"}, headers=auth
    )
    assert other.json()["duplicate"] is False

    page = await received(portal, auth, kind="summary", code="000.00.31.H56")
    assert page["total"] == 2
    assert page["items"][0]["payload"] == summary
    assert page["items"][0]["status"] is None
    assert page["items"][0]["is_updating"] is None


async def test_summary_and_dossier_keys_do_not_collide(
    portal: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await sync(portal, auth, [record(key="shared")])
    resp = await portal.post(
        "/api/summaries", json={"IdempotencyKey": "shared", "MaDonVi": "X"}, headers=auth
    )
    assert resp.json()["duplicate"] is False


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b'{"MaDonVi": "X"}', "IdempotencyKey"),
        (b'{"IdempotencyKey": "k"}', "MaDonVi"),
        (b'{"IdempotencyKey": 5, "MaDonVi": "X"}', "IdempotencyKey"),
        (b'{"IdempotencyKey": "k", "MaDonVi": ""}', "MaDonVi"),
        (b"nope", "JSON"),
    ],
)
async def test_an_invalid_summary_is_answered_portal_style(
    portal: httpx.AsyncClient, auth: dict[str, str], content: bytes, needle: str
) -> None:
    resp = await portal.post(
        "/api/summaries", content=content, headers={**auth, "Content-Type": "application/json"}
    )
    assert resp.status_code == 200
    assert resp.json()["error_code"] == 1
    assert needle in resp.json()["message"]
    assert (await received(portal, auth))["total"] == 0


async def test_received_filters_and_pages(portal: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await sync(portal, auth, [record(code=c, key=f"{c}:1") for c in ("A", "B", "C")])
    await sync(portal, auth, [record(code="A", key="A:2", TrangThaiHoSo=4)], updating=True)
    await portal.post("/api/summaries", json={"IdempotencyKey": "s", "MaDonVi": "A"}, headers=auth)

    assert (await received(portal, auth))["total"] == 5
    assert (await received(portal, auth, kind="dossier"))["total"] == 4
    assert (await received(portal, auth, kind="summary"))["total"] == 1
    assert (await received(portal, auth, code="A"))["total"] == 3
    assert [i["idempotency_key"] for i in (await received(portal, auth, code="A"))["items"]] == [
        "A:1",
        "A:2",
        "s",
    ]
    by_key = await received(portal, auth, idempotency_key="B:1")
    assert [i["code"] for i in by_key["items"]] == ["B"]
    page = await received(portal, auth, kind="dossier", limit=2, offset=1)
    assert page["total"] == 4
    assert [i["idempotency_key"] for i in page["items"]] == ["B:1", "C:1"]


@pytest.mark.parametrize(
    "params", [{"kind": "other"}, {"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "x"}]
)
async def test_received_rejects_bad_queries(
    portal: httpx.AsyncClient, auth: dict[str, str], params: dict[str, Any]
) -> None:
    resp = await portal.get("/api/received", params=params, headers=auth)
    assert resp.status_code == 422
