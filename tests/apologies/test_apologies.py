from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pypdf
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.apologies.models import Apology
from services.apologies.service import scan_batch
from services.core.clock import LOCAL_ZONE, utcnow
from services.core.settings import get_settings
from services.dossiers.models import Dossier
from services.outbox.models import OutboxEvent
from tests.apologies.conftest import insert_dossiers
from tests.conftest import AGENCY, OTHER_AGENCY, LoginFn
from tests.dossiers.conftest import MARITAL


async def _scan(session: AsyncSession, now: datetime | None = None) -> tuple[int, int]:
    report = await scan_batch(session, now or utcnow(), get_settings())
    await session.commit()
    return report.drafted, report.marked_overdue


async def _events(session: AsyncSession, kind: str) -> list[OutboxEvent]:
    stmt = select(OutboxEvent).where(OutboxEvent.event_type == kind).order_by(OutboxEvent.id)
    return list(await session.scalars(stmt))


async def _seed_cases(session: AsyncSession) -> datetime:
    now = utcnow()
    common = {"agency": AGENCY, "procedure": MARITAL, "received_at": now - timedelta(days=10)}
    await insert_dossiers(
        session, prefix="LATE-", first=1, last=3, due_at=now - timedelta(hours=5), **common
    )
    await insert_dossiers(
        session, prefix="SOON-", first=1, last=2, due_at=now + timedelta(hours=20), **common
    )
    await insert_dossiers(
        session, prefix="FAR-", first=1, last=2, due_at=now + timedelta(days=5), **common
    )
    await insert_dossiers(
        session,
        prefix="DONE-",
        first=1,
        last=2,
        due_at=now - timedelta(hours=5),
        finished=True,
        **common,
    )
    await session.commit()
    return now


async def test_scan_drafts_the_eligible_and_marks_the_overdue(
    session: AsyncSession, procedures: Any
) -> None:
    now = await _seed_cases(session)
    assert await _scan(session, now) == (5, 3)
    codes = set(await session.scalars(select(Apology.dossier_code)))
    assert codes == {"LATE-0001", "LATE-0002", "LATE-0003", "SOON-0001", "SOON-0002"}
    assert [e.subject for e in await _events(session, "dossier.overdue")] == [
        "LATE-0001",
        "LATE-0002",
        "LATE-0003",
    ]
    assert len(await _events(session, "apology.drafted")) == 5
    marked = await session.scalars(
        select(Dossier.code).where(Dossier.overdue_marked_at.is_not(None))
    )
    assert set(marked) == {"LATE-0001", "LATE-0002", "LATE-0003"}
    # Nothing left to do: a second scan drafts nothing and writes no event.
    assert await _scan(session, now) == (0, 0)
    assert await session.scalar(select(func.count()).select_from(OutboxEvent)) == 8


async def test_scan_proposes_three_working_days_later(
    session: AsyncSession, procedures: Any
) -> None:
    due = datetime(2026, 3, 5, 9, 0, tzinfo=LOCAL_ZONE)  # Thursday
    await insert_dossiers(
        session,
        agency=AGENCY,
        procedure=MARITAL,
        prefix="X-",
        first=1,
        last=1,
        received_at=due - timedelta(days=3),
        due_at=due,
    )
    await _scan(session, due + timedelta(hours=1))
    apology = (await session.scalars(select(Apology))).one()
    assert apology.proposed_due_at == datetime(2026, 3, 10, 9, 0, tzinfo=LOCAL_ZONE)
    assert apology.status.value == "draft"
    assert "09 giờ 00, ngày 10/03/2026" in apology.body and "05/03/2026" in apology.body


async def test_approve_and_send_lifecycle(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession, procedures: Any
) -> None:
    await _seed_cases(session)
    await _scan(session)
    apology = (
        await session.scalars(select(Apology).where(Apology.dossier_code == "LATE-0001"))
    ).one()
    url = f"/api/v1/apologies/{apology.id}"
    leader, officer = await login("leader"), await login("officer")

    assert (await client.post(f"{url}/send", headers=officer)).status_code == 409  # a draft
    assert (await client.post(f"{url}/approve", headers=officer)).status_code == 403
    assert (await client.post(f"{url}/approve", headers=await login("leader2"))).status_code == 404
    assert (await client.get(url, headers=await login("viewer2"))).status_code == 404
    too_early = await client.post(
        f"{url}/approve", headers=leader, json={"proposed_due_at": "2020-01-01T09:00:00+07:00"}
    )
    assert too_early.status_code == 422 and "is not in the future" in too_early.text
    sunday_night = (datetime.now(LOCAL_ZONE) + timedelta(days=14)).replace(
        hour=3, minute=0, second=0, microsecond=0
    )
    sunday_night += timedelta(days=6 - sunday_night.weekday())
    closed = await client.post(
        f"{url}/approve", headers=leader, json={"proposed_due_at": sunday_night.isoformat()}
    )
    assert closed.status_code == 422 and "office hours" in closed.text

    new_due = (datetime.now(LOCAL_ZONE) + timedelta(days=7)).replace(
        hour=16, minute=0, second=0, microsecond=0
    )
    approved = await client.post(
        f"{url}/approve",
        headers=leader,
        json={
            "reason": "Phải xác minh tại địa phương khác",
            "proposed_due_at": new_due.isoformat(),
        },
    )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["status"] == "approved" and body["approved_by"] == "leader"
    assert "Lý do: Phải xác minh tại địa phương khác." in body["body"]
    assert f"16 giờ 00, ngày {new_due:%d/%m/%Y}" in body["body"]
    # Until it is sent, approving again keeps (or changes) the approved terms.
    again = await client.post(f"{url}/approve", headers=leader)
    assert again.status_code == 200 and again.json()["proposed_due_at"] == new_due.isoformat()

    sent = await client.post(f"{url}/send", headers=officer)
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "sent" and sent.json()["issued_late"] is True
    dossier = (await client.get("/api/v1/dossiers/LATE-0001", headers=officer)).json()
    assert dossier["due_at"] == new_due.isoformat()
    assert dossier["original_due_at"] == body["original_due_at"]
    assert dossier["rescheduled"] is True and dossier["is_overdue"] is False
    assert (await client.post(f"{url}/send", headers=officer)).status_code == 409
    assert (await client.post(f"{url}/approve", headers=leader)).status_code == 409

    event = (await _events(session, "apology.sent"))[0]
    assert event.payload["dossier_code"] == "LATE-0001"
    assert event.payload["new_due_at"] == new_due.isoformat()
    assert event.payload["applicant_name"] == "Nguyễn V. 1."
    assert event.payload["channels"]["sms"] is True
    assert "0912345689" not in str(event.payload) and event.payload["phone_hint"] == "0xxxxxxx89"
    rescheduled = (await _events(session, "dossier.rescheduled"))[0]
    assert rescheduled.payload["dossier"]["due_at"] == new_due.isoformat()
    assert rescheduled.payload["dossier"]["version"] == dossier["version"]
    history = (await client.get("/api/v1/dossiers/LATE-0001/history", headers=officer)).json()
    assert history[-1]["action"] == "apology-sent"
    # Rescheduled once: even late again, the scan never drafts a second apology.
    await _scan(session, utcnow() + timedelta(days=30))
    assert (
        await session.scalar(select(func.count()).where(Apology.dossier_code == "LATE-0001")) == 1
    )


async def test_a_due_date_moved_after_approval_is_never_shortened_by_the_send(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession, procedures: Any
) -> None:
    await _seed_cases(session)
    await _scan(session)
    apology = (
        await session.scalars(select(Apology).where(Apology.dossier_code == "LATE-0002"))
    ).one()
    url = f"/api/v1/apologies/{apology.id}"
    leader, admin = await login("leader"), await login("admin")
    assert (await client.post(f"{url}/approve", headers=leader)).status_code == 200
    # A supplement received meanwhile moved the promise past the approved date.
    later = apology.proposed_due_at + timedelta(days=10)
    await session.execute(update(Dossier).where(Dossier.code == "LATE-0002").values(due_at=later))
    refused = await client.post(f"{url}/send", headers=admin)
    assert refused.status_code == 409 and "approve the apology again" in refused.json()["detail"]
    stale = await client.post(f"{url}/approve", headers=leader)
    assert stale.status_code == 422 and "must be after the current due date" in stale.text
    new_due = (later + timedelta(days=3)).astimezone(LOCAL_ZONE)
    approved = await client.post(
        f"{url}/approve", headers=leader, json={"proposed_due_at": new_due.isoformat()}
    )
    assert approved.status_code == 200, approved.text
    # An admin may send it (api.md: admin may do everything).
    sent = await client.post(f"{url}/send", headers=admin)
    assert sent.status_code == 200, sent.text
    dossier = (await client.get("/api/v1/dossiers/LATE-0002", headers=admin)).json()
    assert dossier["due_at"] == new_due.isoformat()


async def test_list_filter_and_dossier_lookup(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession, procedures: Any
) -> None:
    await _seed_cases(session)
    await _scan(session)
    officer = await login("officer")
    drafts = await client.get("/api/v1/apologies?status=draft&limit=2", headers=officer)
    assert len(drafts.json()["items"]) == 2 and drafts.json()["next_cursor"]
    rest = await client.get(
        f"/api/v1/apologies?status=draft&cursor={drafts.json()['next_cursor']}", headers=officer
    )
    assert len(rest.json()["items"]) == 3
    assert (await client.get("/api/v1/apologies?status=sent", headers=officer)).json()[
        "items"
    ] == []
    assert (await client.get("/api/v1/apologies", headers=await login("officer2"))).json()[
        "items"
    ] == []
    one = await client.get("/api/v1/dossiers/SOON-0001/apology", headers=officer)
    assert one.status_code == 200 and one.json()["dossier_code"] == "SOON-0001"
    assert (
        await client.get("/api/v1/dossiers/FAR-0001/apology", headers=officer)
    ).status_code == 404


async def test_document_pdf(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession, procedures: Any
) -> None:
    await _seed_cases(session)
    await _scan(session)
    apology = (await session.scalars(select(Apology).limit(1))).one()
    resp = await client.get(
        f"/api/v1/apologies/{apology.id}/document.pdf", headers=await login("officer")
    )
    assert resp.status_code == 200 and resp.content.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(resp.content)).pages)
    text = re.sub(r"\s+", " ", text)
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "UBND XÃ MỘT",
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "V/v xin lỗi và hẹn lại ngày trả kết quả",
        apology.dossier_code,
        "CHỦ TỊCH",
        "Trần Văn Bình",
    ):
        assert expected in text, expected


async def test_other_agency_cannot_see(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession, procedures: Any
) -> None:
    await _seed_cases(session)
    await _scan(session)
    apology = (await session.scalars(select(Apology).limit(1))).one()
    other = await login("leader2")
    for path in ("", "/document.pdf"):
        assert (
            await client.get(f"/api/v1/apologies/{apology.id}{path}", headers=other)
        ).status_code == 404
    assert OTHER_AGENCY != AGENCY
