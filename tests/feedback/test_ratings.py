from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.outbox.models import OutboxEvent
from tests.conftest import LoginFn
from tests.dossiers.conftest import dossier_body


async def _returned_dossier(client: httpx.AsyncClient, login: LoginFn) -> tuple[str, str]:
    officer, specialist = await login("officer"), await login("specialist")
    created = (await client.post("/api/v1/dossiers", json=dossier_body(), headers=officer)).json()
    code, token = created["code"], created["lookup_token"]
    url = f"/api/v1/dossiers/{code}"
    assert (await client.post(f"{url}/assign", json={}, headers=officer)).status_code == 200
    rating = await client.post(
        f"/api/v1/public/dossiers/{code}/rating", json={"token": token, "rating": "satisfied"}
    )
    assert rating.status_code == 409  # not returned yet
    resolve = {"outcome": "approved", "result_summary": "Cấp giấy", "electronic_result": True}
    assert (
        await client.post(f"{url}/resolve", json=resolve, headers=specialist)
    ).status_code == 200
    resp = await client.post(f"{url}/return", json={"method": "counter"}, headers=officer)
    assert resp.status_code == 200, resp.text
    return code, token


async def test_a_returned_dossier_is_rated_once_with_its_token(
    client: httpx.AsyncClient, login: LoginFn, procedures: Any, session: AsyncSession
) -> None:
    code, token = await _returned_dossier(client, login)
    url = f"/api/v1/public/dossiers/{code}/rating"

    wrong = await client.post(url, json={"token": "AAAAAAAAAAAA", "rating": "satisfied"})
    unknown = await client.post(
        "/api/v1/public/dossiers/NOPE-260101-0001/rating",
        json={"token": token, "rating": "satisfied"},
    )
    assert wrong.status_code == unknown.status_code == 404
    assert (await client.post(url, json={"token": token, "rating": "great"})).status_code == 422

    resp = await client.post(
        url, json={"token": token.lower(), "rating": "very_satisfied", "comment": "Nhanh gọn"}
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["rating"] == "very_satisfied" and resp.json()["dossier_code"] == code
    again = await client.post(url, json={"token": token, "rating": "dissatisfied"})
    assert again.status_code == 409

    events = list(
        await session.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == "rating.received")
        )
    )
    assert len(events) == 1 and events[0].subject == code
    assert events[0].payload["rating"]["rating"] == "very_satisfied"
