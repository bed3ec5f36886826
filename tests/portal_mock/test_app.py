from __future__ import annotations

import httpx

from services.portal_mock.main import create_portal_app


async def test_portal_mock_starts_and_serves_openapi() -> None:
    transport = httpx.ASGITransport(app=create_portal_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        doc = (await client.get("/openapi.json")).json()
        assert doc["info"]["title"].startswith("Mock")
