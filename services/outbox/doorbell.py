"""The doorbell: after a commit that wrote outbox rows, ask the worker to deliver them now.

PostgreSQL is the ledger; this only shortens the wait for the worker's next tick (portal sync
every 30 s, webhooks every 10 s) to about a second. A ring that is lost — Redis down, the
process killed — costs nothing but that wait, because the cron ticks still find every row.

Rings are cheap on the request path (an ``asyncio.Event``); one background task per event loop
coalesces them and enqueues the delivery jobs at most every ``MOTCUA_DOORBELL_INTERVAL_MS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from typing import Any

from arq import ArqRedis, create_pool
from arq.connections import RedisSettings
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from services.core.settings import get_settings
from services.outbox.models import OutboxEvent

logger = logging.getLogger("motcua.doorbell")

# The worker's jobs that read the outbox (services.worker.main.JOBS), by their arq names.
DELIVERY_JOBS = ("portal_sync", "webhook_delivery")
_WRITTEN = "motcua.outbox_written"


def mark_written(session: Session) -> None:
    """For outbox rows written by plain SQL, which the flush hook below does not see."""
    session.info[_WRITTEN] = True


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context: Any) -> None:
    if any(isinstance(obj, OutboxEvent) for obj in session.new):
        session.info[_WRITTEN] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_WRITTEN, False):
        ring()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_WRITTEN, None)


class _Bell:
    def __init__(self) -> None:
        self.pending = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.rings = 0  # enqueue rounds done, for tests and logs


_bells: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Bell] = weakref.WeakKeyDictionary()


def ring() -> None:
    """Schedules a delivery round; returns at once, never raises."""
    if not get_settings().doorbell:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    bell = _bells.get(loop)
    if bell is None:
        bell = _bells[loop] = _Bell()
    bell.pending.set()
    if bell.task is None or bell.task.done():
        bell.task = loop.create_task(_deliver_rounds(bell), name="motcua-doorbell")


async def _deliver_rounds(bell: _Bell) -> None:
    pool: ArqRedis | None = None
    interval = get_settings().doorbell_interval_ms / 1000
    try:
        while True:
            await bell.pending.wait()
            bell.pending.clear()
            try:
                if pool is None:
                    settings = RedisSettings.from_dsn(get_settings().redis_url)
                    settings.conn_retries = 0
                    pool = await create_pool(settings)
                for job in DELIVERY_JOBS:
                    await pool.enqueue_job(job)
                bell.rings += 1
            except (RedisError, OSError) as exc:
                logger.warning("doorbell not rung: redis unavailable (%s)", type(exc).__name__)
                if pool is not None:
                    await pool.aclose()
                pool = None
            await asyncio.sleep(interval)
    finally:
        if pool is not None:
            await pool.aclose()


async def close() -> None:
    """Stops this loop's ringer (application shutdown, tests)."""
    bell = _bells.pop(asyncio.get_running_loop(), None)
    if bell is not None and bell.task is not None:
        bell.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bell.task


def rounds() -> int:
    """Delivery rounds this loop's ringer has enqueued."""
    bell = _bells.get(asyncio.get_running_loop())
    return bell.rings if bell else 0
