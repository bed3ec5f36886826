"""Webhook subscriptions and durable delivery (Standard Webhooks).

Outbox events fan out into one delivery per matching subscription of the event's agencies.
The relay claims due deliveries with FOR UPDATE SKIP LOCKED under a lease, posts outside any
transaction, and records each answer as soon as it arrives. A crash can only cause a resend,
with the same ``webhook-id``, which receivers use to de-duplicate (at-least-once).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from sqlalchemy import and_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core import signatures
from services.core.clock import as_local
from services.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from services.core.settings import Settings
from services.identity.principal import Principal
from services.outbox.models import OutboxEvent
from services.webhooks import crypto
from services.webhooks.models import Attempt, Delivery, DeliveryState, Subscription
from services.webhooks.schemas import SubscriptionCreate, SubscriptionUpdate
from services.webhooks.urls import UrlRefused, check_destination

# Retries after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: then the delivery has failed.
RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000]
ROTATION_OVERLAP = timedelta(hours=24)
RECOVER_WINDOW = timedelta(days=14)
RESPONSE_KEPT = 2048


# --- subscriptions ------------------------------------------------------------------------


async def create(
    session: AsyncSession, principal: Principal, data: SubscriptionCreate, settings: Settings
) -> tuple[Subscription, str]:
    agency = data.agency_code or principal.agency_code
    if agency != principal.agency_code and not principal.is_admin:
        raise Forbidden("Subscriptions belong to your own agency")
    await _check_url(data.url, settings)
    secret = signatures.new_secret()
    sub = Subscription(
        agency_code=agency,
        url=data.url,
        event_types=data.event_types,
        description=data.description,
        secret_encrypted=crypto.encrypt(settings, secret),
        is_active=True,
        consecutive_failures=0,
        created_by=principal.actor,
    )
    session.add(sub)
    await session.flush()
    return sub, secret


async def _check_url(url: str, settings: Settings) -> None:
    try:
        await check_destination(url, settings)
    except UrlRefused as exc:
        raise Unprocessable(
            f"url: {exc}", errors=[{"loc": ["body", "url"], "msg": str(exc)}]
        ) from exc


async def get_or_404(
    session: AsyncSession, principal: Principal, sub_id: uuid.UUID
) -> Subscription:
    sub = await session.get(Subscription, sub_id)
    if sub is None or not principal.sees_agency(sub.agency_code):
        raise NotFound(f"webhook {sub_id} not found")
    return sub


async def list_for(
    session: AsyncSession,
    principal: Principal,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Subscription]:
    """Oldest first, ``limit`` at a time after the (created_at, id) of the previous page."""
    stmt = select(Subscription).order_by(Subscription.created_at, Subscription.id).limit(limit)
    if not principal.is_admin:
        stmt = stmt.where(Subscription.agency_code == principal.agency_code)
    if after is not None:
        stmt = stmt.where(tuple_(Subscription.created_at, Subscription.id) > after)
    return list(await session.scalars(stmt))


async def update_subscription(
    session: AsyncSession, sub: Subscription, data: SubscriptionUpdate, settings: Settings
) -> Subscription:
    changes = data.model_dump(exclude_unset=True)
    if changes.get("url"):
        await _check_url(changes["url"], settings)
    for key in ("url", "event_types", "description"):
        if changes.get(key) is not None or (key == "description" and key in changes):
            setattr(sub, key, changes[key])
    if changes.get("is_active") is True and not sub.is_active:
        sub.is_active, sub.disabled_reason, sub.consecutive_failures = True, None, 0
    elif changes.get("is_active") is False:
        sub.is_active, sub.disabled_reason = False, "disabled through the API"
    await session.flush()
    return sub


async def rotate_secret(
    session: AsyncSession, sub: Subscription, now: datetime, settings: Settings
) -> tuple[str, datetime]:
    """For 24 hours deliveries carry both signatures, so the receiver can switch over."""
    secret = signatures.new_secret()
    sub.previous_secret_encrypted = sub.secret_encrypted
    sub.previous_secret_expires_at = now + ROTATION_OVERLAP
    sub.secret_encrypted = crypto.encrypt(settings, secret)
    await session.flush()
    return secret, sub.previous_secret_expires_at


def _signing_secrets(sub: Subscription, now: datetime, settings: Settings) -> list[str]:
    found = [crypto.decrypt(settings, sub.secret_encrypted)]
    if (
        sub.previous_secret_encrypted
        and sub.previous_secret_expires_at
        and sub.previous_secret_expires_at > now
    ):
        found.append(crypto.decrypt(settings, sub.previous_secret_encrypted))
    return found


# --- fan-out ------------------------------------------------------------------------------


def message_id(event_id: int | None, sub_id: uuid.UUID) -> str:
    return f"msg_{event_id if event_id is not None else uuid.uuid4().hex}_{sub_id.hex[:16]}"


def envelope(event_type: str, at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": event_type, "timestamp": as_local(at).isoformat(), "data": data}


async def fan_out(session: AsyncSession, now: datetime, limit: int) -> int:
    events = list(
        await session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.webhooks_processed_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not events:
        return 0
    agencies = {code for e in events for code in e.agency_codes}
    subs = list(
        await session.scalars(
            select(Subscription).where(
                Subscription.is_active.is_(True), Subscription.agency_code.in_(agencies)
            )
        )
    )
    rows = []
    for event in events:
        event.webhooks_processed_at = now
        for sub in subs:
            # Only the agency's own events, and only the types it asked for.
            if sub.agency_code in event.agency_codes and event.event_type in sub.event_types:
                rows.append(
                    {
                        "subscription_id": sub.id,
                        "event_id": event.id,
                        "event_type": event.event_type,
                        "message_id": message_id(event.id, sub.id),
                        "body": envelope(event.event_type, event.created_at, event.payload),
                        "state": DeliveryState.PENDING,
                        "attempts": 0,
                        "next_attempt_at": now,
                    }
                )
    if rows:
        await session.execute(insert(Delivery).values(rows).on_conflict_do_nothing())
    await session.flush()
    return len(events)


# --- relay --------------------------------------------------------------------------------


@dataclass
class Claimed:
    delivery_id: int
    url: str
    message_id: str
    body: bytes
    secrets: list[str]
    attempts: int
    subscription_id: uuid.UUID
    subscription_failing: bool


@dataclass
class Outcome:
    status_code: int | None
    latency_ms: int
    response: str | None
    error: str | None
    retry_after: float | None = None


async def claim(session: AsyncSession, now: datetime, settings: Settings) -> list[Claimed]:
    rows = (
        await session.execute(
            select(Delivery, Subscription)
            .join(Subscription, Subscription.id == Delivery.subscription_id)
            .where(Delivery.state == DeliveryState.PENDING, Delivery.next_attempt_at <= now)
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(settings.webhook_batch_size)
            .with_for_update(skip_locked=True, of=Delivery)
        )
    ).all()
    claimed = []
    lease = now + timedelta(seconds=settings.webhook_lease_seconds)
    for delivery, sub in rows:
        if not sub.is_active:
            delivery.state = DeliveryState.FAILED
            delivery.last_error = f"subscription disabled: {sub.disabled_reason}"
            continue
        delivery.next_attempt_at = lease
        body = json.dumps(delivery.body, ensure_ascii=False, separators=(",", ":")).encode()
        claimed.append(
            Claimed(
                delivery.id,
                sub.url,
                delivery.message_id,
                body,
                _signing_secrets(sub, now, settings),
                delivery.attempts,
                sub.id,
                sub.consecutive_failures > 0,
            )
        )
    await session.flush()
    return claimed


async def post(http: httpx.AsyncClient, item: Claimed, settings: Settings) -> Outcome:
    started = time.perf_counter()
    try:
        await check_destination(item.url, settings)
        response = await http.post(
            item.url,
            content=item.body,
            headers={
                **signatures.headers(item.secrets, item.message_id, item.body),
                "content-type": "application/json",
                "user-agent": "motcua-webhooks/1",
            },
        )
    except UrlRefused as exc:
        return Outcome(None, _ms(started), None, f"refused: {exc}")
    except Exception as exc:  # one receiver's failure must not end the batch
        return Outcome(None, _ms(started), None, f"{type(exc).__name__}: {exc}"[:500])
    return Outcome(
        response.status_code,
        _ms(started),
        response.text[:RESPONSE_KEPT],
        None,
        _retry_after(response.headers.get("retry-after")),
    )


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _retry_after(value: str | None) -> float | None:
    """Seconds asked for by a Retry-After header, at most a day (some receivers send epoch
    milliseconds, which would overflow the next attempt's date)."""
    if not value:
        return None
    if value.strip().isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        seconds = parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError, OverflowError):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


MAX_RETRY_AFTER = 86400.0


def next_delay(attempts: int, retry_after: float | None) -> float | None:
    """Seconds until the next try after ``attempts`` failed ones; None when they are spent."""
    if attempts > len(RETRY_SCHEDULE):
        return None
    delay = RETRY_SCHEDULE[attempts - 1] * random.uniform(0.9, 1.1)  # noqa: S311
    return max(delay, retry_after or 0.0)


# A success also ends the subscription's run of failures. The row is locked only when there is
# a run to end (the WHERE filters before locking), so healthy receivers never contend on it.
_DELIVERED = text("""
    WITH done AS (
        UPDATE webhook_deliveries
        SET state = 'delivered', attempts = attempts + 1, delivered_at = :at,
            last_status_code = :status, last_error = NULL, updated_at = now()
        WHERE id = :delivery_id AND state = 'pending'
        RETURNING id
    ), reset AS (
        UPDATE webhook_subscriptions SET consecutive_failures = 0
        WHERE id = :subscription_id AND consecutive_failures > 0 AND EXISTS (SELECT 1 FROM done)
    )
    INSERT INTO webhook_attempts (delivery_id, at, status_code, latency_ms, response_body)
    SELECT id, :at, :status, :latency_ms, :response FROM done
""")


async def record(
    session: AsyncSession, item: Claimed, outcome: Outcome, now: datetime, settings: Settings
) -> bool:
    ok = outcome.status_code is not None and 200 <= outcome.status_code < 300
    if ok and not item.subscription_failing:
        # The common case in one statement: no row of the subscription to lock or touch.
        await session.execute(
            _DELIVERED,
            {
                "delivery_id": item.delivery_id,
                "subscription_id": item.subscription_id,
                "at": now,
                "status": outcome.status_code,
                "latency_ms": outcome.latency_ms,
                "response": outcome.response,
            },
        )
        return True
    delivery = await session.get(Delivery, item.delivery_id, with_for_update=True)
    if delivery is None:
        return False
    sub = await session.get(Subscription, delivery.subscription_id, with_for_update=True)
    assert sub is not None
    session.add(
        Attempt(
            delivery_id=delivery.id,
            at=now,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_body=outcome.response,
            error=outcome.error,
        )
    )
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
    if ok:
        delivery.state, delivery.delivered_at = DeliveryState.DELIVERED, now
        sub.consecutive_failures = 0
    else:
        sub.consecutive_failures += 1
        if outcome.status_code == 410:
            _disable(sub, "the endpoint answered 410 Gone")
            delivery.state = DeliveryState.FAILED
        else:
            delay = next_delay(delivery.attempts, outcome.retry_after)
            if delay is None:
                delivery.state = DeliveryState.FAILED
            else:
                delivery.next_attempt_at = now + timedelta(seconds=delay)
        if sub.consecutive_failures >= settings.webhook_disable_after_failures:
            _disable(sub, f"{sub.consecutive_failures} consecutive failed deliveries")
    await session.flush()
    return ok


def _disable(sub: Subscription, reason: str) -> None:
    if sub.is_active:
        sub.is_active, sub.disabled_reason = False, reason


async def relay_batch(
    sessions: async_sessionmaker[AsyncSession],
    http: httpx.AsyncClient,
    settings: Settings,
    now: datetime,
) -> tuple[int, int]:
    """One batch: (claimed, delivered). Each answer is recorded in its own short transaction
    the moment it arrives, so that a crash resends as little as possible."""
    async with sessions() as session, session.begin():
        items = await claim(session, now, settings)
    gate = asyncio.Semaphore(settings.webhook_concurrency)
    # httpx's timeout is per phase (connect, each read...): a receiver that drips its answer
    # could hold a slot far longer. Each delivery gets twice the timeout in all, and none
    # starts after the batch's lease could run out during it: slow receivers ahead in the
    # batch must not let another worker claim and send the same items meanwhile.
    per_item = 2 * settings.webhook_timeout_seconds
    last_start = time.monotonic() + settings.webhook_lease_seconds - per_item

    async def one(item: Claimed) -> bool:
        async with gate:
            if time.monotonic() > last_start:
                return False  # still leased: the next claim after the lease takes it
            try:
                async with asyncio.timeout(per_item):
                    outcome = await post(http, item, settings)
            except TimeoutError:
                outcome = Outcome(None, int(per_item * 1000), None, "timed out")
        async with sessions() as session, session.begin():
            return await record(session, item, outcome, datetime.now(now.tzinfo), settings)

    results = await asyncio.gather(*(one(i) for i in items))
    return len(items), sum(results)


# --- replay -------------------------------------------------------------------------------


async def retry_delivery(
    session: AsyncSession, sub: Subscription, delivery_id: int, now: datetime
) -> Delivery:
    delivery = await session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None or delivery.subscription_id != sub.id:
        raise NotFound(f"delivery {delivery_id} not found")
    if delivery.state is DeliveryState.PENDING and delivery.next_attempt_at <= now:
        raise Conflict("the delivery is already due")
    delivery.state, delivery.next_attempt_at = DeliveryState.PENDING, now
    await session.flush()
    return delivery


async def recover(session: AsyncSession, sub: Subscription, since: datetime, now: datetime) -> int:
    if since < now - RECOVER_WINDOW:
        raise Unprocessable("since: at most 14 days back")
    result = await session.execute(
        update(Delivery)
        .where(
            and_(
                Delivery.subscription_id == sub.id,
                Delivery.state == DeliveryState.FAILED,
                Delivery.created_at >= since,
            )
        )
        .values(state=DeliveryState.PENDING, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def ping(session: AsyncSession, sub: Subscription, now: datetime) -> Delivery:
    delivery = Delivery(
        subscription_id=sub.id,
        event_id=None,
        event_type="webhook.test",
        message_id=message_id(None, sub.id),
        body=envelope(
            "webhook.test", now, {"subscription_id": str(sub.id), "message": "Xin chào từ motcua"}
        ),
        state=DeliveryState.PENDING,
        attempts=0,
        next_attempt_at=now,
    )
    session.add(delivery)
    await session.flush()
    return delivery


async def deliveries(
    session: AsyncSession,
    sub: Subscription,
    state: DeliveryState | None,
    before: int | None,
    limit: int,
) -> list[Delivery]:
    stmt = (
        select(Delivery)
        .where(Delivery.subscription_id == sub.id)
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    if state is not None:
        stmt = stmt.where(Delivery.state == state)
    if before is not None:
        stmt = stmt.where(Delivery.id < before)
    return list(await session.scalars(stmt))
