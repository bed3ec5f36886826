"""The background worker: ``arq services.worker.main.WorkerSettings``.

Redis only rings the bell: every job reads its work from PostgreSQL (outbox rows), so a wiped
Redis loses nothing, and every job is idempotent because arq may deliver one twice.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from arq.connections import RedisSettings

from services.core.logging import configure_logging
from services.core.settings import get_settings

logger = logging.getLogger("motcua.worker")


async def startup(ctx: dict[str, Any]) -> None:
    configure_logging(get_settings().log_level)
    logger.info("worker started")


async def shutdown(ctx: dict[str, Any]) -> None:
    from services.core.db import get_engine

    await get_engine().dispose()


async def ping(ctx: dict[str, Any]) -> str:
    """Lets an operator check the round trip: enqueue ``ping`` and read its result."""
    return "pong"


class WorkerSettings:
    redis_settings = RedisSettings.from_dsn(get_settings().redis_url)
    timezone = ZoneInfo("Asia/Ho_Chi_Minh")
    functions: ClassVar[list[Any]] = [ping]
    cron_jobs: ClassVar[list[Any]] = []
    on_startup = startup
    on_shutdown = shutdown
    health_check_interval = 30
    health_check_key = "motcua:worker:health-check"
    # A job that outlives this is cancelled and retried; the outbox keeps its work.
    job_timeout = 300
    max_tries = 5
