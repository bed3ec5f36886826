"""The background worker: ``arq services.worker.main.WorkerSettings``.

Redis only rings the bell: every job reads its work from PostgreSQL (outbox rows), so a wiped
Redis loses nothing, and every job is idempotent because arq may deliver one twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo

from arq import cron, func
from arq.connections import RedisSettings
from arq.worker import Worker
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, WatchError
from redis.exceptions import TimeoutError as RedisTimeoutError

from services.apologies.jobs import overdue_scan
from services.core.idempotency import idempotency_purge
from services.core.logging import configure_logging
from services.core.settings import get_settings
from services.portal.jobs import portal_summary, portal_sync
from services.webhooks.jobs import webhook_delivery

logger = logging.getLogger("motcua.worker")
T = TypeVar("T")


async def startup(ctx: dict[str, Any]) -> None:
    configure_logging(get_settings().log_level)
    logger.info("worker started")


async def shutdown(ctx: dict[str, Any]) -> None:
    from services.core.db import dispose_engines

    await dispose_engines()


async def ping(ctx: dict[str, Any]) -> str:
    """Lets an operator check the round trip: enqueue ``ping`` and read its result."""
    return "pong"


# `motcua run-job NAME` runs one pass of any of these, then exits.
JOBS = {
    "overdue-scan": overdue_scan,
    "portal-sync": portal_sync,
    "portal-summary": portal_summary,
    "webhook-delivery": webhook_delivery,
    "idempotency-purge": idempotency_purge,
}


def _every(minutes: int) -> set[int]:
    return set(range(0, 60, minutes))


class OutageRetry(Retry):
    """Retries until ``deadline_s`` after the first failure rather than a number of times:
    redis-py nests a connection's retries inside a command's, so a count multiplies."""

    def __init__(self, deadline_s: float) -> None:
        super().__init__(ExponentialBackoff(cap=2.0, base=0.05), retries=-1)
        self.deadline_s = deadline_s

    async def call_with_retry(
        self, do: Callable[[], Awaitable[T]], fail: Callable[[RedisError], Any]
    ) -> T:
        self._backoff.reset()  # type: ignore[no-untyped-call]
        started = time.monotonic()
        failures = 0
        while True:
            try:
                return await do()
            except self._supported_errors as error:
                failures += 1
                await fail(error)
                if time.monotonic() - started >= self.deadline_s:
                    raise
                await asyncio.sleep(self._backoff.compute(failures))


def redis_settings() -> RedisSettings:
    """arq's connection, retried through a Redis restart: each command, and opening a new
    connection (a refused connect is an ``OSError``), waits out an outage of about
    ``MOTCUA_WORKER_REDIS_OUTAGE_SECONDS`` (at most twice that, a command's wait and its
    reconnection's) instead of ending the worker. The work itself is in PostgreSQL; the drill
    ``redis-wipe`` checks both."""
    settings = RedisSettings.from_dsn(get_settings().redis_url)
    settings.retry_on_error = [RedisConnectionError, RedisTimeoutError, OSError]
    settings.retry = OutageRetry(get_settings().worker_redis_outage_seconds)
    return settings


class WorkerSettings:
    redis_settings = redis_settings()
    timezone = ZoneInfo("Asia/Ho_Chi_Minh")
    functions: ClassVar[list[Any]] = [
        ping,
        *JOBS.values(),
        # Rung by the doorbell under a fixed job id, which a kept result would block.
        func(portal_sync, name="portal_sync_now", keep_result=0),
        func(webhook_delivery, name="webhook_delivery_now", keep_result=0),
    ]
    # unique: with several workers, each tick of a cron job runs once.
    cron_jobs: ClassVar[list[Any]] = [
        cron(
            overdue_scan,
            minute=_every(get_settings().overdue_scan_interval_minutes),
            run_at_startup=True,
            unique=True,
        ),
        cron(portal_sync, second={0, 30}, unique=True),
        cron(portal_summary, minute={0}, unique=True),
        cron(webhook_delivery, second={0, 10, 20, 30, 40, 50}, unique=True),
        cron(idempotency_purge, hour={3}, minute={17}, unique=True),
    ]
    on_startup = startup
    on_shutdown = shutdown
    health_check_interval = 30
    health_check_key = "motcua:worker:health-check"
    # A job that outlives this is cancelled and retried; the outbox keeps its work.
    job_timeout = 300
    max_tries = 5


_arq_start_jobs = Worker.start_jobs


async def _start_jobs(self: Worker, job_ids: list[bytes]) -> None:
    """arq's ``start_jobs``, except that losing Redis while it claims a job does not end the
    worker.

    arq claims a job between ``WATCH`` and ``EXEC``; when the connection drops there, redis-py
    raises ``WatchError`` (a watch cannot be retried) outside the ``try`` arq has for a lost
    race, and arq 0.28's worker exited. The job was not claimed: it stays queued for the next
    poll, and its work is in PostgreSQL anyway. The drill ``redis-wipe`` caught this.
    """
    try:
        await _arq_start_jobs(self, job_ids)
    except WatchError:
        # Raised inside the claim, after arq counted the job and took a slot for it.
        self.job_counter -= 1
        self.sem.release()
        logger.warning("redis connection lost while claiming a job; it stays queued")


# The process is `arq services.worker.main.WorkerSettings` (api.md), and arq's command line
# always builds arq's own Worker: the method is replaced on it when arq imports this module.
# arq is pinned (==0.28.0), so the method replaced is the one read above.
Worker.start_jobs = _start_jobs  # type: ignore[method-assign]
