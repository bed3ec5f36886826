from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.clock import LOCAL_ZONE
from services.core.settings import get_settings
from services.core.signatures import headers as sign_headers
from services.dossiers.models import Dossier
from services.portal.models import InboundEvent
from tests.conftest import AGENCY, LoginFn
from tests.dossiers.conftest import MARITAL, dossier_body

URL = "/api/v1/inbound/portal"


def signed(
    event: dict[str, Any], msg_id: str = "msg_1", ts: int | None = None, secret: str | None = None
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    key = secret or get_settings().portal_webhook_secret.get_secret_value()
    return body, {**sign_headers([key], msg_id, body, ts), "content-type": "application/json"}


def filing(ref: str = "DVC-1") -> dict[str, Any]:
    return {
        "type": "dossier.submitted",
        "timestamp": "2026-11-22T10:00:00+07:00",
        "data": {
            "procedure_code": MARITAL,
            "receiving_agency_code": AGENCY,
            "applicant": {"full_name": "Trần Thị Mai", "phone": "0987654321"},
            "summary": "Nộp trực tuyến",
            "submitted_at": "2026-11-22T09:59:00+07:00",
            "portal_ref": ref,
        },
    }


async def _count(session: AsyncSession) -> tuple[int, int]:
    return (
        await session.scalar(select(func.count()).select_from(Dossier)) or 0,
        await session.scalar(select(func.count()).select_from(InboundEvent)) or 0,
    )


async def test_online_filing_creates_submitted_dossier_once(
    client: httpx.AsyncClient, session: AsyncSession, procedures: Any
) -> None:
    body, head = signed(filing())
    first = await client.post(URL, content=body, headers=head)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "processed"
    code = first.json()["dossier_code"]
    dossier = (await session.scalars(select(Dossier).where(Dossier.code == code))).one()
    assert dossier.status.value == "submitted" and dossier.channel.value == "online"
    assert dossier.portal_ref == "DVC-1"
    # Filed at 09:59 on the 22nd, processed later: the filing time and the code's day are the
    # portal's, not the moment the event arrived.
    assert dossier.submitted_at == datetime(2026, 11, 22, 9, 59, tzinfo=LOCAL_ZONE)
    assert code.split("-")[1] == "261122"
    replay = await client.post(URL, content=body, headers=head)
    assert replay.status_code == 200 and replay.json() == {
        "status": "duplicate",
        "dossier_code": code,
    }
    # The same filing under a new webhook-id (the portal retried): still one dossier.
    body2, head2 = signed(filing(), msg_id="msg_2")
    again = await client.post(URL, content=body2, headers=head2)
    assert again.json()["dossier_code"] == code
    assert (await _count(session))[0] == 1


async def test_bad_signature_and_stale_timestamp_are_401(
    client: httpx.AsyncClient, session: AsyncSession, procedures: Any
) -> None:
    body, head = signed(filing())
    tampered = body.replace(b"Mai", b"Lan")
    assert (await client.post(URL, content=tampered, headers=head)).status_code == 401
    wrong_key = signed(filing(), secret="whsec_" + "QUJD" * 8)
    assert (await client.post(URL, content=wrong_key[0], headers=wrong_key[1])).status_code == 401
    stale = signed(filing(), ts=int(time.time()) - 600)
    assert (await client.post(URL, content=stale[0], headers=stale[1])).status_code == 401
    assert (await client.post(URL, content=body)).status_code == 401
    assert await _count(session) == (0, 0)


async def test_malformed_events_are_422_and_write_nothing(
    client: httpx.AsyncClient, session: AsyncSession, procedures: Any
) -> None:
    bad = [
        {"type": "dossier.exploded", "timestamp": "2026-11-22T10:00:00Z", "data": {}},
        {**filing(), "data": {**filing()["data"], "procedure_code": "nope"}},
        {**filing(), "data": {**filing()["data"], "receiving_agency_code": "NOPE.1"}},
        {
            "type": "payment.completed",
            "timestamp": "2026-11-22T10:00:00Z",
            "data": {
                "dossier_code": "NOPE-1",
                "amount_vnd": 1,
                "paid_at": "2026-11-22T10:00:00Z",
                "portal_ref": "P1",
            },
        },
        [1, 2, 3],
    ]
    for n, event in enumerate(bad):
        body = json.dumps(event).encode()
        head = {
            **sign_headers(
                [get_settings().portal_webhook_secret.get_secret_value()], f"msg_bad_{n}", body
            ),
            "content-type": "application/json",
        }
        resp = await client.post(URL, content=body, headers=head)
        assert resp.status_code == 422, (event, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
    not_json = b"{oops"
    head = sign_headers([get_settings().portal_webhook_secret.get_secret_value()], "m", not_json)
    assert (await client.post(URL, content=not_json, headers=head)).status_code == 422
    assert await _count(session) == (0, 0)


async def test_payment_completed_ends_the_wait(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any
) -> None:
    officer = await login("officer")
    created = await client.post("/api/v1/dossiers", headers=officer, json=dossier_body())
    code = created.json()["code"]
    await client.post(
        f"/api/v1/dossiers/{code}/request-payment", headers=officer, json={"amount_vnd": 30000}
    )
    event = {
        "type": "payment.completed",
        "timestamp": "2026-11-22T10:00:00Z",
        "data": {
            "dossier_code": code,
            "amount_vnd": 30000,
            "paid_at": "2026-11-22T10:00:00+07:00",
            "portal_ref": "PAY-1",
        },
    }
    body, head = signed(event, msg_id="msg_pay")
    resp = await client.post(URL, content=body, headers=head)
    assert resp.status_code == 200, resp.text
    dossier = (await client.get(f"/api/v1/dossiers/{code}", headers=officer)).json()
    assert dossier["status"] == "received"
    assert dossier["fee"]["paid_online"] is True and dossier["fee"]["amount_vnd"] == 30000
