"""Signed events from the national portal (Standard Webhooks): online filings and payments.

A replayed ``webhook-id`` answers 2xx and changes nothing; a bad signature is 401; a
malformed event is 422, with nothing written.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.clock import utcnow
from services.core.db import SessionDep
from services.core.errors import Unauthorized, Unprocessable, error_responses
from services.core.idempotency import lock_key
from services.core.settings import Settings, get_settings
from services.core.signatures import SignatureError, verify
from services.core.types import InstantIn
from services.dossiers import repository as dossier_repo
from services.dossiers import service as dossier_service
from services.dossiers.models import Channel
from services.dossiers.schemas import ApplicantIn, DossierCreate
from services.identity.principal import Principal
from services.identity.schemas import AgencyCode
from services.portal.models import InboundEvent

router = APIRouter(prefix="/api/v1/inbound", tags=["inbound"])
PORTAL_ID = uuid.uuid5(uuid.NAMESPACE_URL, "motcua:portal")
PortalRef = Annotated[str, Field(min_length=1, max_length=64)]


class SubmittedData(BaseModel):
    model_config = ConfigDict(extra="ignore")
    procedure_code: Annotated[str, Field(pattern=r"^\d\.\d{6}$")]
    receiving_agency_code: AgencyCode
    applicant: ApplicantIn
    summary: Annotated[str, Field(max_length=1000)] | None = None
    submitted_at: InstantIn
    portal_ref: PortalRef


class PaymentData(BaseModel):
    model_config = ConfigDict(extra="ignore")
    dossier_code: Annotated[str, Field(min_length=1, max_length=64)]
    amount_vnd: int = Field(ge=0, le=10_000_000_000)
    paid_at: InstantIn
    portal_ref: PortalRef


class SubmittedEvent(BaseModel):
    type: Literal["dossier.submitted"]
    timestamp: InstantIn
    data: SubmittedData


class PaymentEvent(BaseModel):
    type: Literal["payment.completed"]
    timestamp: InstantIn
    data: PaymentData


class InboundEnvelope(BaseModel):
    event: Annotated[SubmittedEvent | PaymentEvent, Field(discriminator="type")]


class InboundResult(BaseModel):
    status: Literal["processed", "duplicate"]
    dossier_code: str


def _portal(agency_code: str) -> Principal:
    """The portal acts as a system integrator of the agency the event concerns."""
    return Principal(
        kind="api_key",
        id=PORTAL_ID,
        name="portal",
        agency_code=agency_code,
        scopes=frozenset({"dossiers:write"}),
    )


async def _handle(
    session: AsyncSession, event: SubmittedEvent | PaymentEvent, settings: Settings
) -> dict[str, Any]:
    now = utcnow()
    if isinstance(event, SubmittedEvent):
        data = event.data
        existing = await dossier_repo.get_by_portal_ref(session, data.portal_ref)
        if existing is not None:
            return {"dossier_code": existing}
        dossier, _ = await dossier_service.create(
            session,
            _portal(data.receiving_agency_code),
            DossierCreate(
                procedure_code=data.procedure_code,
                channel=Channel.ONLINE,
                applicant=data.applicant,
                summary=data.summary,
                receiving_agency_code=data.receiving_agency_code,
            ),
            now,
            settings,
            portal_ref=data.portal_ref,
            submitted_at=data.submitted_at,
        )
        return {"dossier_code": dossier.code}
    payment = event.data
    paid = await dossier_repo.get_by_code(session, payment.dossier_code, for_update=True)
    if paid is None:
        raise Unprocessable(f"data.dossier_code: no dossier {payment.dossier_code}")
    await dossier_service.record_online_payment(
        session,
        _portal(paid.receiving_agency_code),
        paid,
        payment.amount_vnd,
        payment.paid_at,
        now,
        settings,
    )
    return {"dossier_code": paid.code}


@router.post(
    "/portal",
    response_model=InboundResult,
    operation_id="inbound_portal_event",
    summary="Signed event from the national portal",
    description="Standard Webhooks signature with `MOTCUA_PORTAL_WEBHOOK_SECRET` (5-minute "
    "tolerance). `dossier.submitted` files an online dossier (`submitted`); "
    "`payment.completed` marks the fee paid online. A replayed `webhook-id` is processed once.",
    responses=error_responses(401, 413, 422),
)
async def inbound_portal_event(request: Request, session: SessionDep) -> InboundResult:
    settings = get_settings()
    body = await request.body()
    try:
        msg_id = verify(settings.portal_webhook_secret.get_secret_value(), request.headers, body)
    except SignatureError as exc:
        raise Unauthorized(f"invalid signature: {exc}") from exc
    await lock_key(session, "inbound", msg_id)
    seen = await session.get(InboundEvent, msg_id)
    if seen is not None:
        return InboundResult(status="duplicate", dossier_code=seen.result["dossier_code"])
    try:
        envelope = InboundEnvelope.model_validate({"event": _json(body)})
    except ValidationError as exc:
        errors = [{"loc": ["body", *e["loc"][1:]], "msg": e["msg"]} for e in exc.errors()]
        raise Unprocessable(f"malformed event: {errors[0]['msg']}", errors=errors) from exc
    result = await _handle(session, envelope.event, settings)
    session.add(InboundEvent(webhook_id=msg_id, event_type=envelope.event.type, result=result))
    return InboundResult(status="processed", dossier_code=result["dossier_code"])


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise Unprocessable("body: not JSON") from exc
