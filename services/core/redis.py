"""The Redis connection (arq's queue, rate limits) — a doorbell, never the ledger."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import lru_cache

from fastapi import Request
from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from services.core.errors import TooManyRequests
from services.core.settings import Settings, get_settings

logger = logging.getLogger("motcua.redis")


@lru_cache
def get_redis() -> Redis:
    client: Redis = Redis.from_url(
        get_settings().redis_url, socket_timeout=2, socket_connect_timeout=2
    )
    return client


# One command per hit (EVALSHA), where a MULTI pipeline took five: the public routes pay it on
# every request. A key left without expiry (a crash between the two calls) gets one again.
_COUNT_HIT = """
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""


@lru_cache
def _count_hit() -> AsyncScript:
    # Bound to whichever client is current at each call (``client=``): only its SHA is kept.
    return get_redis().register_script(_COUNT_HIT)


async def rate_limit(key: str, limit: int, window_seconds: int) -> None:
    """Fixed-window limit; raises 429 with ``Retry-After``. Fails open when Redis is down,
    because refusing every citizen for a cache outage would be worse than a burst."""
    try:
        count, ttl = await _count_hit()(
            keys=[f"motcua:rl:{key}"], args=[window_seconds], client=get_redis()
        )
    except (RedisError, OSError) as exc:
        logger.warning("rate limit skipped: redis unavailable (%s)", type(exc).__name__)
        return
    if int(count) > limit:
        retry_after = max(int(ttl), 1)
        raise TooManyRequests(
            f"Too many requests; retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


async def reset_limit(key: str) -> None:
    try:
        await get_redis().delete(f"motcua:rl:{key}")
    except (RedisError, OSError):
        return


AddressLimit = Callable[[Request], Awaitable[None]]


def per_address(
    bucket: str, budget: Callable[[Settings], int], window_seconds: int
) -> AddressLimit:
    """A dependency that allows ``budget(settings)`` requests per client address and window.

    The returned function carries ``rate_limit_bucket``, by which the test of the route table
    checks that no public route goes without one.
    """

    async def limit(request: Request) -> None:
        client = request.client.host if request.client else "-"
        await rate_limit(f"{bucket}:{client}", budget(get_settings()), window_seconds)

    limit.rate_limit_bucket = bucket  # type: ignore[attr-defined]
    return limit


# Citizens' lookups, ratings and the list of published answers.
limit_public = per_address("public", lambda s: s.public_rate_limit_per_minute, 60)
# The catalogue is read by kiosks and the commune's portal server from one address each.
limit_catalogue = per_address("catalogue", lambda s: s.public_catalogue_rate_limit_per_minute, 60)
# Anonymous feedback (PAKN): enough for a family per hour, not for a flood.
limit_feedback_intake = per_address("feedback", lambda s: s.feedback_intake_per_hour, 3600)
