"""Internal processes and liên thông through the API (issue 9): a 3-step process across two
agencies, step deadlines across Tết 2026, visibility moving with the step, punctuality."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pypdf
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.clock import LOCAL_ZONE
from services.outbox.models import OutboxEvent
from services.processes.models import DossierStep, ProcedureProcess
from services.processes.service import report_late_steps
from tests.conftest import AGENCY, OTHER_AGENCY, LoginFn
from tests.dossiers.conftest import BIRTH, MARITAL, dossier_body

API = "/api/v1/dossiers"
PROCESS = f"/api/v1/procedures/{MARITAL}/process"

# MARITAL: 3 working days = 24 working hours.
THREE_STEPS: dict[str, Any] = {
    "steps": [
        {
            "name": "Tiếp nhận hồ sơ",
            "role": "officer",
            "agency_code": AGENCY,
            "share": {"value": 4, "unit": "working_hours"},
        },
        {
            "name": "Thẩm định liên thông",
            "role": "specialist",
            "agency_code": OTHER_AGENCY,
            "share": {"value": 2, "unit": "working_days"},
        },
        {
            "name": "Phê duyệt, trả kết quả",
            "role": "leader",
            "share": {"value": 4, "unit": "working_hours"},
        },
    ]
}


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL_ZONE)  # type: ignore[misc]


def _pdf_text(content: bytes) -> str:
    """The PDF's text with table cells' line breaks folded into spaces."""
    pages = pypdf.PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


Clock = Callable[[datetime], None]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Sets the time the API's dossier and work-item routes see."""

    def set_time(at: datetime) -> None:
        for module in ("services.dossiers.endpoints", "services.processes.endpoints"):
            monkeypatch.setattr(f"{module}.utcnow", lambda: at)

    return set_time


async def _put_process(
    client: httpx.AsyncClient, login: LoginFn, body: dict[str, Any] = THREE_STEPS
) -> dict[str, Any]:
    resp = await client.put(PROCESS, headers=await login("admin"), json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


async def _receive(client: httpx.AsyncClient, login: LoginFn) -> dict[str, Any]:
    resp = await client.post(API, headers=await login("officer"), json=dossier_body())
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


async def _complete(
    client: httpx.AsyncClient, login: LoginFn, user: str, code: str, n: int
) -> httpx.Response:
    return await client.post(
        f"{API}/{code}/steps/{n}/complete", headers=await login(user), json={"note": "xong"}
    )


async def test_process_definition_is_versioned_and_validated(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any, session: AsyncSession
) -> None:
    admin = await login("admin")
    assert (await client.get(PROCESS, headers=admin)).status_code == 404
    first = await _put_process(client, login)
    assert first["version"] == 1
    assert [(s["n"], s["allotted"], s["allotted_unit"]) for s in first["steps"]] == [
        (1, 4, "working_hours"),
        (2, 16, "working_hours"),
        (3, 4, "working_hours"),
    ]
    bad_cases = [
        # 4 + 16 + 8 = 28 hours for a 24-hour limit
        {
            "steps": [
                *THREE_STEPS["steps"][:2],
                {**THREE_STEPS["steps"][2], "share": {"value": 1, "unit": "working_days"}},
            ]
        },
        {
            "steps": [
                {**THREE_STEPS["steps"][0], "agency_code": "NO.SUCH"},
                *THREE_STEPS["steps"][1:],
            ]
        },
        {"steps": [{**THREE_STEPS["steps"][0], "role": "viewer"}, *THREE_STEPS["steps"][1:]]},
        {"steps": []},
    ]
    for body in bad_cases:
        resp = await client.put(PROCESS, headers=admin, json=body)
        assert resp.status_code == 422, resp.text
        assert resp.headers["content-type"] == "application/problem+json"
    same_day = await client.put(
        f"/api/v1/procedures/{BIRTH}/process",
        headers=admin,
        json={
            "steps": [{"name": "A", "role": "officer", "share": {"value": 1, "unit": "fraction"}}]
        },
    )
    assert same_day.status_code == 422 and "same-day" in same_day.json()["detail"]
    assert await session.scalar(select(func.count()).select_from(ProcedureProcess)) == 1
    # Only admins or procedures:write keys define processes; staff may read them.
    denied = await client.put(PROCESS, headers=await login("leader"), json=THREE_STEPS)
    assert denied.status_code == 403
    read = await client.get(PROCESS, headers=await login("viewer"))
    assert read.status_code == 200 and read.json()["version"] == 1
    second = await _put_process(client, login)
    assert second["version"] == 2
    assert (await client.get(f"{PROCESS}?version=1", headers=admin)).json()["version"] == 1
    assert (await client.delete(PROCESS, headers=admin)).status_code == 204
    assert (await client.get(PROCESS, headers=admin)).status_code == 404
    assert (await client.get(f"{PROCESS}?version=2", headers=admin)).json()["retired_at"]


async def test_three_steps_across_two_agencies(
    client: httpx.AsyncClient,
    login: LoginFn,
    procedures: Any,
    session: AsyncSession,
    clock: Clock,
) -> None:
    await _put_process(client, login)
    clock(vn(2026, 2, 12, 9, 0))  # Thursday before Tết
    created = await _receive(client, login)
    code = created["code"]
    assert created["current_step"] == {
        "n": 1,
        "name": "Tiếp nhận hồ sơ",
        "agency_code": AGENCY,
        "role": "officer",
        "started_at": "2026-02-12T09:00:00+07:00",
        "due_at": "2026-02-12T14:30:00+07:00",  # 2.5 h before lunch, 1.5 h after
    }
    # The other agency does not see the dossier before it holds a step.
    assert (
        await client.get(f"{API}/{code}", headers=await login("specialist2"))
    ).status_code == 404
    assert (await _complete(client, login, "specialist2", code, 1)).status_code == 404
    # Out of turn, wrong role.
    assert (await _complete(client, login, "officer", code, 2)).status_code == 409
    assert (await _complete(client, login, "specialist", code, 1)).status_code == 403

    clock(vn(2026, 2, 13, 10, 0))  # a day late
    done = await _complete(client, login, "officer", code, 1)
    assert done.status_code == 200, done.text
    dossier = done.json()
    assert dossier["version"] == 2 and done.headers["etag"] == '"2"'
    # 16 working hours from Friday 10:00: 5.5 h on Friday, Tết (16–20/2) and two weekends
    # skipped, 8 h on Monday 23, 2.5 h on Tuesday 24.
    assert dossier["current_step"]["n"] == 2
    assert dossier["current_step"]["agency_code"] == OTHER_AGENCY
    assert dossier["current_step"]["due_at"] == "2026-02-24T10:00:00+07:00"

    # Visibility moves with the step; the receiving agency may read but not change it.
    specialist2 = await login("specialist2")
    assert (await client.get(f"{API}/{code}", headers=specialist2)).status_code == 200
    officer = await login("officer")
    assert (await client.get(f"{API}/{code}", headers=officer)).status_code == 200
    held = await client.post(f"{API}/{code}/assign", headers=officer, json={})
    assert held.status_code == 403 and OTHER_AGENCY in held.json()["detail"]
    assert (await _complete(client, login, "officer2", code, 2)).status_code == 403  # role
    items = await client.get("/api/v1/work-items", headers=specialist2)
    assert [i["dossier_code"] for i in items.json()["items"]] == [code]
    assert items.json()["items"][0]["step"]["n"] == 2
    assert (await client.get("/api/v1/work-items", headers=await login("officer2"))).json()[
        "items"
    ] == []
    assert (await client.get("/api/v1/work-items", headers=officer)).json()["items"] == []

    clock(vn(2026, 2, 23, 16, 0))
    done = await _complete(client, login, "specialist2", code, 2)
    assert done.status_code == 200, done.text
    assert done.json()["current_step"]["agency_code"] == AGENCY  # the resolving agency
    assert done.json()["current_step"]["due_at"] == "2026-02-24T10:30:00+07:00"
    assert (await client.get(f"{API}/{code}", headers=specialist2)).status_code == 404

    clock(vn(2026, 2, 24, 10, 30))
    assert (await _complete(client, login, "officer", code, 3)).status_code == 403  # leader's
    done = await _complete(client, login, "leader", code, 3)
    assert done.status_code == 200, done.text
    assert done.json()["current_step"] is None
    assert (await _complete(client, login, "leader", code, 3)).status_code == 409

    # The control sheet: per-step rows in the history and in Mẫu 05.
    history = (await client.get(f"{API}/{code}/history", headers=officer)).json()
    steps = [h["step"] for h in history if h["action"] == "step-complete"]
    assert [(s["n"], s["result"]) for s in steps] == [(1, "after"), (2, "before"), (3, "on")]
    assert steps[1]["handed_over_by"] == "officer" and steps[1]["received_by"] == "specialist2"
    assert steps[1]["due_at"] == "2026-02-24T10:00:00+07:00"
    pdf = await client.get(f"{API}/{code}/control-sheet.pdf", headers=officer)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    for expected in (
        "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
        "Thẩm định liên thông",
        "Quá hạn",
        "Trước hạn",
        "Đúng hạn",
        code,
    ):
        assert expected in text, expected

    events = list(
        await session.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == "dossier.step_completed")
        )
    )
    assert len(events) == 3 and OTHER_AGENCY in events[0].agency_codes

    # Step punctuality in the KPI report: per agency, from the steps' own results.
    report = await client.get(
        "/api/v1/reports/kpi?from=2026-02-01&to=2026-02-28", headers=await login("admin")
    )
    assert report.status_code == 200, report.text
    rows = {r["agency_code"]: r for r in report.json()["step_punctuality"]}
    assert (rows[AGENCY]["completed"], rows[AGENCY]["after"], rows[AGENCY]["on"]) == (2, 1, 1)
    assert rows[AGENCY]["on_time_rate"] == 50
    assert (rows[OTHER_AGENCY]["completed"], rows[OTHER_AGENCY]["on_time_rate"]) == (1, 100)
    own = await client.get(
        "/api/v1/reports/kpi?from=2026-02-01&to=2026-02-28", headers=await login("leader2")
    )
    assert [r["agency_code"] for r in own.json()["step_punctuality"]] == [OTHER_AGENCY]


async def test_a_process_edit_does_not_change_running_dossiers(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any
) -> None:
    await _put_process(client, login)
    running = await _receive(client, login)
    two_steps = {
        "steps": [
            {"name": "Xử lý", "role": "specialist", "share": {"value": 0.75, "unit": "fraction"}},
            {"name": "Ký", "role": "leader", "share": {"value": 0.25, "unit": "fraction"}},
        ]
    }
    await _put_process(client, login, two_steps)
    officer = await login("officer")
    old = await client.get(f"{API}/{running['code']}/steps", headers=officer)
    assert [s["name"] for s in old.json()] == [s["name"] for s in THREE_STEPS["steps"]]
    new = await _receive(client, login)
    assert new["current_step"]["name"] == "Xử lý"
    fresh = await client.get(f"{API}/{new['code']}/steps", headers=officer)
    assert [(s["name"], s["status"]) for s in fresh.json()] == [
        ("Xử lý", "active"),
        ("Ký", "pending"),
    ]


async def test_parallel_consultation_and_ending_early(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any, session: AsyncSession
) -> None:
    parallel = {
        "steps": [
            {
                "name": "Tiếp nhận",
                "role": "officer",
                "share": {"value": 4, "unit": "working_hours"},
            },
            {
                "name": "Ý kiến xã Một",
                "role": "specialist",
                "parallel_group": "lay-y-kien",
                "share": {"value": 2, "unit": "working_days"},
            },
            {
                "name": "Ý kiến xã Hai",
                "role": "specialist",
                "agency_code": OTHER_AGENCY,
                "parallel_group": "lay-y-kien",
                "share": {"value": 1, "unit": "working_days"},
            },
            {"name": "Ký", "role": "leader", "share": {"value": 4, "unit": "working_hours"}},
        ]
    }
    await _put_process(client, login, parallel)
    code = (await _receive(client, login))["code"]
    assert (await _complete(client, login, "officer", code, 1)).status_code == 200
    steps = (await client.get(f"{API}/{code}/steps", headers=await login("officer"))).json()
    assert [s["status"] for s in steps] == ["completed", "active", "active", "pending"]
    # Both consulted agencies hold the dossier at once; one answer does not end the stage.
    assert (await _complete(client, login, "specialist2", code, 3)).status_code == 200
    after_one = (await client.get(f"{API}/{code}", headers=await login("specialist"))).json()
    assert after_one["current_step"]["n"] == 2
    assert (
        await client.get(f"{API}/{code}", headers=await login("specialist2"))
    ).status_code == 404
    assert (await _complete(client, login, "specialist", code, 2)).status_code == 200
    # Withdrawn before the last step: what is left is cancelled, nobody holds it any more.
    withdrawn = await client.post(
        f"{API}/{code}/withdraw", headers=await login("officer"), json={"reason": "Rút hồ sơ"}
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["current_step"] is None
    steps = (await client.get(f"{API}/{code}/steps", headers=await login("officer"))).json()
    assert [s["status"] for s in steps] == ["completed", "completed", "completed", "cancelled"]
    assert (await _complete(client, login, "leader", code, 4)).status_code == 409

    # Found by probing: while the other agency's step is open, our agency could resolve and
    # return the dossier, which completed that step in our officer's name.
    second = (await _receive(client, login))["code"]
    assert (await _complete(client, login, "officer", second, 1)).status_code == 200
    assigned = await client.post(f"{API}/{second}/assign", headers=await login("officer"), json={})
    assert assigned.status_code == 200, assigned.text
    ended = await client.post(
        f"{API}/{second}/resolve",
        headers=await login("specialist"),
        json={"outcome": "approved", "result_summary": "x"},
    )
    assert ended.status_code == 409 and OTHER_AGENCY in ended.json()["detail"]


async def test_late_steps_are_reported_once(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any, session: AsyncSession, clock: Clock
) -> None:
    await _put_process(client, login)
    clock(vn(2026, 3, 2, 8, 0))
    code = (await _receive(client, login))["code"]
    assert await report_late_steps(session, vn(2026, 3, 2, 11, 0), 100) == 0  # due at 13:30
    assert await report_late_steps(session, vn(2026, 3, 3, 9, 0), 100) == 1
    assert await report_late_steps(session, vn(2026, 3, 4, 9, 0), 100) == 0
    events = list(
        await session.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == "dossier.step_overdue")
        )
    )
    assert len(events) == 1 and events[0].subject == code
    assert events[0].payload["step"]["n"] == 1 and events[0].payload["step"]["is_overdue"]
    step = await session.scalar(select(DossierStep).where(DossierStep.n == 1))
    assert step is not None and step.overdue_at is not None
    clock(vn(2026, 3, 3, 9, 0))
    items = await client.get("/api/v1/work-items?overdue=true", headers=await login("officer"))
    assert [i["dossier_code"] for i in items.json()["items"]] == [code]


async def test_dossiers_without_a_process_work_as_before(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any
) -> None:
    created = await _receive(client, login)
    assert created["current_step"] is None
    officer = await login("officer")
    assert (await client.get(f"{API}/{created['code']}/steps", headers=officer)).json() == []
    assert (await _complete(client, login, "officer", created["code"], 1)).status_code == 409
    assigned = await client.post(f"{API}/{created['code']}/assign", headers=officer, json={})
    assert assigned.status_code == 200 and assigned.json()["status"] == "in_progress"
    pdf = await client.get(f"{API}/{created['code']}/control-sheet.pdf", headers=officer)
    text = _pdf_text(pdf.content)
    assert "PHIẾU KIỂM SOÁT" in text and "Chuyển xử lý" in text
    # A Vietnamese form: no English action or state codes (found by probing).
    assert "Đã tiếp nhận → Đang xử lý" in " ".join(text.split())
    assert "assign" not in text and "in_progress" not in text


async def test_a_supplement_restarts_the_steps_clock(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any, clock: Clock
) -> None:
    await _put_process(client, login)
    officer = await login("officer")
    clock(vn(2026, 3, 2, 8, 0))
    code = (await _receive(client, login))["code"]
    clock(vn(2026, 3, 2, 9, 0))
    asked = await client.post(
        f"{API}/{code}/request-supplement",
        headers=officer,
        json={"reason": "Thiếu giấy tờ", "missing_documents": ["CCCD"]},
    )
    assert asked.status_code == 200, asked.text
    # While the applicant completes the file, the step cannot be completed.
    assert (await _complete(client, login, "officer", code, 1)).status_code == 409
    clock(vn(2026, 3, 4, 14, 0))
    back = await client.post(f"{API}/{code}/supplement-received", headers=officer)
    assert back.status_code == 200, back.text
    # Clock `restart` (MARITAL): the step gets its 4 working hours again from 14:00.
    assert back.json()["current_step"]["due_at"] == "2026-03-05T08:30:00+07:00"  # 3 h + 1 h
    assert back.json()["current_step"]["started_at"] == "2026-03-02T08:00:00+07:00"


WITH_RETURN_STEP: dict[str, Any] = {
    "steps": [
        {"name": "Tiếp nhận", "role": "officer", "share": {"value": 4, "unit": "working_hours"}},
        {"name": "Thẩm định", "role": "specialist", "share": {"value": 2, "unit": "working_days"}},
        {"name": "Trả kết quả", "role": "officer", "share": {"value": 4, "unit": "working_hours"}},
    ]
}


async def test_the_return_step_follows_the_resolution(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any
) -> None:
    await _put_process(client, login, WITH_RETURN_STEP)
    officer = await login("officer")
    first = (await _receive(client, login))["code"]
    second = (await _receive(client, login))["code"]
    for code in (first, second):
        assert (await client.post(f"{API}/{code}/assign", headers=officer, json={})).is_success
        assert (await _complete(client, login, "officer", code, 1)).status_code == 200
        assert (await _complete(client, login, "specialist", code, 2)).status_code == 200
        resolved = await client.post(
            f"{API}/{code}/resolve",
            headers=await login("specialist"),
            json={"outcome": "approved", "result_summary": "Đã cấp", "electronic_result": True},
        )
        assert resolved.status_code == 200, resolved.text
    # Completed explicitly once the result is ready…
    assert (await _complete(client, login, "officer", first, 3)).status_code == 200
    # …or by handing the result over: `return` completes the step in progress.
    returned = await client.post(
        f"{API}/{second}/return", headers=officer, json={"method": "counter"}
    )
    assert returned.status_code == 200 and returned.json()["current_step"] is None
    steps = (await client.get(f"{API}/{second}/steps", headers=officer)).json()
    assert [(s["status"], s["result"] is not None) for s in steps] == [("completed", True)] * 3
    assert steps[2]["received_by"] == "officer"
    # Its control-sheet row too, before the return's own, as for a step completed alone.
    history = (await client.get(f"{API}/{second}/history", headers=officer)).json()
    rows = [(h["action"], h["from_status"], h["to_status"]) for h in history[-2:]]
    assert rows == [("step-complete", "resolved", "resolved"), ("return", "resolved", "returned")]
    assert history[-2]["step"]["n"] == 3 and history[-2]["step"]["received_by"] == "officer"
    assert [h["step"]["n"] for h in history if h["action"] == "step-complete"] == [1, 2, 3]


async def test_a_consulted_agency_only_completes_its_step(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any
) -> None:
    await _put_process(client, login)
    code = (await _receive(client, login))["code"]
    assert (await _complete(client, login, "officer", code, 1)).status_code == 200
    # OTHER_AGENCY holds step 2: it may not take the dossier over or decide it.
    taken = await client.post(
        f"{API}/{code}/assign", headers=await login("officer2"), json={"agency_code": OTHER_AGENCY}
    )
    assert taken.status_code == 403 and "complete your step" in taken.json()["detail"]
    decided = await client.post(
        f"{API}/{code}/resolve",
        headers=await login("specialist2"),
        json={"outcome": "approved", "result_summary": "x", "electronic_result": False},
    )
    assert decided.status_code == 403
    # The receiving agency still records the applicant's withdrawal.
    withdrawn = await client.post(
        f"{API}/{code}/withdraw", headers=await login("officer"), json={"reason": "Rút hồ sơ"}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert (
        await client.get(f"{API}/{code}", headers=await login("specialist2"))
    ).status_code == 404


async def test_a_time_limit_change_must_keep_the_process_whole(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any
) -> None:
    await _put_process(client, login)
    admin = await login("admin")
    url = f"/api/v1/procedures/{MARITAL}"
    for limit in ({"value": 5, "unit": "working_days"}, {"value": 3, "unit": "calendar_days"}):
        resp = await client.patch(url, headers=admin, json={"time_limit": limit})
        assert resp.status_code == 422 and "no longer fit" in resp.json()["detail"], resp.text
    assert (await client.get(url, headers=admin)).json()["time_limit"] == {
        "value": 3,
        "unit": "working_days",
    }
    assert (await client.delete(PROCESS, headers=admin)).status_code == 204
    changed = await client.patch(
        url, headers=admin, json={"time_limit": {"value": 5, "unit": "working_days"}}
    )
    assert changed.status_code == 200, changed.text


async def test_no_late_step_report_while_the_applicant_completes_the_file(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any, session: AsyncSession, clock: Clock
) -> None:
    await _put_process(client, login)
    officer = await login("officer")
    clock(vn(2026, 3, 2, 8, 0))  # step 1 due at 13:30
    code = (await _receive(client, login))["code"]
    clock(vn(2026, 3, 2, 9, 0))
    asked = await client.post(
        f"{API}/{code}/request-supplement",
        headers=officer,
        json={"reason": "Thiếu giấy tờ", "missing_documents": ["CCCD"]},
    )
    assert asked.status_code == 200
    assert await report_late_steps(session, vn(2026, 3, 3, 9, 0), 100) == 0
    # Nor is it shown late in the work list meanwhile.
    clock(vn(2026, 3, 3, 9, 0))
    waiting = (await client.get("/api/v1/work-items", headers=officer)).json()["items"]
    assert [(i["dossier_code"], i["is_overdue"]) for i in waiting] == [(code, False)]
    late = await client.get("/api/v1/work-items?overdue=true", headers=officer)
    assert late.json()["items"] == []
    clock(vn(2026, 3, 4, 14, 0))
    assert (await client.post(f"{API}/{code}/supplement-received", headers=officer)).is_success
    # The new deadline (05/03 08:30) passes: that is reported, once.
    assert await report_late_steps(session, vn(2026, 3, 5, 9, 0), 100) == 1
    assert await report_late_steps(session, vn(2026, 3, 5, 10, 0), 100) == 0


async def test_my_work_filters_by_assignee(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any
) -> None:
    await _put_process(client, login, WITH_RETURN_STEP)
    officer = await login("officer")
    mine = (await _receive(client, login))["code"]
    (await _receive(client, login))["code"]
    assigned = await client.post(
        f"{API}/{mine}/assign", headers=officer, json={"assignee_username": "officer"}
    )
    assert assigned.status_code == 200, assigned.text
    everyone = await client.get("/api/v1/work-items", headers=officer)
    assert len(everyone.json()["items"]) == 2
    only_mine = await client.get("/api/v1/work-items?mine=true", headers=officer)
    assert [i["dossier_code"] for i in only_mine.json()["items"]] == [mine]
