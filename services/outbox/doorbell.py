"""The doorbell: after a commit that wrote outbox rows, ask the worker to deliver them now.

PostgreSQL is the ledger; this only shortens the wait for the worker's next tick (portal sync
every 30 s, webhooks every 10 s) to about a second. A ring that is lost — Redis down, the
process killed, a job already running — costs nothing but that wait, because the cron ticks
still find every row.

Rings are cheap on the request path (an ``asyncio.Event``); one background task per process
coalesces them and queues the delivery jobs at most every ``MOTCUA_DOORBELL_INTERVAL_MS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from arq import ArqRedis, create_pool
from arq.connections import RedisSettings
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from services.core.settings import get_settings
from services.outbox.models import OutboxEvent

logger = logging.getLogger("motcua.doorbell")

# The worker's delivery jobs as the doorbell queues them (services.worker.main), each under a
# fixed job id: while one is queued or running, another ring adds nothing (the running job or
# the next cron tick takes what it missed), so the queue never holds more than one of each.
DELIVERY_JOBS = ("portal_sync_now", "webhook_delivery_now")
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


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: Any) -> None:
    # Only the outermost transaction: a savepoint rolled back leaves the other writes standing.
    if transaction.parent is None:
        session.info.pop(_WRITTEN, None)


class _Bell:
    """The ringer of one event loop (a process has one; tests make many)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.pending = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.rings = 0  # rounds queued, for tests and logs


_bell: _Bell | None = None


def ring() -> None:
    """Schedules a delivery round; returns at once, never raises."""
    global _bell
    if not get_settings().doorbell:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    if _bell is None or _bell.loop is not loop:
        _bell = _Bell(loop)  # a previous loop's ringer ended with its loop
    _bell.pending.set()
    if _bell.task is None or _bell.task.done():
        _bell.task = loop.create_task(_deliver_rounds(_bell), name="motcua-doorbell")


async def _deliver_rounds(bell: _Bell) -> None:
    pool: ArqRedis | None = None
    interval = get_settings().doorbell_interval_ms / 1000
    outage = False
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
                    await pool.enqueue_job(job, _job_id=f"doorbell:{job}")
                bell.rings += 1
                outage = False
            except (RedisError, OSError) as exc:
                if not outage:  # once per outage, not once per ring
                    logger.warning("doorbell not rung: redis unavailable (%s)", type(exc).__name__)
                outage = True
                if pool is not None:
                    await pool.aclose()
                pool = None
            await asyncio.sleep(interval)
    finally:
        if pool is not None:
            await pool.aclose()


async def close() -> None:
    """Stops this loop's ringer (tests; a process's ringer ends with its loop)."""
    global _bell
    bell, _bell = _bell, None
    if bell is not None and bell.task is not None and bell.loop is asyncio.get_running_loop():
        bell.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bell.task


def rounds() -> int:
    """Delivery rounds this loop's ringer has queued."""
    bell = _bell
    return bell.rings if bell is not None and bell.loop is asyncio.get_running_loop() else 0
