"""Writing outbox events, always in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

# Imported for its session hooks: every commit that writes outbox rows rings the worker.
from services.outbox import doorbell  # noqa: F401
from services.outbox.models import OutboxEvent


def event_values(
    event_type: str, subject: str, agency_codes: Iterable[str | None], payload: dict[str, Any]
) -> dict[str, Any]:
    return {
        "event_type": event_type,
        "subject": subject,
        "agency_codes": sorted({code for code in agency_codes if code}),
        "payload": payload,
    }


def emit(
    session: AsyncSession,
    event_type: str,
    subject: str,
    agency_codes: Iterable[str | None],
    payload: dict[str, Any],
) -> OutboxEvent:
    """Adds the event to the session: it commits or rolls back with the change it describes."""
    event = OutboxEvent(**event_values(event_type, subject, agency_codes, payload))
    session.add(event)
    return event
