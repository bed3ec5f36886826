"""The reference cache: reused within its lifetime, cleared at once by a change in-process."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from services.core.settings import get_settings
from tests.conftest import AGENCY, LoginFn


@pytest.fixture
def caching() -> Iterator[None]:
    from services.core.cache import clear_all

    settings = get_settings()
    settings.reference_cache_seconds = 60
    clear_all()
    yield
    settings.reference_cache_seconds = 0
    clear_all()


async def test_revoked_key_stops_at_once_even_when_cached(
    client: httpx.AsyncClient, login: LoginFn, caching: None
) -> None:
    admin = await login("admin")
    created = await client.post(
        "/api/v1/api-keys",
        headers=admin,
        json={"name": "k", "agency_code": AGENCY, "scopes": ["dossiers:read"]},
    )
    key = {"X-API-Key": created.json()["key"]}
    assert (await client.get("/api/v1/auth/me", headers=key)).status_code == 200
    await client.delete(f"/api/v1/api-keys/{created.json()['id']}", headers=admin)
    assert (await client.get("/api/v1/auth/me", headers=key)).status_code == 401


async def test_calendar_edit_reaches_due_dates_at_once_even_when_cached(
    client: httpx.AsyncClient, login: LoginFn, caching: None
) -> None:
    admin = await login("admin")
    query = {"received_at": "2026-03-02T09:00:00+07:00", "value": "1", "unit": "working_days"}
    first = await client.get("/api/v1/calendar/due-date", params=query, headers=admin)
    assert first.json()["due_at"] == "2026-03-03T09:00:00+07:00"
    await client.put(
        "/api/v1/calendar/days/2026-03-03", headers=admin, json={"kind": "day_off", "name": "Nghỉ"}
    )
    second = await client.get("/api/v1/calendar/due-date", params=query, headers=admin)
    assert second.json()["due_at"] == "2026-03-04T09:00:00+07:00"
