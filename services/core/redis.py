"""The Redis connection (arq's queue, rate limits) — a doorbell, never the ledger."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

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


# Hits counted in this process since the last flush, added to Redis in one script per batch.
_ADD_HITS = """
local n = #KEYS
local out = {}
for i = 1, n do
    local count = redis.call('INCRBY', KEYS[i], ARGV[i])
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl < 0 then
        ttl = tonumber(ARGV[n + i]) * 1000
        redis.call('PEXPIRE', KEYS[i], ttl)
    end
    out[2 * i - 1] = count
    out[2 * i] = ttl
end
return out
"""


@lru_cache
def _add_hits() -> AsyncScript:
    return get_redis().register_script(_ADD_HITS)


class SharedCounts:
    """Fixed-window counts per key, kept in this process and added to Redis in batches.

    The public routes' budgets were one Redis round trip per request, more than the lookup's
    own query (docs/performance.md). Here a hit is counted in memory; every ``flush_seconds``
    the hits of all keys go to Redis in one script, which answers each key's count across
    all processes and the time left in its window. A key is refused once that count plus the
    hits not yet sent reach its budget; a refused hit is not counted.

    Within one process the budget is exact. Across processes a key may get through, before
    the next flush shows it, what the other processes admitted since their last flush: at
    most ``budget`` per process and window, in practice a few requests. Redis down: each
    process keeps its own counts (and the outage is logged once), so the budget then holds
    per process.
    """

    BATCH = 500

    def __init__(self, flush_seconds: float = 0.1) -> None:
        self.flush_seconds = flush_seconds
        self._pending: dict[str, int] = {}
        self._windows: dict[str, int] = {}
        # key -> (count in Redis at the last flush, monotonic end of that window)
        self._known: dict[str, tuple[int, float]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None
        self._flushing: set[asyncio.Task[None]] = set()
        self._outage = False

    def hit(self, key: str, limit: int, window_seconds: int) -> None:
        now = time.monotonic()
        count, ends = self._known.get(key, (0, 0.0))
        if now >= ends:
            count, ends = 0, now + window_seconds
        pending = self._pending.get(key, 0)
        if count + pending >= limit:
            # Capped: ``now + window - now`` may round to a hair above the window.
            retry_after = min(max(math.ceil(ends - now), 1), window_seconds)
            raise TooManyRequests(
                f"Too many requests; retry in {retry_after} s.",
                headers={"Retry-After": str(retry_after)},
            )
        self._pending[key] = pending + 1
        self._windows[key] = window_seconds
        loop = asyncio.get_running_loop()
        if self._timer is None or self._timer_loop is not loop:
            self._timer = loop.call_later(self.flush_seconds, self._start_flush)
            self._timer_loop = loop

    def _start_flush(self) -> None:
        self._timer = None
        task = asyncio.get_running_loop().create_task(self.flush())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def flush(self) -> None:
        batch, self._pending = self._pending, {}
        windows, self._windows = self._windows, {}
        keys = list(batch)
        for start in range(0, len(keys), self.BATCH):
            chunk = keys[start : start + self.BATCH]
            sent = time.monotonic()
            try:
                answer = await _add_hits()(
                    keys=[f"motcua:rl:{key}" for key in chunk],
                    args=[*(batch[k] for k in chunk), *(windows[k] for k in chunk)],
                    client=get_redis(),
                )
            except (RedisError, OSError) as exc:
                if not self._outage:  # once per outage, not every flush
                    logger.warning(
                        "rate limits counted per process: redis unavailable (%s)",
                        type(exc).__name__,
                    )
                self._outage = True
                self._keep_locally(keys[start:], batch, windows, sent)
                return
            self._outage = False
            for i, key in enumerate(chunk):
                self._known[key] = (int(answer[2 * i]), sent + int(answer[2 * i + 1]) / 1000)
        if len(self._known) > 10 * self.BATCH:
            now = time.monotonic()
            self._known = {k: v for k, v in self._known.items() if v[1] > now}

    def _keep_locally(
        self, keys: list[str], batch: dict[str, int], windows: dict[str, int], now: float
    ) -> None:
        """Without Redis, each process still holds each address to the budget on its own."""
        for key in keys:
            count, ends = self._known.get(key, (0, 0.0))
            if now >= ends:
                count, ends = 0, now + windows[key]
            self._known[key] = (count + batch[key], ends)

    def reset(self) -> None:
        """Forgets every count of this process (tests, after Redis is wiped)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._pending.clear()
        self._windows.clear()
        self._known.clear()


shared_counts = SharedCounts()


E = TypeVar("E", bound=Callable[..., Any])


class AddressLimit:
    """A dependency that allows ``budget(settings)`` requests per client address and window.

    Counted by ``shared_counts`` (no Redis round trip per request), or, ``exact``, one Redis
    round trip per request that no process can overrun: for the small budgets of writes.
    It carries ``rate_limit_bucket``, by which the test of the route table checks that no
    public route goes without one.
    """

    def __init__(
        self,
        bucket: str,
        budget: Callable[[Settings], int],
        window_seconds: int,
        *,
        exact: bool = False,
    ) -> None:
        self.rate_limit_bucket = bucket
        self.budget = budget
        self.window_seconds = window_seconds
        self.exact = exact

    async def __call__(self, request: Request) -> None:
        if self.exact:
            key = f"{self.rate_limit_bucket}:{_address(request)}"
            await rate_limit(key, self.budget(get_settings()), self.window_seconds)
        else:
            self.hit(request)

    def hit(self, request: Request) -> None:
        """The batched count, called by an endpoint itself (see ``checked_inside``)."""
        key = f"{self.rate_limit_bucket}:{_address(request)}"
        shared_counts.hit(key, self.budget(get_settings()), self.window_seconds)

    def checked_inside(self, endpoint: E) -> E:
        """Marks an endpoint that calls ``hit`` first thing, instead of declaring the limit
        as a dependency: on the busiest route, solving dependencies cost more than the
        check (docs/performance.md)."""
        endpoint.rate_limit_bucket = self.rate_limit_bucket  # type: ignore[attr-defined]
        return endpoint


def _address(request: Request) -> str:
    return request.client.host if request.client else "-"


# Citizens' lookups, ratings and the list of published answers.
limit_public = AddressLimit("public", lambda s: s.public_rate_limit_per_minute, 60)
# The catalogue is read by kiosks and the commune's portal server from one address each.
limit_catalogue = AddressLimit("catalogue", lambda s: s.public_catalogue_rate_limit_per_minute, 60)
# Anonymous feedback (PAKN): enough for a family per hour, not for a flood.
limit_feedback_intake = AddressLimit(
    "feedback", lambda s: s.feedback_intake_per_hour, 3600, exact=True
)
