"""Every public endpoint has a per-address rate limit (429 problem+json with Retry-After)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.core.settings import get_settings
from tests.security.routes import route_table

# Public, yet limited otherwise: probes are for the orchestrator; the login is throttled per
# account and address inside its handler (tests/identity); the portal's events are signed by
# the portal, a single sender whose retries must not be refused.
NOT_PER_ADDRESS = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/inbound/portal"),
}


def test_every_public_route_is_rate_limited() -> None:
    public = [r for r in route_table() if r.public]
    assert len(public) > len(NOT_PER_ADDRESS)  # the table is not empty by mistake
    unlimited = [
        r.id
        for r in public
        if (r.method, r.path) not in NOT_PER_ADDRESS and not r.rate_limit_buckets
    ]
    assert unlimited == [], f"public routes without a per-address rate limit: {unlimited}"


async def test_catalogue_answers_429_past_its_budget(
    client: httpx.AsyncClient, procedures: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "public_catalogue_rate_limit_per_minute", 3)
    statuses = [(await client.get("/api/v1/public/procedures")).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    # A conditional request counts too, and the detail route shares the budget.
    blocked = await client.get("/api/v1/public/procedures/1.004873")
    assert blocked.status_code == 429
    assert blocked.headers["content-type"] == "application/problem+json"
    assert int(blocked.headers["Retry-After"]) > 0
