"""The webhook relay as a worker job: fan out the outbox, then deliver what is due."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from services.core.clock import utcnow
from services.core.db import get_sessionmaker
from services.core.settings import get_settings
from services.webhooks import service

logger = logging.getLogger("motcua.jobs.webhooks")


async def webhook_delivery(ctx: dict[str, Any] | None = None) -> dict[str, int]:
    settings = get_settings()
    sessions = get_sessionmaker()
    events = 0
    while True:
        async with sessions() as session, session.begin():
            n = await service.fan_out(session, utcnow(), settings.webhook_batch_size)
        events += n
        if n < settings.webhook_batch_size:
            break
    transport: httpx.AsyncBaseTransport | None = (ctx or {}).get("webhook_transport")
    claimed = delivered = 0
    async with httpx.AsyncClient(
        timeout=settings.webhook_timeout_seconds, transport=transport, follow_redirects=False
    ) as http:
        while True:
            n, ok = await service.relay_batch(sessions, http, settings, utcnow())
            claimed, delivered = claimed + n, delivered + ok
            if n == 0:
                break
    result = {"events": events, "attempted": claimed, "delivered": delivered}
    logger.info("webhook delivery done", extra=result)
    return result
