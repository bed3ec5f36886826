"""Delivering dossier changes and summaries to the national portal, exactly once.

The outbox fans out into one ``portal_sync_items`` row per (dossier, version); a batch is
claimed under a lease, posted outside any transaction, and its results recorded afterwards.
A crash between posting and recording only causes a resend, which the portal answers as a
duplicate of the same idempotency key: each change is accepted once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.core.settings import Settings
from services.dossiers.models import Dossier, PortalSync
from services.outbox.models import OutboxEvent
from services.portal.client import PortalClient, PortalResponse, PortalUnavailable
from services.portal.mapping import idempotency_key, to_record
from services.portal.models import DeliveryStatus, PortalAttempt, PortalSummary, PortalSyncItem

SERVICE_NAME = "DongBoHoSoMC"
ALREADY_EXISTS = 2  # the portal's answer to a create of a code it has


@dataclass
class SyncReport:
    queued: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int, settings: Settings) -> timedelta:
    """Exponential, capped, with ±50 % jitter so that retries of many workers spread out."""
    base = min(
        settings.portal_retry_base_seconds * 2 ** max(attempts - 1, 0),
        settings.portal_retry_max_seconds,
    )
    return timedelta(seconds=base * random.uniform(0.5, 1.5))  # noqa: S311 - not security


async def fan_out(session: AsyncSession, now: datetime, limit: int) -> int:
    """Turns unprocessed outbox events that carry a dossier snapshot into sync items."""
    events = (
        await session.execute(
            select(OutboxEvent.id, OutboxEvent.payload)
            .where(OutboxEvent.portal_processed_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if events:
        await session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id.in_([e.id for e in events]))
            .values(portal_processed_at=now)
            .execution_options(synchronize_session=False)
        )
    rows = []
    for event in events:
        dossier = event.payload.get("dossier")
        if not isinstance(dossier, dict):
            continue
        rows.append(
            {
                "idempotency_key": idempotency_key(dossier["code"], dossier["version"]),
                "dossier_id": None,
                "dossier_code": dossier["code"],
                "version": dossier["version"],
                "outbox_event_id": event.id,
                "record": to_record(dossier),
                "status": DeliveryStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
            }
        )
    if rows:
        codes = {r["dossier_code"] for r in rows}
        ids = dict(
            (await session.execute(select(Dossier.code, Dossier.id).where(Dossier.code.in_(codes))))
            .tuples()
            .all()
        )
        rows = [
            {**r, "dossier_id": ids[r["dossier_code"]]} for r in rows if r["dossier_code"] in ids
        ]
        if rows:
            await session.execute(
                insert(PortalSyncItem).on_conflict_do_nothing(index_elements=["idempotency_key"]),
                rows,
            )
            await session.execute(
                update(Dossier)
                .where(Dossier.id.in_({r["dossier_id"] for r in rows}))
                .values(portal_sync=PortalSync.PENDING)
                .execution_options(synchronize_session=False)
            )
    await session.flush()
    return len(rows)


async def claim(session: AsyncSession, now: datetime, settings: Settings) -> list[PortalSyncItem]:
    """Due items whose dossier has no earlier change still undelivered or not yet fanned out
    (order matters: the create before its updates, the portal keeps the last state it gets),
    leased so that no other worker sends them meanwhile."""
    earlier = aliased(PortalSyncItem)
    items = list(
        await session.scalars(
            select(PortalSyncItem)
            .where(
                PortalSyncItem.status == DeliveryStatus.PENDING,
                PortalSyncItem.next_attempt_at <= now,
                ~exists().where(
                    and_(
                        earlier.dossier_id == PortalSyncItem.dossier_id,
                        earlier.version < PortalSyncItem.version,
                        # A refused version is over: the next one carries the whole dossier.
                        earlier.status == DeliveryStatus.PENDING,
                    )
                ),
                # An earlier change not even fanned out yet: another consumer (the webhook
                # fan-out, a second worker) holds its outbox row, which our fan-out skipped.
                ~exists().where(
                    and_(
                        OutboxEvent.subject == PortalSyncItem.dossier_code,
                        OutboxEvent.portal_processed_at.is_(None),
                        OutboxEvent.id < PortalSyncItem.outbox_event_id,
                    )
                ),
            )
            .order_by(PortalSyncItem.id)
            .limit(settings.portal_sync_batch_size)
            .with_for_update(skip_locked=True, of=PortalSyncItem)
        )
    )
    lease = now + timedelta(seconds=settings.portal_lease_seconds)
    undecided = {i.dossier_id for i in items if i.is_update is None}
    known = (
        set(
            await session.scalars(
                select(PortalSyncItem.dossier_id)
                .distinct()
                .where(
                    PortalSyncItem.dossier_id.in_(undecided),
                    PortalSyncItem.status == DeliveryStatus.SENT,
                )
            )
        )
        if undecided
        else set()
    )
    for item in items:
        item.next_attempt_at = lease
        if item.is_update is None:
            item.is_update = item.dossier_id in known
    await session.flush()
    return items


async def post_items(
    client: PortalClient, items: list[PortalSyncItem]
) -> list[tuple[PortalSyncItem, PortalResponse | None, str | None]]:
    """Posts creates and updates as two requests; no database work happens here."""
    outcomes: list[tuple[PortalSyncItem, PortalResponse | None, str | None]] = []
    for is_update in (False, True):
        group = [i for i in items if bool(i.is_update) is is_update]
        if not group:
            continue
        body = {"service": SERVICE_NAME, "isUpdating": is_update, "data": [i.record for i in group]}
        try:
            response = await client.call("/api/dossiers/sync", body)
        except PortalUnavailable as exc:
            outcomes += [(i, None, str(exc)) for i in group]
            continue
        outcomes += [(i, response, None) for i in group]
    return outcomes


async def record_outcomes(
    session: AsyncSession,
    outcomes: list[tuple[PortalSyncItem, PortalResponse | None, str | None]],
    now: datetime,
    settings: Settings,
) -> SyncReport:
    """Records every attempt; accepted changes in one statement, the rest one by one (few)."""
    report = SyncReport()
    results: dict[int, dict[str, Any]] = {}
    attempts, sent_ids, others = [], [], []
    for claimed, response, error in outcomes:
        if response is not None and id(response) not in results:
            results[id(response)] = {
                r.get("IdempotencyKey"): r for r in response.body.get("results") or []
            }
        result = _result_for(claimed, response, results.get(id(response), {}))
        code = None if result is None else int(result.get("error_code", 1))
        message = error if result is None else str(result.get("message") or "")
        attempts.append(
            {
                "request_id": response.request_id if response else "-",
                "kind": "dossier",
                "item_id": claimed.id,
                "subject": claimed.idempotency_key,
                "http_status": response.http_status if response else None,
                "error_code": code,
                "message": (message or "")[:2000],
                "at": now,
            }
        )
        if code == 0:
            sent_ids.append(claimed.id)
        else:
            others.append((claimed, code, message))
    if attempts:
        await session.execute(insert(PortalAttempt), attempts)
    if sent_ids:
        await session.execute(
            update(PortalSyncItem)
            .where(PortalSyncItem.id.in_(sent_ids))
            .values(
                status=DeliveryStatus.SENT,
                sent_at=now,
                last_error=None,
                attempts=PortalSyncItem.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        report.sent = len(sent_ids)
    for claimed, code, message in others:
        item = await session.get(PortalSyncItem, claimed.id, with_for_update=True)
        if item is None:
            continue
        item.attempts += 1
        item.is_update = claimed.is_update
        if code == ALREADY_EXISTS and not item.is_update:
            # The portal has this code already (an earlier create whose answer we lost, or a
            # record filed elsewhere): the same change goes again as an update, at once.
            item.is_update, item.next_attempt_at, item.last_error = True, now, message
            report.retried += 1
        elif code is None:
            item.next_attempt_at = now + backoff(item.attempts, settings)
            item.last_error = message
            report.retried += 1
        else:
            item.status, item.last_error = DeliveryStatus.FAILED, message
            report.failed += 1
    await session.flush()
    await _refresh_dossier_states(session, {item.dossier_id for item, _, _ in outcomes}, settings)
    return report


def _result_for(
    item: PortalSyncItem, response: PortalResponse | None, by_key: dict[Any, dict[str, Any]]
) -> dict[str, Any] | None:
    if response is None:
        return None
    found = by_key.get(item.idempotency_key)
    if found is not None:
        return found
    # A request-level refusal (wrong service, malformed): the same answer for every record.
    return {
        "error_code": response.body.get("error_code", 1),
        "message": response.body.get("message"),
    }


async def _refresh_dossier_states(
    session: AsyncSession, dossier_ids: set[int], settings: Settings
) -> None:
    """``dossiers.portal_sync`` from their items, in one statement. A plain UPDATE: the sync
    state is the worker's and must not bump the version that orders citizen-visible changes."""
    items = aliased(PortalSyncItem)
    of_dossier = items.dossier_id == Dossier.id
    failing = exists().where(
        of_dossier,
        or_(
            items.status == DeliveryStatus.FAILED,
            and_(
                items.status == DeliveryStatus.PENDING,
                items.attempts >= settings.portal_failed_after_attempts,
            ),
        ),
    )
    undelivered = exists().where(of_dossier, items.status != DeliveryStatus.SENT)
    await session.execute(
        update(Dossier)
        .where(Dossier.id.in_(dossier_ids))
        .values(
            portal_sync=case(
                (failing, PortalSync.FAILED.value),
                (undelivered, PortalSync.PENDING.value),
                else_=PortalSync.SYNCED.value,
            )
        )
        .execution_options(synchronize_session=False)
    )


async def claim_summaries(
    session: AsyncSession, now: datetime, settings: Settings
) -> list[PortalSummary]:
    """Due summaries, leased: two runs in the same minute (the hourly one and the one after a
    scan) each push their own, never the same ones."""
    due = list(
        await session.scalars(
            select(PortalSummary)
            .where(
                PortalSummary.status == DeliveryStatus.PENDING,
                PortalSummary.next_attempt_at <= now,
            )
            .order_by(PortalSummary.id)
            .limit(settings.portal_sync_batch_size)
            .with_for_update(skip_locked=True)
        )
    )
    lease = now + timedelta(seconds=settings.portal_lease_seconds)
    for summary in due:
        summary.next_attempt_at = lease
    await session.flush()
    return due


async def record_summary_result(
    session: AsyncSession,
    claimed: PortalSummary,
    response: PortalResponse | None,
    error: str | None,
    now: datetime,
    settings: Settings,
) -> bool:
    # The row as it stands, locked: the claimed copy is stale, and writing it back would undo
    # what a run that outlived our lease recorded meanwhile.
    summary = await session.get(
        PortalSummary, claimed.id, with_for_update=True, populate_existing=True
    )
    if summary is None or summary.status is not DeliveryStatus.PENDING:
        return summary is not None and summary.status is DeliveryStatus.SENT
    code = None if response is None else int(response.body.get("error_code", 1))
    message = error if response is None else str(response.body.get("message") or "")
    session.add(
        PortalAttempt(
            request_id=response.request_id if response else "-",
            kind="summary",
            item_id=summary.id,
            subject=summary.idempotency_key,
            http_status=response.http_status if response else None,
            error_code=code,
            message=(message or "")[:2000],
            at=now,
        )
    )
    summary.attempts += 1
    if code == 0:
        summary.status, summary.sent_at, summary.last_error = DeliveryStatus.SENT, now, None
        return True
    summary.next_attempt_at = now + backoff(summary.attempts, settings)
    summary.last_error = message
    return False
