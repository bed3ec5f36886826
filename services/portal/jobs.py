"""Worker jobs of the portal: dossier sync and summary push. Thin loops over the service."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from sqlalchemy.dialects.postgresql import insert

from services.core.clock import utcnow
from services.core.db import get_sessionmaker
from services.core.settings import get_settings
from services.portal import service
from services.portal.client import PortalClient, PortalResponse, PortalUnavailable
from services.portal.models import DeliveryStatus, PortalSummary
from services.portal.summary import agencies_with_dossiers, agency_summary

logger = logging.getLogger("motcua.jobs.portal")


def _client(ctx: dict[str, Any] | None) -> PortalClient:
    # Tests hand in a transport to the mock portal app; the worker uses the network.
    transport: httpx.AsyncBaseTransport | None = (ctx or {}).get("portal_transport")
    return PortalClient.create(get_settings(), transport)


async def portal_sync(ctx: dict[str, Any] | None = None) -> dict[str, int]:
    settings = get_settings()
    sessions = get_sessionmaker()
    total = service.SyncReport()
    while True:
        async with sessions() as session, session.begin():
            queued = await service.fan_out(session, utcnow(), settings.portal_sync_batch_size)
        total.queued += queued
        if queued < settings.portal_sync_batch_size:
            break
    client = _client(ctx)
    try:
        while True:
            async with sessions() as session, session.begin():
                items = await service.claim(session, utcnow(), settings)
            if not items:
                break
            outcomes = await service.post_items(client, items)
            async with sessions() as session, session.begin():
                report = await service.record_outcomes(session, outcomes, utcnow(), settings)
            total.sent += report.sent
            total.retried += report.retried
            total.failed += report.failed
            if report.sent == 0 and all(r is None for _, r, _ in outcomes):
                break  # the portal is down: everything is rescheduled, stop hammering it
    finally:
        await client.close()
    result = {
        "queued": total.queued,
        "sent": total.sent,
        "retried": total.retried,
        "failed": total.failed,
    }
    logger.info("portal sync done", extra=result)
    return result


async def portal_summary(ctx: dict[str, Any] | None = None) -> dict[str, int]:
    """Snapshots every agency now (kept as rows), then pushes every snapshot not yet accepted."""
    settings = get_settings()
    sessions = get_sessionmaker()
    now = utcnow()
    async with sessions() as session, session.begin():
        for agency in await agencies_with_dossiers(session):
            payload = await agency_summary(session, agency, now)
            key = f"{agency}:{now:%Y%m%dT%H%MZ}"
            await session.execute(
                insert(PortalSummary)
                .values(
                    idempotency_key=key,
                    agency_code=agency,
                    payload={"IdempotencyKey": key, **payload},
                    status=DeliveryStatus.PENDING,
                    attempts=0,
                    next_attempt_at=now,
                )
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
            )
    client = _client(ctx)
    sent = failed = 0
    try:
        async with sessions() as session, session.begin():
            due = await service.claim_summaries(session, now, settings)
        for summary in due:
            response, error = await _push(client, summary.payload)
            async with sessions() as session, session.begin():
                ok = await service.record_summary_result(
                    session, summary, response, error, utcnow(), settings
                )
            sent, failed = sent + ok, failed + (not ok)
            if response is None:
                break  # the portal is down: the rest waits for the next run
    finally:
        await client.close()
    return {"sent": sent, "failed": failed}


async def _push(
    client: PortalClient, payload: dict[str, Any]
) -> tuple[PortalResponse | None, str | None]:
    try:
        return await client.call("/api/summaries", payload), None
    except PortalUnavailable as exc:
        return None, str(exc)
