"""The procedure catalogue (danh mục TTHC): a shared list, not scoped to an agency."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import JSONResponse

from services.core.db import SessionDep
from services.core.errors import error_responses
from services.core.idempotency import IdempotencyKey, created
from services.core.pagination import (
    CursorQuery,
    LimitQuery,
    Page,
    cursor_str,
    decode_keyset,
    encode_cursor,
)
from services.identity.dependencies import STAFF, Rule, allow
from services.identity.models import Role
from services.identity.principal import Principal
from services.procedures import repository, service
from services.procedures.models import OnlineLevel, SectorGroup
from services.procedures.schemas import (
    ONLINE_LEVEL_DOC,
    SECTOR_GROUP_DOC,
    ProcedureCreate,
    ProcedureOut,
    ProcedureUpdate,
)
from services.processes import service as processes

router = APIRouter(prefix="/api/v1")


class AnyScopeRule(Rule):
    """A :class:`Rule` that an API key passes with any one of several scopes."""

    def __init__(self, roles: tuple[Role, ...], scopes: tuple[str, ...]) -> None:
        super().__init__(roles, scopes[0])
        self.scopes = frozenset(scopes)

    def allows(self, principal: Principal) -> bool:
        if principal.kind == "api_key" and not principal.is_admin:
            return bool(self.scopes & principal.scopes)
        return super().allows(principal)


# Dossier integrators need the catalogue to file dossiers, hence dossiers:read too.
ReadAccess = Annotated[
    Principal,
    Depends(AnyScopeRule(STAFF, ("procedures:read", "dossiers:read")).dependency()),
]
WriteAccess = Annotated[Principal, allow(scope="procedures:write")]


@router.post(
    "/procedures",
    response_model=ProcedureOut,
    status_code=status.HTTP_201_CREATED,
    tags=["procedures"],
    operation_id="create_procedure",
    summary="Create a procedure",
    description="Admin, or an API key with scope `procedures:write`. `code` is the Mã TTHC of "
    "the National TTHC Database (`d.dddddd`); 409 when it exists. `time_limit.value` must be "
    "> 0 (a whole number for `calendar_days`), and 0 or omitted for `same_day`.",
    responses=error_responses(401, 403, 409, 422),
)
async def create_procedure(
    data: ProcedureCreate,
    session: SessionDep,
    principal: WriteAccess,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def produce() -> ProcedureOut:
        return ProcedureOut.of(await service.create_procedure(session, data))

    body = data.model_dump(mode="json")
    return await created(session, principal.caller, idempotency_key, body, produce)


@router.get(
    "/procedures",
    response_model=Page[ProcedureOut],
    tags=["procedures"],
    operation_id="list_procedures",
    summary="List procedures",
    description="Any staff, or an API key with scope `procedures:read` or `dossiers:read`. "
    "Ordered by code. `q` matches the name ignoring case and diacritics (`dang ky khai sinh` "
    "finds *Thủ tục đăng ký khai sinh*) or the beginning of the code.",
    responses=error_responses(401, 403, 422),
)
async def list_procedures(
    session: SessionDep,
    _: ReadAccess,
    sector_group: Annotated[SectorGroup | None, Query(description=SECTOR_GROUP_DOC)] = None,
    sector_code: Annotated[str | None, Query(max_length=64, description="Mã lĩnh vực")] = None,
    online_level: Annotated[OnlineLevel | None, Query(description=ONLINE_LEVEL_DOC)] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200, description="Name (any case, with or without accents) or code prefix"
        ),
    ] = None,
    active: Annotated[
        bool, Query(description="true: procedures in force; false: withdrawn ones")
    ] = True,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[ProcedureOut]:
    after = decode_keyset(cursor, cursor_str)
    rows = await repository.list_procedures(
        session,
        sector_group=sector_group,
        sector_code=sector_code,
        online_level=online_level,
        q=q,
        active=active,
        after=str(after[0]) if after else None,
        limit=limit,
    )
    next_cursor = encode_cursor([rows[-1].code]) if len(rows) == limit else None
    return Page(items=[ProcedureOut.of(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/procedures/{code}",
    response_model=ProcedureOut,
    tags=["procedures"],
    operation_id="get_procedure",
    summary="Get a procedure",
    description="Any staff, or an API key with scope `procedures:read` or `dossiers:read`. "
    "Withdrawn procedures are returned too (`is_active: false`).",
    responses=error_responses(401, 403, 404),
)
async def get_procedure(code: str, session: SessionDep, _: ReadAccess) -> ProcedureOut:
    return ProcedureOut.of(await service.get_procedure_or_404(session, code))


@router.patch(
    "/procedures/{code}",
    response_model=ProcedureOut,
    tags=["procedures"],
    operation_id="update_procedure",
    summary="Update a procedure",
    description="Admin, or an API key with scope `procedures:write`. Send only the fields to "
    "change; `time_limit` may carry `value`, `unit` or both and is checked against the stored "
    "other half. Dossiers already received keep the terms and due date they were received "
    "under.",
    responses=error_responses(401, 403, 404, 422),
)
async def update_procedure(
    code: str, data: ProcedureUpdate, session: SessionDep, _: WriteAccess
) -> ProcedureOut:
    procedure = await service.get_procedure_or_404(session, code)
    updated = await service.update_procedure(session, procedure, data)
    await processes.check_still_fits(session, updated)
    return ProcedureOut.of(updated)
