from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.clock import LOCAL_ZONE, utcnow
from services.core.settings import get_settings
from services.feedback import service
from services.feedback.models import Feedback
from services.feedback.schemas import ClassifyIn, FeedbackCreate
from services.feedback.workflow import Action
from services.identity.models import User
from services.identity.principal import Principal
from services.outbox.models import OutboxEvent
from tests.conftest import AGENCY, OTHER_AGENCY, LoginFn
from tests.dossiers.conftest import BIRTH, dossier_body

URL = "/api/v1/feedback"
CONTENT = "Cán bộ yêu cầu nộp thêm bản sao giấy tờ không có trong quy định, gọi 0912345689."


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "reflection",
        "channel": "online",
        "content": CONTENT,
        "submitter": {
            "full_name": "Nguyễn Văn An",
            "phone": "0912345689",
            "address": "Thôn Đông, xã Một",
            "email": "an@example.vn",
        },
        "agency_code": AGENCY,
    }
    data.update(overrides)
    return data


async def _submit(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    resp = await client.post(URL, json=body(**overrides))
    assert resp.status_code == 201, resp.text
    out: dict[str, Any] = resp.json()
    return out


async def _events(session: AsyncSession, kind: str) -> list[OutboxEvent]:
    stmt = select(OutboxEvent).where(OutboxEvent.event_type == kind).order_by(OutboxEvent.id)
    return list(await session.scalars(stmt))


async def test_anonymous_intake_numbers_items_per_day(
    client: httpx.AsyncClient, seed: Any, session: AsyncSession
) -> None:
    first = await _submit(client)
    second = await _submit(client, kind="recommendation", channel="phone")
    day = datetime.now(LOCAL_ZONE).strftime("%y%m%d")
    assert first["code"] == f"PAKN-{day}-0001" and second["code"] == f"PAKN-{day}-0002"
    assert first["status"] == "received" and first["agency_code"] == AGENCY
    assert first["due_at"].endswith("+07:00")
    events = await _events(session, "feedback.received")
    assert [e.subject for e in events] == [first["code"], second["code"]]
    assert events[0].agency_codes == [AGENCY]
    assert "0912345689" not in str(events[0].payload) and "Nguyễn" not in str(events[0].payload)


async def test_intake_requires_the_decrees_fields_and_valid_links(
    client: httpx.AsyncClient, seed: Any, procedures: Any
) -> None:
    for bad in (
        {"submitter": {"full_name": "An", "address": "Thôn Đông"}},
        {"submitter": {"full_name": "An", "phone": "0912345689"}},
        {"content": "ngắn"},
        {"content": "x" * 5001},
        {"kind": "complaint"},
        {"agency_code": None},
        {"agency_code": "NOPE.1"},
        {"dossier_code": "NOPE-260101-0001"},
        {"procedure_code": "9.999999"},
    ):
        resp = await client.post(URL, json=body(**bad))
        assert resp.status_code == 422, (bad, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
    ok = await _submit(client, procedure_code=BIRTH)
    assert ok["status"] == "received"


async def test_intake_linked_to_a_dossier_belongs_to_its_agency(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any
) -> None:
    officer = await login("officer")
    dossier = (await client.post("/api/v1/dossiers", json=dossier_body(), headers=officer)).json()
    out = await _submit(client, agency_code=None, dossier_code=dossier["code"])
    assert out["agency_code"] == AGENCY
    resp = await client.post(URL, json=body(agency_code=OTHER_AGENCY, dossier_code=dossier["code"]))
    assert resp.status_code == 422


async def test_intake_is_rate_limited_per_client(client: httpx.AsyncClient, seed: Any) -> None:
    limit = get_settings().feedback_intake_per_hour
    for _ in range(limit):
        await _submit(client)
    resp = await client.post(URL, json=body())
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0


async def test_deadlines_in_working_days_across_tet(session: AsyncSession, seed: Any) -> None:
    # Thu 2026-02-12 09:00; Tết 16–20/2 and two weekends are not working days.
    received = datetime(2026, 2, 12, 9, 0, tzinfo=LOCAL_ZONE)
    config = get_settings()
    feedback = await service.receive(
        session, FeedbackCreate.model_validate(body()), received, config
    )
    assert feedback.due_at == datetime(2026, 2, 23, 9, 0, tzinfo=LOCAL_ZONE)  # refuse ≤ 2
    assert re.fullmatch(r"PAKN-260212-0001", feedback.code)

    principal = await _principal(session, "officer")
    later = received + timedelta(hours=1)
    await service.perform(
        session,
        principal,
        feedback,
        Action.CLASSIFY,
        ClassifyIn(classification="regulation"),
        later,
        config,
    )
    # Handle ≤ 15 working days, ask for more information ≤ 5, both from reception.
    assert feedback.due_at == datetime(2026, 3, 12, 9, 0, tzinfo=LOCAL_ZONE)
    assert feedback.info_request_due_at == datetime(2026, 2, 26, 9, 0, tzinfo=LOCAL_ZONE)


async def test_classify_answer_publish_and_public_views(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession
) -> None:
    code = (await _submit(client))["code"]
    officer, specialist = await login("officer"), await login("specialist")

    resp = await client.post(f"{URL}/{code}/answer", json={"answer": "x"}, headers=specialist)
    assert resp.status_code == 409  # not classified yet
    resp = await client.post(
        f"{URL}/{code}/classify", json={"classification": "regulation"}, headers=specialist
    )
    assert resp.status_code == 403  # specialists do not classify
    resp = await client.post(
        f"{URL}/{code}/classify", json={"classification": "regulation"}, headers=officer
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "classified" and resp.json()["due_step"] == "handle"
    assert (await client.get(f"/api/v1/public/feedback/{code}")).status_code == 404

    # Quoting the submitter, as answers do: the public sees neither name nor contacts.
    answer = (
        "Trả lời ông Nguyen Van An (0912345689, an@example.vn, Thôn Đông, xã Một): "
        "Cơ quan đã chấn chỉnh việc yêu cầu giấy tờ ngoài quy định."
    )
    resp = await client.post(f"{URL}/{code}/answer", json={"answer": answer}, headers=specialist)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "answered" and resp.json()["due_step"] == "publish"
    resp = await client.post(f"{URL}/{code}/publish", headers=officer)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "published" and resp.json()["closed_at"]
    resp = await client.post(f"{URL}/{code}/publish", headers=officer)
    assert resp.status_code == 409

    history = (await client.get(f"{URL}/{code}/history", headers=officer)).json()
    assert [h["action"] for h in history] == ["receive", "classify", "answer", "publish"]
    assert [h["to_state"] for h in history][-1] == "published"

    public = await client.get("/api/v1/public/feedback")
    assert public.status_code == 200
    items = public.json()["items"]
    assert [i["code"] for i in items] == [code]
    assert items[0]["answer"] == (
        "Trả lời ông *** (***, ***, ***): "
        "Cơ quan đã chấn chỉnh việc yêu cầu giấy tờ ngoài quy định."
    )
    detail = (await client.get(f"/api/v1/public/feedback/{code}")).json()
    text = str(public.json()) + str(detail)
    for personal in ("Nguyễn", "Nguyen", "0912345689", "Thôn Đông", "an@example", "submitter"):
        assert personal not in text
    assert "0xxxxxxx89" in detail["content"]
    events = await _events(session, "feedback.published")
    assert len(events) == 1 and "0912345689" not in str(events[0].payload)


async def test_reject_and_forward_follow_the_classification(
    client: httpx.AsyncClient, login: LoginFn
) -> None:
    officer, other = await login("officer"), await login("officer2")
    refused = (await _submit(client))["code"]
    await client.post(
        f"{URL}/{refused}/classify", json={"classification": "not_accepted"}, headers=officer
    )
    resp = await client.post(f"{URL}/{refused}/answer", json={"answer": "x"}, headers=officer)
    assert resp.status_code == 403  # officers do not answer
    resp = await client.post(
        f"{URL}/{refused}/answer", json={"answer": "x"}, headers=await login("leader")
    )
    assert resp.status_code == 409  # not_accepted is refused, not answered
    resp = await client.post(
        f"{URL}/{refused}/reject", json={"reason": "Là khiếu nại"}, headers=officer
    )
    assert resp.status_code == 200 and resp.json()["status"] == "rejected"

    moved = (await _submit(client))["code"]
    resp = await client.post(
        f"{URL}/{moved}/classify",
        json={"classification": "out_of_scope", "forward_to_agency_code": OTHER_AGENCY},
        headers=officer,
    )
    assert resp.status_code == 200 and resp.json()["due_step"] == "forward"
    assert (await client.get(f"{URL}/{moved}", headers=other)).status_code == 404
    resp = await client.post(f"{URL}/{moved}/forward", headers=officer)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "forwarded"
    assert resp.json()["forwarded_to_agency_code"] == OTHER_AGENCY
    assert (await client.get(f"{URL}/{moved}", headers=other)).status_code == 200


async def test_staff_list_is_scoped_filtered_and_paginated(
    client: httpx.AsyncClient, login: LoginFn
) -> None:
    codes = [(await _submit(client))["code"] for _ in range(3)]
    officer = await login("officer")
    await client.post(
        f"{URL}/{codes[0]}/classify", json={"classification": "conduct"}, headers=officer
    )
    assert (await client.get(URL)).status_code == 401
    other = await client.get(URL, headers=await login("viewer2"))
    assert other.status_code == 200 and other.json()["items"] == []
    assert (
        await client.get(f"{URL}/{codes[0]}", headers=await login("viewer2"))
    ).status_code == 404

    viewer = await login("viewer")
    page = (await client.get(URL, params={"limit": 2}, headers=viewer)).json()
    assert [i["code"] for i in page["items"]] == codes[:0:-1]
    rest = await client.get(URL, params={"limit": 2, "cursor": page["next_cursor"]}, headers=viewer)
    assert [i["code"] for i in rest.json()["items"]] == codes[:1]
    classified = await client.get(URL, params={"classification": "conduct"}, headers=viewer)
    assert [i["code"] for i in classified.json()["items"]] == codes[:1]
    received = await client.get(URL, params={"state": "received"}, headers=viewer)
    assert len(received.json()["items"]) == 2
    overdue = await client.get(URL, params={"overdue": "true"}, headers=viewer)
    assert overdue.json()["items"] == []
    resp = await client.post(
        f"{URL}/{codes[1]}/classify", json={"classification": "conduct"}, headers=viewer
    )
    assert resp.status_code == 403


async def test_overdue_scan_flags_late_items_once(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession
) -> None:
    late, fresh = (await _submit(client))["code"], (await _submit(client))["code"]
    item = await session.scalar(select(Feedback).where(Feedback.code == late))
    assert item is not None
    item.due_at = utcnow() - timedelta(hours=1)
    await session.commit()

    assert await service.flag_late_feedback(session, utcnow()) == 1
    assert await service.flag_late_feedback(session, utcnow()) == 0
    await session.commit()
    viewer = await login("viewer")
    overdue = (await client.get(URL, params={"overdue": "true"}, headers=viewer)).json()
    assert [i["code"] for i in overdue["items"]] == [late]
    assert overdue["items"][0]["late"] is True and overdue["items"][0]["is_overdue"] is True
    detail = (await client.get(f"{URL}/{fresh}", headers=viewer)).json()
    assert detail["late"] is False

    # Classifying after the deadline keeps the item marked late.
    resp = await client.post(
        f"{URL}/{late}/classify", json={"classification": "conduct"}, headers=await login("officer")
    )
    assert resp.json()["late"] is True


async def _principal(session: AsyncSession, username: str) -> Principal:
    user = await session.scalar(select(User).where(User.username == username))
    assert user is not None
    return Principal(
        kind="user", id=user.id, name=user.username, agency_code=user.agency_code, role=user.role
    )


async def test_asking_the_submitter_for_more_information(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession, seed: Any
) -> None:
    officer, specialist = await login("officer"), await login("specialist")
    code = (await _submit(client))["code"]
    ask = {"question": "Đề nghị cho biết thời gian, địa điểm cụ thể."}
    # Only handled items, once classified.
    assert (
        await client.post(f"{URL}/{code}/request-info", json=ask, headers=officer)
    ).status_code == 409
    classified = await client.post(
        f"{URL}/{code}/classify", json={"classification": "conduct"}, headers=officer
    )
    assert classified.status_code == 200
    assert (
        await client.post(f"{URL}/{code}/info-received", json={"note": "x"}, headers=officer)
    ).status_code == 409
    asked = await client.post(f"{URL}/{code}/request-info", json=ask, headers=specialist)
    assert asked.status_code == 200, asked.text
    out = asked.json()
    assert out["status"] == "in_progress" and out["info_request"] == ask["question"]
    assert out["info_requested_at"] and out["late"] is False
    again = await client.post(f"{URL}/{code}/request-info", json=ask, headers=specialist)
    assert again.status_code == 409
    [event] = await _events(session, "feedback.info_requested")
    assert event.payload["question"] == ask["question"]
    assert event.payload["phone_hint"] != "0912345689" and "89" in event.payload["phone_hint"]
    assert "Nguyễn Văn An" not in str(event.payload)
    reply = await client.post(
        f"{URL}/{code}/info-received",
        json={"note": "Ngày 12/11, tại bộ phận một cửa."},
        headers=officer,
    )
    assert reply.status_code == 200 and reply.json()["info_received_at"]
    assert (
        await client.post(f"{URL}/{code}/info-received", json={"note": "x"}, headers=officer)
    ).status_code == 409
    history = (await client.get(f"{URL}/{code}/history", headers=officer)).json()
    assert [h["action"] for h in history] == [
        "receive",
        "classify",
        "request-info",
        "info-received",
    ]


async def test_a_late_information_request_makes_the_item_late(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession, seed: Any
) -> None:
    officer = await login("officer")
    code = (await _submit(client))["code"]
    await client.post(
        f"{URL}/{code}/classify", json={"classification": "regulation"}, headers=officer
    )
    item = await session.scalar(select(Feedback).where(Feedback.code == code))
    assert item is not None and item.info_request_due_at is not None
    item.info_request_due_at = utcnow() - timedelta(hours=1)  # the 5 working days are over
    await session.commit()
    asked = await client.post(
        f"{URL}/{code}/request-info", json={"question": "Bổ sung bằng chứng."}, headers=officer
    )
    assert asked.status_code == 200 and asked.json()["late"] is True


async def test_intake_with_an_idempotency_key_is_received_once(
    client: httpx.AsyncClient, session: AsyncSession, seed: Any
) -> None:
    key = {"Idempotency-Key": "6f1c7a52-1f7e-4a43-9d1c-2f3c0b6e9a10"}
    first = await client.post(URL, json=body(), headers=key)
    retry = await client.post(URL, json=body(), headers=key)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    rows = list(await session.scalars(select(Feedback)))
    assert [f.code for f in rows] == [first.json()["code"]]
    # Another submitter who happens to use the same key files their own feedback.
    other = await client.post(URL, json=body(content=CONTENT + " Thêm."), headers=key)
    assert other.status_code == 201 and other.json()["code"] != first.json()["code"]
