"""Routes of internal processes and work items: thin — parse, authorise, call the service."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.core.clock import utcnow
from services.core.db import SessionDep
from services.core.errors import error_responses
from services.core.pagination import CursorQuery, LimitQuery, Page
from services.identity.dependencies import STAFF, allow
from services.identity.principal import Principal
from services.identity.schemas import AgencyCode
from services.procedures.endpoints import ReadAccess, WriteAccess
from services.processes import service
from services.processes.schemas import ProcessIn, ProcessOut, StepRole, WorkItemOut

router = APIRouter(prefix="/api/v1")

Reader = Annotated[Principal, allow(*STAFF, scope="dossiers:read")]
PROCESS_PATH = "/procedures/{code}/process"


@router.put(
    PROCESS_PATH,
    response_model=ProcessOut,
    tags=["processes"],
    operation_id="put_procedure_process",
    summary="Define the procedure's internal process (a new version)",
    description="Ordered steps with the role (and optionally the agency, for liên thông) that "
    "performs each and its share of the time limit. The stages must add up to the procedure's "
    "limit (a parallel group counts as its longest step); 422 lists what does not. Each call "
    "makes a new version: dossiers already received keep the version they started under. "
    "Admin, or an API key with `procedures:write`.",
    responses=error_responses(401, 403, 404, 422),
)
async def put_process(
    code: str, data: ProcessIn, session: SessionDep, principal: WriteAccess
) -> ProcessOut:
    process, procedure, _ = await service.put_process(
        session, code, data, principal.actor, utcnow()
    )
    return service.to_out(process, Decimal(procedure.time_limit_value), procedure.time_limit_unit)


@router.get(
    PROCESS_PATH,
    response_model=ProcessOut,
    tags=["processes"],
    operation_id="get_procedure_process",
    summary="The procedure's internal process",
    description="The current version, or `?version=N` for an earlier one (what a running "
    "dossier follows). 404 when the procedure has none.",
    responses=error_responses(401, 403, 404, 422),
)
async def get_process(
    code: str,
    session: SessionDep,
    principal: ReadAccess,
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> ProcessOut:
    process, procedure = await service.get_process(session, code, version)
    return service.to_out(process, Decimal(procedure.time_limit_value), procedure.time_limit_unit)


@router.delete(
    PROCESS_PATH,
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["processes"],
    operation_id="delete_procedure_process",
    summary="Withdraw the procedure's internal process",
    description="Dossiers received from now on run without a process (one step per state); "
    "running dossiers keep theirs. Earlier versions stay readable with `?version=`.",
    responses=error_responses(401, 403, 404),
)
async def delete_process(code: str, session: SessionDep, principal: WriteAccess) -> Response:
    await service.retire_process(session, code, utcnow())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/work-items",
    response_model=Page[WorkItemOut],
    tags=["processes"],
    operation_id="list_work_items",
    summary="My work: the steps my agency and role hold",
    description="Active steps held by the caller's agency, earliest deadline first, so overdue "
    "ones come first. Officers and specialists see the steps of their role; leaders, viewers "
    "and API keys every role. `role` narrows the list; admins may pick an `agency_code`.",
    responses=error_responses(401, 403, 422),
)
async def list_work_items(
    session: SessionDep,
    principal: Reader,
    role: StepRole | None = None,
    overdue: bool | None = None,
    mine: Annotated[
        bool, Query(description="Only dossiers assigned to me (`assign {assignee_username}`)")
    ] = False,
    agency_code: Annotated[AgencyCode | None, Query()] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[WorkItemOut]:
    return await service.list_work_items(
        session, principal, role, overdue, mine, agency_code, cursor, limit, utcnow()
    )
