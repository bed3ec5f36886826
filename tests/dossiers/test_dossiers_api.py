from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pypdf
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.clock import LOCAL_ZONE, as_local, utcnow
from services.core.idempotency import IdempotencyRecord, purge_before
from services.dossiers.models import Dossier, DossierCodeCounter, DossierHistory
from services.outbox.models import OutboxEvent
from tests.conftest import AGENCY, OTHER_AGENCY, LoginFn
from tests.dossiers.conftest import BIRTH, LAND, MARITAL, dossier_body

API = "/api/v1/dossiers"


async def _counts(session: AsyncSession) -> tuple[int, int, int, int]:
    return (
        await session.scalar(select(func.count()).select_from(Dossier)) or 0,
        await session.scalar(select(func.count()).select_from(DossierHistory)) or 0,
        await session.scalar(select(func.count()).select_from(OutboxEvent)) or 0,
        await session.scalar(select(func.sum(DossierCodeCounter.last_value))) or 0,
    )


async def _create(client: httpx.AsyncClient, headers: dict[str, str], **kw: Any) -> dict[str, Any]:
    resp = await client.post(API, headers=headers, json=dossier_body(**kw))
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


async def test_in_person_reception(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any, session: AsyncSession
) -> None:
    before = datetime.now(LOCAL_ZONE)
    created = await _create(client, await login("officer"))
    assert created["status"] == "received"
    assert re.fullmatch(rf"{re.escape(AGENCY)}-{before:%y%m%d}-\d{{4,}}", created["code"])
    assert created["code"].endswith("-0001")
    assert created["lookup_token"] and len(created["lookup_token"]) == 12
    assert created["received_at"].endswith("+07:00") and created["due_at"].endswith("+07:00")
    assert datetime.fromisoformat(created["due_at"]) > datetime.fromisoformat(
        created["received_at"]
    )
    assert created["version"] == 1 and created["portal_sync"] == "pending"
    events = list(await session.scalars(select(OutboxEvent)))
    assert [(e.event_type, e.subject) for e in events] == [("dossier.received", created["code"])]
    assert events[0].payload["dossier"]["version"] == 1
    assert "lookup_token" not in events[0].payload["dossier"]
    second = await _create(client, await login("officer"))
    assert second["code"].endswith("-0002")
    got = await client.get(f"{API}/{created['code']}", headers=await login("viewer"))
    assert got.status_code == 200 and got.headers["etag"] == '"1"'
    assert got.json()["lookup_token"] is None


async def test_online_filing_then_accept_starts_clock(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any
) -> None:
    officer = await login("officer")
    created = await _create(client, officer, channel="online")
    assert created["status"] == "submitted" and created["due_at"] is None
    assert created["submitted_at"] is not None
    accepted = await client.post(f"{API}/{created['code']}/accept", headers=officer)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "received" and accepted.json()["due_at"]
    assert accepted.json()["version"] == 2


async def test_received_at_only_for_admin_or_import_key(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any, session: AsyncSession
) -> None:
    past = "2026-02-12T09:00:00"  # naive → Asia/Ho_Chi_Minh
    before = await _counts(session)
    denied = await client.post(
        API, headers=await login("officer"), json=dossier_body(received_at=past)
    )
    assert denied.status_code == 403
    assert await _counts(session) == before
    imported = await _create(
        client, await login("admin"), received_at=past, receiving_agency_code=AGENCY
    )
    assert imported["received_at"] == "2026-02-12T09:00:00+07:00"
    assert imported["code"] == f"{AGENCY}-260212-0001"
    key = await client.post(
        "/api/v1/api-keys",
        headers=await login("admin"),
        json={
            "name": "migration",
            "agency_code": AGENCY,
            "scopes": ["dossiers:write", "dossiers:import"],
        },
    )
    by_key = await _create(
        client, {"X-API-Key": key.json()["key"]}, received_at="2026-02-12T10:00:00+07:00"
    )
    assert by_key["code"] == f"{AGENCY}-260212-0002"


async def test_tet_example_due_date(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any
) -> None:
    admin = await login("admin")
    for day in range(14, 23):
        resp = await client.put(
            f"/api/v1/calendar/days/2026-02-{day:02d}",
            headers=admin,
            json={"kind": "day_off", "name": "Tết Bính Ngọ"},
        )
        assert resp.status_code == 200, resp.text
    created = await _create(
        client, admin, received_at="2026-02-12T09:00:00+07:00", receiving_agency_code=AGENCY
    )
    assert created["due_at"] == "2026-02-24T09:00:00+07:00"
    # Editing the calendar afterwards never moves the promise on the receipt.
    await client.delete("/api/v1/calendar/days/2026-02-23", headers=admin)
    await client.put(
        "/api/v1/calendar/days/2026-02-23", headers=admin, json={"kind": "holiday", "name": "thêm"}
    )
    again = await client.get(f"{API}/{created['code']}", headers=admin)
    assert again.json()["due_at"] == "2026-02-24T09:00:00+07:00"


async def test_invalid_input_is_422_and_writes_nothing(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any, session: AsyncSession
) -> None:
    officer = await login("officer")
    before = await _counts(session)
    bad_bodies = [
        dossier_body(procedure_code="9.999999"),
        dossier_body(procedure_code="abc"),
        dossier_body(channel="fax"),
        dossier_body(applicant={"full_name": ""}),
        dossier_body(applicant={"full_name": "A", "phone": "call me"}),
        dossier_body(applicant={"full_name": "A", "email": "not-an-email"}),
        dossier_body(resolving_agency_code="NOPE.1"),
        dossier_body(fee={"amount_vnd": -1}),
        dossier_body(unexpected="field"),
        {"procedure_code": MARITAL},
    ]
    for body in bad_bodies:
        resp = await client.post(API, headers=officer, json=body)
        assert resp.status_code == 422, (body, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
    assert await _counts(session) == before


async def test_other_agency_sees_404_until_it_resolves(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any
) -> None:
    officer, other = await login("officer"), await login("officer2")
    code = (await _create(client, officer))["code"]
    for path in ("", "/history", "/receipt.pdf"):
        assert (await client.get(f"{API}/{code}{path}", headers=other)).status_code == 404
    assert (await client.post(f"{API}/{code}/assign", headers=other, json={})).status_code == 404
    listed = await client.get(API, headers=other)
    assert listed.json()["items"] == []
    handed = await client.post(
        f"{API}/{code}/assign",
        headers=officer,
        json={"agency_code": OTHER_AGENCY, "assignee_username": "specialist2"},
    )
    assert handed.status_code == 200, handed.text
    assert handed.json()["resolving_agency_code"] == OTHER_AGENCY
    assert (await client.get(f"{API}/{code}", headers=other)).status_code == 200
    resolved = await client.post(
        f"{API}/{code}/resolve",
        headers=await login("specialist2"),
        json={"outcome": "approved", "result_summary": "Đã cấp"},
    )
    assert resolved.status_code == 200, resolved.text


async def test_full_lifecycle_history_and_events(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any, session: AsyncSession
) -> None:
    officer, specialist = await login("officer"), await login("specialist")
    code = (await _create(client, officer))["code"]
    steps = [
        (officer, "assign", {"assignee_username": "specialist"}, "in_progress"),
        (
            specialist,
            "request-supplement",
            {"reason": "Thiếu giấy tờ", "missing_documents": ["CCCD"]},
            "supplement_requested",
        ),
        (officer, "supplement-received", None, "in_progress"),
        (officer, "request-payment", {"amount_vnd": 50000}, "awaiting_payment"),
        (officer, "payment-received", {"paid_online": True}, "in_progress"),
        (
            specialist,
            "resolve",
            {
                "outcome": "approved",
                "result_summary": "Cấp giấy xác nhận",
                "electronic_result": True,
            },
            "resolved",
        ),
        (officer, "return", {"method": "counter"}, "returned"),
    ]
    for headers, action, body, expected in steps:
        resp = await client.post(f"{API}/{code}/{action}", headers=headers, json=body)
        assert resp.status_code == 200, (action, resp.text)
        assert resp.json()["status"] == expected
    final = resp.json()
    assert final["supplement_count"] == 1 and final["finished_at"] and final["returned_at"]
    assert final["fee"]["paid_online"] is True and final["electronic_result"] is True
    assert final["version"] == 1 + len(steps)
    history = (await client.get(f"{API}/{code}/history", headers=officer)).json()
    assert [h["action"] for h in history] == ["receive"] + [s[1] for s in steps]
    assert history[2]["note"] == "Thiếu giấy tờ" and history[2]["actor"] == "specialist"
    assert history[-1]["from_status"] == "resolved" and history[-1]["to_status"] == "returned"
    events = list(await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))
    assert len(events) == 1 + len(steps)
    assert [e.payload["dossier"]["version"] for e in events] == list(range(1, len(steps) + 2))
    # terminal: nothing more
    again = await client.post(f"{API}/{code}/withdraw", headers=officer, json={"reason": "x"})
    assert again.status_code == 409


async def test_a_result_sent_by_post_reaches_the_portal_as_such(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any, session: AsyncSession
) -> None:
    """domain.md §8: HinhThuc 1 by post. The portal record is built from the outbox snapshot,
    which had no return method, so every result was reported as handed over at the counter."""
    from services.portal.mapping import to_record

    officer, specialist = await login("officer"), await login("specialist")
    code = (await _create(client, officer))["code"]
    for headers, action, body in (
        (officer, "assign", {}),
        (specialist, "resolve", {"outcome": "approved", "result_summary": "Cấp giấy"}),
        (officer, "return", {"method": "postal"}),
    ):
        resp = await client.post(f"{API}/{code}/{action}", headers=headers, json=body)
        assert resp.status_code == 200, (action, resp.text)
    assert resp.json()["return_method"] == "postal"
    last = (await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id.desc()))).first()
    assert last is not None and last.payload["dossier"]["status"] == "returned"
    assert to_record(last.payload["dossier"])["HinhThuc"] == 1


async def test_the_procedure_fee_is_snapshotted_when_the_request_names_none(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any, session: AsyncSession
) -> None:
    """domain.md §2 (the terms, fee included, are copied): a counter reception without a fee
    of a fee-bearing procedure was left out of the online-payment rate's payable dossiers."""
    procedures[LAND].fee_vnd = 50000
    await session.commit()
    officer = await login("officer")
    land = await _create(client, officer, procedure_code=LAND)
    assert land["fee"] == {"amount_vnd": 50000, "paid_online": False, "paid_at": None}
    named = await _create(
        client, officer, procedure_code=LAND, fee={"amount_vnd": 20000, "paid_online": True}
    )
    assert named["fee"]["amount_vnd"] == 20000 and named["fee"]["paid_online"] is True
    free = await _create(client, officer, procedure_code=BIRTH)  # fee_vnd 0: nothing to pay
    assert free["fee"] is None


async def test_only_someone_who_can_act_is_assigned(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any
) -> None:
    officer = await login("officer")
    code = (await _create(client, officer))["code"]
    viewer = await client.post(
        f"{API}/{code}/assign", headers=officer, json={"assignee_username": "viewer"}
    )
    assert viewer.status_code == 422 and "role viewer" in viewer.json()["detail"]
    ok = await client.post(
        f"{API}/{code}/assign", headers=officer, json={"assignee_username": "specialist"}
    )
    assert ok.status_code == 200 and ok.json()["assignee_username"] == "specialist"


async def test_forbidden_transition_and_roles(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any, session: AsyncSession
) -> None:
    officer = await login("officer")
    code = (await _create(client, officer))["code"]
    before = await _counts(session)
    conflict = await client.post(
        f"{API}/{code}/resolve",
        headers=await login("leader"),
        json={"outcome": "approved", "result_summary": "x"},
    )
    assert conflict.status_code == 409 and "allowed from: in_progress" in conflict.json()["detail"]
    assert (
        await client.post(f"{API}/{code}/assign", headers=await login("specialist"), json={})
    ).status_code == 403
    assert (
        await client.post(f"{API}/{code}/stop", headers=officer, json={"reason": "x"})
    ).status_code == 403
    assert (
        await client.post(f"{API}/{code}/accept", headers=await login("viewer"))
    ).status_code == 403
    assert (
        await client.post(API, headers=await login("specialist"), json=dossier_body())
    ).status_code == 403
    assert await _counts(session) == before
    stopped = await client.post(
        f"{API}/{code}/stop", headers=await login("leader"), json={"reason": "Có văn bản dừng"}
    )
    assert stopped.status_code == 200 and stopped.json()["finished_at"]


async def test_if_match(client: httpx.AsyncClient, login: LoginFn, procedures: Any) -> None:
    officer = await login("officer")
    code = (await _create(client, officer))["code"]
    stale = await client.post(
        f"{API}/{code}/assign", headers={**officer, "If-Match": '"7"'}, json={}
    )
    assert stale.status_code == 412
    ok = await client.post(f"{API}/{code}/assign", headers={**officer, "If-Match": '"1"'}, json={})
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"'


async def test_a_procedure_edit_never_moves_a_due_date(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any
) -> None:
    officer, admin = await login("officer"), await login("admin")
    before = await _create(client, officer)  # 3 working days
    patched = await client.patch(
        f"/api/v1/procedures/{MARITAL}",
        headers=admin,
        json={"time_limit": {"value": 10, "unit": "working_days"}, "name": "Tên mới"},
    )
    assert patched.status_code == 200, patched.text
    again = (await client.get(f"{API}/{before['code']}", headers=officer)).json()
    assert again["due_at"] == before["due_at"]
    assert again["procedure_name"] == before["procedure_name"] != "Tên mới"
    after = await _create(client, officer)
    assert after["procedure_name"] == "Tên mới"
    assert datetime.fromisoformat(after["due_at"]) > datetime.fromisoformat(before["due_at"])


async def test_refuse_at_reception(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any, session: AsyncSession
) -> None:
    officer = await login("officer")
    online = await _create(client, officer, channel="online")
    assert online["status"] == "submitted"
    refused = await client.post(
        f"{API}/{online['code']}/refuse", headers=officer, json={"reason": "Thiếu giấy tờ"}
    )
    assert refused.status_code == 200, refused.text
    body = refused.json()
    assert body["status"] == "refused" and body["finished_at"] and body["version"] == 2
    history = (await client.get(f"{API}/{online['code']}/history", headers=officer)).json()
    assert [(h["action"], h["to_status"], h["note"]) for h in history][-1] == (
        "refuse",
        "refused",
        "Thiếu giấy tờ",
    )
    # Terminal: nothing more, not even a second refusal.
    again = await client.post(
        f"{API}/{online['code']}/refuse", headers=officer, json={"reason": "Lần nữa"}
    )
    assert again.status_code == 409
    no_reason = await client.post(f"{API}/{online['code']}/refuse", headers=officer, json={})
    assert no_reason.status_code == 422
    # A specialist may not refuse (api.md roles).
    received = await _create(client, officer)
    denied = await client.post(
        f"{API}/{received['code']}/refuse",
        headers=await login("specialist"),
        json={"reason": "Không"},
    )
    assert denied.status_code == 403


async def test_list_filters_search_and_cursor(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any
) -> None:
    officer = await login("officer")
    names = ["Nguyễn Văn An", "Trần Thị Bình", "Đặng Đức Cường", "Nguyễn Thị Dung", "Lê Văn Em"]
    codes = [(await _create(client, officer, applicant={"full_name": n}))["code"] for n in names]
    await client.post(f"{API}/{codes[0]}/assign", headers=officer, json={})

    async def listing(query: str) -> list[str]:
        resp = await client.get(f"{API}?{query}", headers=officer)
        assert resp.status_code == 200, resp.text
        return [d["code"] for d in resp.json()["items"]]

    assert await listing("q=nguyen") == [codes[3], codes[0]]
    assert await listing("q=dang duc") == [codes[2]]
    assert await listing("q=%C4%90%E1%BA%B6NG") == [codes[2]]  # "ĐẶNG"
    assert await listing(f"q={codes[1]}") == [codes[1]]
    assert await listing(f"q={codes[1][:-4]}") == codes[::-1][:5]  # a code prefix: the day's
    for wildcard in ("%25", "_", "%5C", "%25%25"):  # LIKE's own characters match themselves
        assert await listing(f"q={wildcard}") == [], wildcard
    assert await listing("status=in_progress") == [codes[0]]
    assert await listing("overdue=true") == []
    assert len(await listing("overdue=false")) == 5
    assert await listing(f"procedure_code={BIRTH}") == []
    seen: list[str] = []
    cursor = ""
    while True:
        resp = await client.get(f"{API}?limit=2{cursor}", headers=officer)
        seen += [d["code"] for d in resp.json()["items"]]
        if not resp.json()["next_cursor"]:
            break
        cursor = f"&cursor={resp.json()['next_cursor']}"
    assert seen == list(reversed(codes))
    assert (await client.get(f"{API}?status=galaxy", headers=officer)).status_code == 422


async def test_list_by_sector_group_and_reception_time(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any
) -> None:
    admin, officer = await login("admin"), await login("officer")
    days_ago = [40, 20, 2]
    received = [
        (datetime.now(LOCAL_ZONE) - timedelta(days=d)).replace(hour=9, minute=0, microsecond=0)
        for d in days_ago
    ]
    civil = [
        (await _create(client, admin, received_at=r.isoformat(), receiving_agency_code=AGENCY))[
            "code"
        ]
        for r in received
    ]
    land = (await _create(client, officer, procedure_code=LAND))["code"]

    async def listing(**query: str) -> list[str]:
        resp = await client.get(API, headers=officer, params=query)
        assert resp.status_code == 200, resp.text
        return [d["code"] for d in resp.json()["items"]]

    assert await listing(sector_group="land") == [land]
    assert await listing(sector_group="civil_status") == civil[::-1]
    assert await listing(sector_group="construction") == []
    window = {
        "received_from": received[1].isoformat(),  # inclusive
        "received_to": received[2].isoformat(),  # exclusive
    }
    assert await listing(**window) == [civil[1]]
    assert await listing(received_from=received[1].isoformat()) == [land, civil[2], civil[1]]
    assert await listing(received_to=received[1].isoformat()) == [civil[0]]
    bad = await client.get(API, headers=officer, params={"sector_group": "galaxy"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "sector_group"]


async def test_receipt_pdf_has_vietnamese_text(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any
) -> None:
    officer = await login("officer")
    created = await _create(client, officer, applicant={"full_name": "Đặng Thị Ánh Tuyết"})
    resp = await client.get(f"{API}/{created['code']}/receipt.pdf", headers=officer)
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(resp.content)).pages)
    text = re.sub(r"\s+", " ", text)
    for expected in (
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        "Đặng Thị Ánh Tuyết",
        "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân",
        created["code"],
        created["lookup_token"],
        "Độc lập - Tự do - Hạnh phúc",
    ):
        assert expected in text, expected
    due = as_local(datetime.fromisoformat(created["due_at"]))
    assert f"{due:%H} giờ {due:%M}, ngày {due:%d/%m/%Y}" in text
    submitted = await _create(client, officer, channel="online")
    assert (
        await client.get(f"{API}/{submitted['code']}/receipt.pdf", headers=officer)
    ).status_code == 409


async def test_public_lookup_masks_and_hides(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any
) -> None:
    created = await _create(client, await login("officer"))
    url = f"/api/v1/public/dossiers/{created['code']}"
    ok = await client.get(url, params={"token": created["lookup_token"]})
    assert ok.status_code == 200
    body = ok.json()
    assert body["applicant_name"] == "Nguyễn V. A." and body["status_label_vi"] == "Đã tiếp nhận"
    assert "0912345689" not in ok.text and "001099012345" not in ok.text
    assert "Nguyễn Văn An" not in ok.text and "Thôn Đông" not in ok.text
    wrong = await client.get(url, params={"token": "AAAAAAAAAAAA"})
    missing = await client.get(
        "/api/v1/public/dossiers/NOPE-260101-0001", params={"token": created["lookup_token"]}
    )
    assert wrong.status_code == missing.status_code == 404
    assert wrong.json()["detail"].replace(created["code"], "X") == missing.json()["detail"].replace(
        "NOPE-260101-0001", "X"
    )


@pytest.mark.parametrize(
    ("path", "params", "loc", "msg"),
    [
        ("X-1", {}, ["query", "token"], "Field required"),
        ("X-1", {"token": "abc"}, ["query", "token"], "String should have at least 4 characters"),
        ("X-1", {"token": "a" * 65}, ["query", "token"], "String should have at most 64"),
        ("X" * 65, {"token": "abcd"}, ["path", "code"], "String should have at most 64"),
    ],
)
async def test_public_lookup_checks_its_parameters_as_fastapi_would(
    client: httpx.AsyncClient, path: str, params: dict[str, str], loc: list[str], msg: str
) -> None:
    """The route reads its parameters itself (the busiest route): same 422, same errors."""
    resp = await client.get(f"/api/v1/public/dossiers/{path}", params=params)
    assert resp.status_code == 422, resp.text
    [error] = resp.json()["errors"]
    assert error["loc"] == loc and error["msg"].startswith(msg)


async def test_public_lookup_is_rate_limited(client: httpx.AsyncClient) -> None:
    statuses = [
        (await client.get("/api/v1/public/dossiers/X-1", params={"token": "abcd"})).status_code
        for _ in range(31)
    ]
    assert statuses[:30] == [404] * 30 and statuses[30] == 429


async def test_idempotency_key(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any, session: AsyncSession
) -> None:
    headers = {**await login("officer"), "Idempotency-Key": "receipt-42"}
    first = await client.post(API, headers=headers, json=dossier_body())
    again = await client.post(API, headers=headers, json=dossier_body())
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert (await _counts(session))[0] == 1
    other = await client.post(API, headers=headers, json=dossier_body(summary="khác"))
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
    empty = await client.post(API, headers={**headers, "Idempotency-Key": ""}, json=dossier_body())
    assert empty.status_code == 422 and empty.json()["errors"][0]["loc"][-1] == "Idempotency-Key"


async def test_a_repeat_is_answered_even_once_the_procedure_is_withdrawn(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any
) -> None:
    headers = {**await login("officer"), "Idempotency-Key": "receipt-44"}
    first = await client.post(API, headers=headers, json=dossier_body())
    assert first.status_code == 201
    withdrawn = await client.patch(
        f"/api/v1/procedures/{first.json()['procedure_code']}",
        headers=await login("admin"),
        json={"is_active": False},
    )
    assert withdrawn.status_code == 200
    fresh = await client.post(API, headers=await login("officer"), json=dossier_body())
    assert fresh.status_code == 422  # a new reception is refused...
    again = await client.post(API, headers=headers, json=dossier_body())
    # ...but the client retrying a lost answer learns that its dossier was received.
    assert again.status_code == 201 and again.json() == first.json()


async def test_an_idempotency_key_past_its_retention_is_free_again(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any, session: AsyncSession
) -> None:
    headers = {**await login("officer"), "Idempotency-Key": "receipt-43"}
    first = await client.post(API, headers=headers, json=dossier_body())
    assert first.status_code == 201
    # Answered 40 days ago: older than the 30-day retention, so the purge forgets it.
    await session.execute(
        update(IdempotencyRecord).values(created_at=func.now() - timedelta(days=40))
    )
    assert await purge_before(session, utcnow() - timedelta(days=30), 100) == 1
    assert await purge_before(session, utcnow() - timedelta(days=30), 100) == 0
    again = await client.post(API, headers=headers, json=dossier_body(summary="khác"))
    assert again.status_code == 201 and again.json()["code"] != first.json()["code"]


async def test_overdue_flag(client: httpx.AsyncClient, login: LoginFn, procedures: Any) -> None:
    admin = await login("admin")
    old = await _create(
        client,
        admin,
        received_at=(datetime.now(LOCAL_ZONE) - timedelta(days=30))
        .replace(hour=9, minute=0)
        .isoformat(),
        receiving_agency_code=AGENCY,
    )
    assert old["is_overdue"] is True
    listed = await client.get(f"{API}?overdue=true", headers=await login("officer"))
    assert [d["code"] for d in listed.json()["items"]] == [old["code"]]


async def test_code_grows_past_9999(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any, session: AsyncSession
) -> None:
    today = datetime.now(LOCAL_ZONE).date()
    session.add(DossierCodeCounter(agency_code=AGENCY, day=today, last_value=9999))
    await session.commit()
    created = await _create(client, await login("officer"))
    assert created["code"] == f"{AGENCY}-{today:%y%m%d}-10000"
