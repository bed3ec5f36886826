"""Apology routes (api.md "Apologies")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response

from services.apologies import repository, service
from services.apologies.models import ApologyStatus
from services.apologies.schemas import ApologyOut, ApproveIn
from services.core.clock import utcnow
from services.core.db import SessionDep
from services.core.errors import error_responses
from services.core.pagination import (
    CursorQuery,
    LimitQuery,
    Page,
    cursor_instant,
    decode_keyset,
    encode_cursor,
)
from services.identity.dependencies import STAFF, allow
from services.identity.models import Role
from services.identity.principal import Principal

router = APIRouter(prefix="/api/v1", tags=["apologies"])

Reader = Annotated[Principal, allow(*STAFF, scope="dossiers:read")]
Approver = Annotated[Principal, allow(Role.LEADER)]
Sender = Annotated[Principal, allow(Role.LEADER, Role.OFFICER, scope="dossiers:write")]


@router.get(
    "/apologies",
    response_model=Page[ApologyOut],
    operation_id="list_apologies",
    summary="List apologies",
    description="Apologies of dossiers the caller's agency receives or resolves, oldest draft "
    "first; filter by `status`.",
    responses=error_responses(401, 403, 422),
)
async def list_apologies(
    session: SessionDep,
    principal: Reader,
    status: ApologyStatus | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ApologyOut]:
    key: tuple[datetime, uuid.UUID] | None = decode_keyset(
        cursor, cursor_instant, lambda v: uuid.UUID(str(v))
    )
    rows = await repository.list_visible(session, principal, status, key, limit)
    next_cursor = (
        encode_cursor([rows[-1].drafted_at.isoformat(), str(rows[-1].id)])
        if len(rows) == limit
        else None
    )
    return Page(items=[ApologyOut.model_validate(a) for a in rows], next_cursor=next_cursor)


@router.get(
    "/apologies/{apology_id}",
    response_model=ApologyOut,
    operation_id="get_apology",
    summary="Get an apology",
    description="404 unless the caller's agency may see the dossier.",
    responses=error_responses(401, 403, 404, 422),
)
async def get_apology(apology_id: uuid.UUID, session: SessionDep, principal: Reader) -> ApologyOut:
    return ApologyOut.model_validate(await service.get_or_404(session, principal, apology_id))


@router.get(
    "/dossiers/{code}/apology",
    response_model=ApologyOut,
    operation_id="get_dossier_apology",
    summary="The apology of a dossier",
    description="404 when the dossier has none.",
    responses=error_responses(401, 403, 404),
)
async def get_dossier_apology(code: str, session: SessionDep, principal: Reader) -> ApologyOut:
    return ApologyOut.model_validate(await service.for_dossier_or_404(session, principal, code))


@router.post(
    "/apologies/{apology_id}/approve",
    response_model=ApologyOut,
    operation_id="approve_apology",
    summary="Approve an apology (leader)",
    description="A leader of the resolving agency approves the draft, optionally editing the "
    "reason and the proposed new date (which must be after the current due date). The letter "
    "text is drafted again with the edits.",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def approve_apology(
    apology_id: uuid.UUID,
    session: SessionDep,
    principal: Approver,
    data: ApproveIn | None = None,
) -> ApologyOut:
    apology = await service.get_or_404(session, principal, apology_id)
    approved = await service.approve(session, principal, apology, data or ApproveIn(), utcnow())
    return ApologyOut.model_validate(approved)


@router.post(
    "/apologies/{apology_id}/send",
    response_model=ApologyOut,
    operation_id="send_apology",
    summary="Send an approved apology",
    description="The dossier's due date becomes the proposed one (`original_due_at` keeps the "
    "first), once only: a dossier is never rescheduled twice (409). Writes `apology.sent` with "
    "what a front end or SMS gateway needs. Leader or officer.",
    responses=error_responses(401, 403, 404, 409),
)
async def send_apology(apology_id: uuid.UUID, session: SessionDep, principal: Sender) -> ApologyOut:
    apology = await service.get_or_404(session, principal, apology_id)
    return ApologyOut.model_validate(await service.send(session, principal, apology, utcnow()))


@router.get(
    "/apologies/{apology_id}/document.pdf",
    operation_id="get_apology_document",
    summary="The letter as PDF (Mẫu 04)",
    description="Printable letter with the agency header and the national motto.",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **error_responses(401, 403, 404)},
)
async def apology_document(
    apology_id: uuid.UUID, session: SessionDep, principal: Reader
) -> Response:
    apology = await service.get_or_404(session, principal, apology_id)
    pdf = await service.document_pdf(session, principal, apology)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="apology-{apology.dossier_code}.pdf"'},
    )
