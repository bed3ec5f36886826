"""Webhook subscription routes (api.md "Webhooks")."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse

from services.core.clock import utcnow
from services.core.db import SessionDep
from services.core.errors import error_responses
from services.core.idempotency import IdempotencyKey, created
from services.core.pagination import (
    CursorQuery,
    LimitQuery,
    Page,
    cursor_instant,
    cursor_int,
    decode_keyset,
    encode_cursor,
)
from services.core.settings import get_settings
from services.core.types import InstantIn, RowId
from services.identity.dependencies import allow
from services.identity.models import Role
from services.identity.principal import Principal
from services.webhooks import service
from services.webhooks.models import DeliveryState
from services.webhooks.schemas import (
    DeliveryOut,
    RecoverResult,
    SecretRotated,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionOut,
    SubscriptionUpdate,
)

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
Manager = Annotated[Principal, allow(Role.LEADER, scope="webhooks:manage")]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionCreated,
    operation_id="create_webhook",
    summary="Subscribe to events",
    description="The agency's events of the chosen types are POSTed to `url`, signed per "
    "Standard Webhooks with the returned `secret` (shown once; a repeated `Idempotency-Key` "
    "answers 409). https is required in "
    "production; private, loopback and link-local targets are refused. Leader or a key with "
    "`webhooks:manage`.",
    responses=error_responses(401, 403, 422),
)
async def create_webhook(
    data: SubscriptionCreate,
    session: SessionDep,
    principal: Manager,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def produce() -> SubscriptionCreated:
        sub, secret = await service.create(session, principal, data, get_settings())
        return SubscriptionCreated(
            **SubscriptionOut.model_validate(sub).model_dump(), secret=secret
        )

    body = data.model_dump(mode="json")
    return await created(
        session, principal.caller, idempotency_key, body, produce, shown_once="secret"
    )


@router.get(
    "",
    response_model=Page[SubscriptionOut],
    operation_id="list_webhooks",
    summary="List subscriptions",
    description="The caller's agency's subscriptions, oldest first.",
    responses=error_responses(401, 403, 422),
)
async def list_webhooks(
    session: SessionDep,
    principal: Manager,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[SubscriptionOut]:
    after = decode_keyset(cursor, cursor_instant, uuid.UUID)
    rows = await service.list_for(session, principal, after, limit)  # type: ignore[arg-type]
    last = rows[-1] if len(rows) == limit else None
    return Page(
        items=[SubscriptionOut.model_validate(s) for s in rows],
        next_cursor=encode_cursor([last.created_at.isoformat(), str(last.id)]) if last else None,
    )


@router.get(
    "/{webhook_id}",
    response_model=SubscriptionOut,
    operation_id="get_webhook",
    summary="Get a subscription",
    description="With `disabled_reason` when it was switched off.",
    responses=error_responses(401, 403, 404, 422),
)
async def get_webhook(
    webhook_id: uuid.UUID, session: SessionDep, principal: Manager
) -> SubscriptionOut:
    return SubscriptionOut.model_validate(await service.get_or_404(session, principal, webhook_id))


@router.patch(
    "/{webhook_id}",
    response_model=SubscriptionOut,
    operation_id="update_webhook",
    summary="Update a subscription",
    description="URL, event types, description; `is_active: true` re-enables it.",
    responses=error_responses(401, 403, 404, 422),
)
async def update_webhook(
    webhook_id: uuid.UUID, data: SubscriptionUpdate, session: SessionDep, principal: Manager
) -> SubscriptionOut:
    sub = await service.get_or_404(session, principal, webhook_id)
    updated = await service.update_subscription(session, sub, data, get_settings())
    return SubscriptionOut.model_validate(updated)


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="delete_webhook",
    summary="Delete a subscription",
    description="Pending deliveries are dropped with it.",
    responses=error_responses(401, 403, 404, 422),
)
async def delete_webhook(webhook_id: uuid.UUID, session: SessionDep, principal: Manager) -> None:
    await session.delete(await service.get_or_404(session, principal, webhook_id))


@router.post(
    "/{webhook_id}/rotate-secret",
    response_model=SecretRotated,
    operation_id="rotate_webhook_secret",
    summary="Rotate the signing secret",
    description="Returns the new secret once; for 24 hours deliveries carry both "
    "signatures (space-separated), so the receiver can switch without losing any.",
    responses=error_responses(401, 403, 404, 422),
)
async def rotate_secret(
    webhook_id: uuid.UUID, session: SessionDep, principal: Manager
) -> SecretRotated:
    sub = await service.get_or_404(session, principal, webhook_id)
    secret, until = await service.rotate_secret(session, sub, utcnow(), get_settings())
    return SecretRotated(secret=secret, previous_secret_expires_at=until)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=Page[DeliveryOut],
    operation_id="list_webhook_deliveries",
    summary="Deliveries of a subscription",
    description="Newest first, with state, attempts and the last answer.",
    responses=error_responses(401, 403, 404, 422),
)
async def list_deliveries(
    webhook_id: uuid.UUID,
    session: SessionDep,
    principal: Manager,
    state: DeliveryState | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[DeliveryOut]:
    sub = await service.get_or_404(session, principal, webhook_id)
    after = decode_keyset(cursor, cursor_int)
    rows = await service.deliveries(session, sub, state, after[0] if after else None, limit)
    next_cursor = encode_cursor([rows[-1].id]) if len(rows) == limit else None
    return Page(items=[DeliveryOut.model_validate(d) for d in rows], next_cursor=next_cursor)


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    response_model=DeliveryOut,
    operation_id="retry_webhook_delivery",
    summary="Retry a delivery now",
    description="Queues the delivery again (same `webhook-id`); 409 if already due.",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def retry_delivery(
    webhook_id: uuid.UUID, delivery_id: RowId, session: SessionDep, principal: Manager
) -> DeliveryOut:
    sub = await service.get_or_404(session, principal, webhook_id)
    return DeliveryOut.model_validate(
        await service.retry_delivery(session, sub, delivery_id, utcnow())
    )


@router.post(
    "/{webhook_id}/recover",
    response_model=RecoverResult,
    operation_id="recover_webhook_deliveries",
    summary="Re-queue failed deliveries",
    description="Every failed delivery created since `since` (at most 14 days back) "
    "is queued again, e.g. after the receiver was fixed.",
    responses=error_responses(401, 403, 404, 422),
)
async def recover(
    webhook_id: uuid.UUID,
    session: SessionDep,
    principal: Manager,
    since: Annotated[InstantIn, Query()],
) -> RecoverResult:
    sub = await service.get_or_404(session, principal, webhook_id)
    return RecoverResult(requeued=await service.recover(session, sub, since, utcnow()))


@router.post(
    "/{webhook_id}/test",
    response_model=DeliveryOut,
    operation_id="test_webhook",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a test ping",
    description="Queues a `webhook.test` delivery; the relay sends it within seconds.",
    responses=error_responses(401, 403, 404, 422),
)
async def test_webhook(
    webhook_id: uuid.UUID, session: SessionDep, principal: Manager
) -> DeliveryOut:
    sub = await service.get_or_404(session, principal, webhook_id)
    return DeliveryOut.model_validate(await service.ping(session, sub, utcnow()))
