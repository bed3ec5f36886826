"""Every public endpoint has a per-address rate limit (429 problem+json with Retry-After)."""

from __future__ import annotations

import asyncio
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
    # The detail route shares the budget, and a conditional request counts too.
    etag = (await client.get("/api/v1/public/procedures/1.004873")).headers.get("etag", '"x"')
    assert (await client.get("/api/v1/public/procedures/1.004873")).status_code == 429
    blocked = await client.get(
        "/api/v1/public/procedures/1.004873", headers={"If-None-Match": etag}
    )
    assert blocked.status_code == 429
    assert blocked.headers["content-type"] == "application/problem+json"
    assert int(blocked.headers["Retry-After"]) > 0


async def test_the_limiter_survives_a_script_flush_and_fails_open(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from redis.asyncio import Redis

    from services.core import redis as core_redis
    from services.core.errors import TooManyRequests

    await core_redis.rate_limit("probe", 2, 60)
    # Redis restarted without its scripts: EVALSHA answers NOSCRIPT, the script is loaded again.
    await core_redis.get_redis().script_flush()
    await core_redis.rate_limit("probe", 2, 60)
    with pytest.raises(TooManyRequests):
        await core_redis.rate_limit("probe", 2, 60)
    # Redis unreachable: the request goes through (and the outage is logged), no error.
    down = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=1)
    monkeypatch.setattr(core_redis, "get_redis", lambda: down)
    for _ in range(5):
        await core_redis.rate_limit("probe", 2, 60)
    assert "rate limit skipped: redis unavailable" in caplog.text
    await down.aclose()


async def test_shared_counts_are_exact_in_one_process_and_reach_redis_in_batches() -> None:
    from services.core import redis as core_redis
    from services.core.errors import TooManyRequests

    counts = core_redis.SharedCounts(flush_seconds=0.05)
    for _ in range(3):
        counts.hit("probe:a", 3, 60)
    with pytest.raises(TooManyRequests) as refused:
        counts.hit("probe:a", 3, 60)
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 60
    redis = core_redis.get_redis()
    assert await redis.get("motcua:rl:probe:a") is None  # nothing sent yet: no round trip
    await asyncio.sleep(0.2)  # the timer flushes on its own
    assert int(await redis.get("motcua:rl:probe:a")) == 3  # the refused hit is not counted
    assert 0 < await redis.pttl("motcua:rl:probe:a") <= 60_000


async def test_retry_after_never_exceeds_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.core import redis as core_redis
    from services.core.errors import TooManyRequests

    # At this clock reading ``now + 60 - now`` is 60.00000000000x: Retry-After was 61.
    assert 1000.1507 + 60 - 1000.1507 > 60
    monkeypatch.setattr(core_redis.time, "monotonic", lambda: 1000.1507)
    counts = core_redis.SharedCounts(flush_seconds=60)
    counts.hit("probe:r", 1, 60)
    with pytest.raises(TooManyRequests) as refused:
        counts.hit("probe:r", 1, 60)
    assert refused.value.headers["Retry-After"] == "60"
    counts.reset()


async def test_shared_counts_see_other_processes_after_a_flush() -> None:
    from services.core import redis as core_redis
    from services.core.errors import TooManyRequests

    first, second = core_redis.SharedCounts(60), core_redis.SharedCounts(60)
    first.hit("probe:b", 3, 60)
    first.hit("probe:b", 3, 60)
    await first.flush()
    second.hit("probe:b", 3, 60)  # the third of the budget, counted in the second process
    await second.flush()
    with pytest.raises(TooManyRequests):
        second.hit("probe:b", 3, 60)
    await first.flush()  # nothing pending: the first learns the total on its next flush
    first.hit("probe:b", 10, 60)  # a larger budget for the same key still has room
    await first.flush()
    assert int(await core_redis.get_redis().get("motcua:rl:probe:b")) == 4


async def test_shared_counts_count_per_process_without_redis(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from redis.asyncio import Redis

    from services.core import redis as core_redis
    from services.core.errors import TooManyRequests

    down = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=1)
    monkeypatch.setattr(core_redis, "get_redis", lambda: down)
    counts = core_redis.SharedCounts(60)
    for _ in range(3):
        counts.hit("probe:c", 3, 60)  # admitted: no error although Redis is unreachable
        await counts.flush()
    assert caplog.text.count("rate limits counted per process: redis unavailable") == 1
    with pytest.raises(TooManyRequests):  # the process still holds the address to its budget
        counts.hit("probe:c", 3, 60)
    await down.aclose()


async def test_a_flood_from_one_address_is_refused_without_redis(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.core import redis as core_redis

    monkeypatch.setattr(get_settings(), "public_rate_limit_per_minute", 2)
    calls: list[Any] = []
    real = core_redis._add_hits()

    async def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["keys"])
        return await real(*args, **kwargs)

    monkeypatch.setattr(core_redis, "_add_hits", lambda: counting)
    monkeypatch.setattr(core_redis.shared_counts, "flush_seconds", 60)
    statuses = [
        (await client.get("/api/v1/public/dossiers/X-1?token=ABCDEFGHJKLM")).status_code
        for _ in range(20)
    ]
    assert statuses[:2] == [404, 404] and set(statuses[2:]) == {429}
    assert calls == []  # twenty requests, no round trip to Redis
    await core_redis.shared_counts.flush()
    assert len(calls) == 1 and calls[0][0].startswith("motcua:rl:public:")
    assert int(await core_redis.get_redis().get(calls[0][0])) == 2
