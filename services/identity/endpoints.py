"""Login, agencies, users and API keys (admin)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from services.core.db import SessionDep
from services.core.errors import NotFound, error_responses
from services.core.idempotency import IdempotencyKey, created
from services.core.pagination import (
    CursorQuery,
    LimitQuery,
    Page,
    cursor_str,
    decode_keyset,
    encode_cursor,
)
from services.core.redis import rate_limit, reset_limit
from services.core.settings import get_settings
from services.identity import repository, service
from services.identity.dependencies import AdminOnly, AnyStaff, CurrentPrincipal
from services.identity.schemas import (
    AgencyCode,
    AgencyCreate,
    AgencyOut,
    AgencyUpdate,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    Me,
    Token,
    UserCreate,
    UserOut,
)

router = APIRouter(prefix="/api/v1")

# Ten wrong guesses per account and address in five minutes, then wait: slows guessing to a crawl
# while a person who mistyped twice is never blocked.
LOGIN_ATTEMPTS, LOGIN_WINDOW_S = 10, 300


@router.post(
    "/auth/token",
    response_model=Token,
    tags=["auth"],
    operation_id="login",
    summary="Log in (OAuth2 password flow)",
    description="Exchange a staff username and password for a bearer token. Swagger UI's "
    "*Authorize* button uses this. Repeated failures are throttled (429).",
    responses=error_responses(401, 422, 429),
)
async def login(
    request: Request, session: SessionDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> Token:
    client = request.client.host if request.client else "-"
    throttle_key = f"login:{form.username.strip().lower()[:64]}:{client}"
    await rate_limit(throttle_key, LOGIN_ATTEMPTS, LOGIN_WINDOW_S)
    user = await service.authenticate(session, form.username, form.password)
    await reset_limit(throttle_key)
    token, ttl = service.issue_token(get_settings(), user)
    return Token(access_token=token, expires_in=ttl)


@router.get(
    "/auth/me",
    response_model=Me,
    tags=["auth"],
    operation_id="whoami",
    summary="Who am I",
    description="The caller's identity, agency, role and scopes.",
    responses=error_responses(401),
)
async def whoami(principal: CurrentPrincipal) -> Me:
    return Me(
        kind=principal.kind,
        name=principal.name,
        agency_code=principal.agency_code,
        role=principal.role,
        scopes=sorted(principal.scopes),
    )


@router.post(
    "/agencies",
    response_model=AgencyOut,
    status_code=status.HTTP_201_CREATED,
    tags=["agencies"],
    operation_id="create_agency",
    summary="Create an agency",
    description="Admin only. `code` is the agency's electronic identifier.",
    responses=error_responses(401, 403, 409, 422),
)
async def create_agency(
    data: AgencyCreate,
    session: SessionDep,
    principal: AdminOnly,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def produce() -> AgencyOut:
        return AgencyOut.model_validate(await service.create_agency(session, data))

    body = data.model_dump(mode="json")
    return await created(session, principal.caller, idempotency_key, body, produce)


@router.get(
    "/agencies",
    response_model=Page[AgencyOut],
    tags=["agencies"],
    operation_id="list_agencies",
    summary="List agencies",
    description="Admins see every agency; staff and keys see their own.",
    responses=error_responses(401, 403, 422),
)
async def list_agencies(
    session: SessionDep, principal: AnyStaff, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[AgencyOut]:
    after = decode_keyset(cursor, cursor_str)
    rows = await repository.list_agencies(session, principal, after[0] if after else None, limit)
    next_cursor = encode_cursor([rows[-1].code]) if len(rows) == limit else None
    return Page(items=[AgencyOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/agencies/{code}",
    response_model=AgencyOut,
    tags=["agencies"],
    operation_id="get_agency",
    summary="Get an agency",
    description="404 for another agency unless admin.",
    responses=error_responses(401, 403, 404),
)
async def get_agency(code: str, session: SessionDep, principal: AnyStaff) -> AgencyOut:
    return AgencyOut.model_validate(await service.get_agency_or_404(session, principal, code))


@router.patch(
    "/agencies/{code}",
    response_model=AgencyOut,
    tags=["agencies"],
    operation_id="update_agency",
    summary="Update an agency",
    description="Admin only: name, signer title/name (printed on letters), address.",
    responses=error_responses(401, 403, 404, 422),
)
async def update_agency(
    code: str, data: AgencyUpdate, session: SessionDep, principal: AdminOnly
) -> AgencyOut:
    agency = await service.get_agency_or_404(session, principal, code)
    return AgencyOut.model_validate(await service.update_agency(session, agency, data))


@router.post(
    "/users",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    tags=["users"],
    operation_id="create_user",
    summary="Create a staff account",
    description="Admin only. Passwords: at least 10 characters, not only letters or "
    "digits, not containing the username.",
    responses=error_responses(401, 403, 409, 422),
)
async def create_user(
    data: UserCreate,
    session: SessionDep,
    principal: AdminOnly,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def produce() -> UserOut:
        return UserOut.model_validate(await service.create_user(session, data))

    # The fingerprint leaves the password out: an unsalted hash of it must not be stored.
    body = data.model_dump(mode="json", exclude={"password"})
    return await created(session, principal.caller, idempotency_key, body, produce)


@router.get(
    "/users",
    response_model=Page[UserOut],
    tags=["users"],
    operation_id="list_users",
    summary="List staff accounts",
    description="Admin only; filter by agency.",
    responses=error_responses(401, 403, 422),
)
async def list_users(
    session: SessionDep,
    principal: AdminOnly,
    agency_code: Annotated[AgencyCode | None, Query()] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[UserOut]:
    after = decode_keyset(cursor, cursor_str)
    rows = await repository.list_users(
        session, principal, agency_code, after[0] if after else None, limit
    )
    next_cursor = encode_cursor([rows[-1].username]) if len(rows) == limit else None
    return Page(items=[UserOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    tags=["api-keys"],
    operation_id="create_api_key",
    summary="Create an API key",
    description="Admin only. The key is returned once; only its hash is stored. A repeated "
    "`Idempotency-Key` creates nothing and answers 409, since the key cannot be shown again.",
    responses=error_responses(401, 403, 422),
)
async def create_api_key(
    data: ApiKeyCreate,
    session: SessionDep,
    principal: AdminOnly,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    async def produce() -> ApiKeyCreated:
        api_key, key = await service.create_api_key(session, data)
        return ApiKeyCreated(**ApiKeyOut.model_validate(api_key).model_dump(), key=key)

    body = data.model_dump(mode="json")
    return await created(
        session, principal.caller, idempotency_key, body, produce, shown_once="key"
    )


@router.get(
    "/api-keys",
    response_model=Page[ApiKeyOut],
    tags=["api-keys"],
    operation_id="list_api_keys",
    summary="List API keys",
    description="Admin only. Keys are never shown again, only their prefix.",
    responses=error_responses(401, 403, 422),
)
async def list_api_keys(
    session: SessionDep, _: AdminOnly, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> Page[ApiKeyOut]:
    after = decode_keyset(cursor, cursor_str)
    rows = await repository.list_api_keys(session, after[0] if after else None, limit)
    next_cursor = encode_cursor([rows[-1].prefix]) if len(rows) == limit else None
    return Page(items=[ApiKeyOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.delete(
    "/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["api-keys"],
    operation_id="revoke_api_key",
    summary="Revoke an API key",
    description="Admin only. The key stops working at once.",
    responses=error_responses(401, 403, 404, 422),
)
async def revoke_api_key(key_id: uuid.UUID, session: SessionDep, _: AdminOnly) -> None:
    api_key = await repository.get_api_key(session, key_id)
    if api_key is None:
        raise NotFound(f"API key {key_id} not found")
    await service.revoke_api_key(session, api_key)
