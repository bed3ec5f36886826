"""The published procedure catalogue (công khai TTHC) for the commune's portal and kiosks:
no login, cacheable with ETag / If-None-Match."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Response
from pydantic import BaseModel, Field

from services.core.db import SessionDep
from services.core.errors import NotFound, error_responses
from services.core.pagination import (
    CursorQuery,
    LimitQuery,
    Page,
    cursor_str,
    decode_keyset,
    encode_cursor,
)
from services.core.redis import limit_catalogue
from services.procedures import repository
from services.procedures.models import OnlineLevel, Procedure, SectorGroup
from services.procedures.schemas import (
    BOUNDARY_FREE_DOC,
    ONLINE_LEVEL_DOC,
    SECTOR_GROUP_DOC,
    TimeLimitOut,
)

public_router = APIRouter(
    prefix="/api/v1/public/procedures", tags=["public"], dependencies=[Depends(limit_catalogue)]
)

# Kiosks and the portal may reuse an answer this long without asking; after that a
# conditional request costs one query and an empty 304.
CACHE_CONTROL = "public, max-age=300"
IfNoneMatch = Annotated[
    str | None, Header(description="The `ETag` of a previous answer: 304 if unchanged.")
]


class PublicProcedureOut(BaseModel):
    code: str
    name: str
    sector_code: str
    sector_name: str
    sector_group: SectorGroup = Field(description=SECTOR_GROUP_DOC)
    time_limit: TimeLimitOut
    fee_vnd: int | None = Field(description="VND; `null` = variable or set by the province")
    online_level: OnlineLevel | None = Field(description=ONLINE_LEVEL_DOC)
    boundary_free: bool = Field(description=BOUNDARY_FREE_DOC)

    @classmethod
    def of(cls, procedure: Procedure) -> PublicProcedureOut:
        return cls(
            code=procedure.code,
            name=procedure.name,
            sector_code=procedure.sector_code,
            sector_name=procedure.sector_name,
            sector_group=procedure.sector_group,
            time_limit=TimeLimitOut(
                value=procedure.time_limit_value, unit=procedure.time_limit_unit
            ),
            fee_vnd=procedure.fee_vnd,
            online_level=procedure.online_level,
            boundary_free=procedure.boundary_free,
        )


def _cached(body: dict[str, Any], if_none_match: str | None) -> Response:
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    etag = '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        if etag in tags or "*" in tags:
            return Response(status_code=304, headers=headers)
    return Response(raw, media_type="application/json", headers=headers)


_CACHED_RESPONSES: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the `If-None-Match` tag is current."}
}


@public_router.get(
    "",
    response_model=Page[PublicProcedureOut],
    operation_id="public_list_procedures",
    summary="The published procedure catalogue",
    description="No login. Procedures in force, ordered by code: name, sector, time limit, fee, "
    "online level, boundary-free flag. `q` matches the name ignoring case and diacritics "
    "(`dang ky khai sinh` finds *Thủ tục đăng ký khai sinh*). Answers carry an `ETag` and "
    "`Cache-Control`; send `If-None-Match` to get 304 when nothing changed. Rate-limited per "
    "address (`MOTCUA_PUBLIC_CATALOGUE_RATE_LIMIT_PER_MINUTE`, 429 with `Retry-After`).",
    responses={**_CACHED_RESPONSES, **error_responses(422, 429)},
)
async def public_list_procedures(
    session: SessionDep,
    sector_group: Annotated[SectorGroup | None, Query(description=SECTOR_GROUP_DOC)] = None,
    sector_code: Annotated[str | None, Query(max_length=64, description="Mã lĩnh vực")] = None,
    online_level: Annotated[OnlineLevel | None, Query(description=ONLINE_LEVEL_DOC)] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Name, with or without accents, or code")
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    after = decode_keyset(cursor, cursor_str)
    rows = await repository.list_procedures(
        session,
        sector_group=sector_group,
        sector_code=sector_code,
        online_level=online_level,
        q=q,
        after=str(after[0]) if after else None,
        limit=limit,
    )
    next_cursor = encode_cursor([rows[-1].code]) if len(rows) == limit else None
    page = Page[PublicProcedureOut](
        items=[PublicProcedureOut.of(r) for r in rows], next_cursor=next_cursor
    )
    return _cached(page.model_dump(mode="json"), if_none_match)


@public_router.get(
    "/{code}",
    response_model=PublicProcedureOut,
    operation_id="public_get_procedure",
    summary="A published procedure",
    description="No login; 404 for an unknown or withdrawn procedure. `ETag` / "
    "`If-None-Match` as for the list.",
    responses={**_CACHED_RESPONSES, **error_responses(404, 429)},
)
async def public_get_procedure(
    code: Annotated[str, Path(max_length=8)],
    session: SessionDep,
    if_none_match: IfNoneMatch = None,
) -> Response:
    procedure = await repository.get_procedure(session, code)
    if procedure is None or not procedure.is_active:
        raise NotFound(f"procedure {code} not found")
    return _cached(PublicProcedureOut.of(procedure).model_dump(mode="json"), if_none_match)
