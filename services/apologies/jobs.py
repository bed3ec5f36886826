"""The overdue scan as a worker job: a loop of short transactions over domain code."""

from __future__ import annotations

import logging
from typing import Any

from services.apologies.service import ScanReport, scan_batch
from services.core.clock import utcnow
from services.core.db import get_sessionmaker
from services.core.settings import get_settings
from services.feedback.service import flag_late_feedback
from services.processes.service import report_late_steps

logger = logging.getLogger("motcua.jobs.overdue_scan")


async def overdue_scan(ctx: dict[str, Any] | None = None) -> dict[str, int]:
    """Drafts every missing apology and marks every overdue dossier, batch by batch.

    Each batch commits on its own: a crash loses at most the batch in flight, which the next
    run (or another worker) takes again.
    """
    settings = get_settings()
    total = ScanReport()
    while True:
        async with get_sessionmaker()() as session, session.begin():
            report = await scan_batch(session, utcnow(), settings)
        total.drafted += report.drafted
        total.marked_overdue += report.marked_overdue
        total.batches += report.batches
        if report.batches == 0 or report.drafted + report.marked_overdue == 0:
            break
    # Late steps of internal processes: warned about before the dossier itself is late.
    late_steps = 0
    while True:
        async with get_sessionmaker()() as session, session.begin():
            reported = await report_late_steps(session, utcnow(), settings.overdue_scan_batch_size)
        late_steps += reported
        if reported < settings.overdue_scan_batch_size:
            break
    # Late feedback (PAKN) is flagged by the same scan, so one schedule covers every deadline.
    async with get_sessionmaker()() as session, session.begin():
        late_feedback = await flag_late_feedback(session, utcnow())
    result = {
        "drafted": total.drafted,
        "marked_overdue": total.marked_overdue,
        "batches": total.batches,
        "late_feedback": late_feedback,
        "late_steps": late_steps,
    }
    logger.info("overdue scan done", extra=result)
    if ctx and "redis" in ctx:
        # The portal's summary follows each scan, so its overdue list is fresh.
        await ctx["redis"].enqueue_job("portal_summary")
    return result
