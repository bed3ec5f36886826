"""Routes of the mock portal: the portal's own API, the operators' view and the admin actions."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ValidationError

from services.core.errors import error_responses
from services.portal_mock import store
from services.portal_mock.auth import (
    WRONG_CREDENTIALS,
    PortalError,
    credentials_match,
    inject_faults,
    issue_session,
    require_session,
)
from services.portal_mock.backend import Delivery, new_portal_ref, now_iso, send_event
from services.portal_mock.schemas import (
    ALREADY_EXISTS,
    INVALID,
    MAX_SYNC_RECORDS,
    NOT_FOUND,
    OK,
    SYNC_SERVICE,
    DeliveryOut,
    DossierRecord,
    FaultsIn,
    FaultsOut,
    OnlineDossierIn,
    PaymentIn,
    PortalErrorBody,
    ReceivedItem,
    ReceivedPage,
    RecordResult,
    SummaryRequest,
    SummaryResponse,
    SyncRequest,
    SyncResponse,
    TokenRequest,
    TokenResponse,
    describe,
)

# Described in the OpenAPI components although FastAPI does not parse them (see schemas.py).
BODY_MODELS: tuple[type[BaseModel], ...] = (
    TokenRequest,
    SyncRequest,
    DossierRecord,
    SummaryRequest,
)

router = APIRouter()
Faulty = Depends(inject_faults)
Authenticated = Depends(require_session)


def _body(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
            },
        }
    }


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        401: "Missing, unknown or expired session",
        502: "The backend could not be reached",
        503: "Injected fault (any status set with `POST /_admin/faults`)",
    }
    return {s: {"model": PortalErrorBody, "description": descriptions[s]} for s in statuses}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    # 1e400 would parse as infinity, which jsonb cannot store.
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


async def _json_object(request: Request) -> dict[str, Any] | str:
    """The body as a JSON object, or the portal's message saying why it is not one."""
    raw = await request.body()
    try:
        body = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, RecursionError):
        return "Dữ liệu gửi lên không phải JSON hợp lệ"
    if not isinstance(body, dict):
        return "Dữ liệu gửi lên phải là một đối tượng JSON"
    # PostgreSQL cannot store NUL in jsonb text; refuse it here rather than fail on insert.
    if b"\\u0000" in raw:
        return "Dữ liệu gửi lên chứa ký tự NUL (\\u0000)"
    return body


def _text(record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    return value if isinstance(value, str) else None


# Portal API -------------------------------------------------------------------------------


@router.post(
    "/api/auth/token",
    tags=["portal"],
    response_model=TokenResponse,
    response_model_exclude_none=True,
    operation_id="portal_token",
    summary="Log in (session token)",
    description="Exchanges the gateway credentials (`MOTCUA_PORTAL_USERNAME` / "
    "`MOTCUA_PORTAL_PASSWORD`) for an opaque session, valid `expires_in` seconds; send it as "
    "`Authorization: Bearer <session>`. Wrong credentials → 401 `{error_code: 401, message}`; "
    "a malformed body → 200 with `error_code` 1.",
    dependencies=[Faulty],
    openapi_extra=_body(TokenRequest),
    responses={
        401: {"model": PortalErrorBody, "description": "Wrong username or password"},
        **_errors(503),
    },
)
async def token(request: Request) -> TokenResponse:
    body = await _json_object(request)
    if isinstance(body, str):
        return TokenResponse(error_code=INVALID, message=body)
    try:
        credentials = TokenRequest.model_validate(body)
    except ValidationError as exc:
        return TokenResponse(error_code=INVALID, message=describe(exc))
    if not credentials_match(credentials.username, credentials.password):
        raise PortalError(401, WRONG_CREDENTIALS)
    session, ttl = await issue_session(credentials.username)
    return TokenResponse(session=session, error_code=OK, expires_in=ttl)


RECORD_MESSAGES = {
    OK: "Tiếp nhận thành công",
    ALREADY_EXISTS: "Hồ sơ đã tồn tại",
    NOT_FOUND: "Hồ sơ không tồn tại",
}
DUPLICATE_MESSAGE = "Đã tiếp nhận trước đó (trùng IdempotencyKey), không lưu lại"


def _sync_failure(message: str) -> SyncResponse:
    return SyncResponse(error_code=INVALID, message=message, results=[])


@router.post(
    "/api/dossiers/sync",
    tags=["portal"],
    response_model=SyncResponse,
    operation_id="portal_sync_dossiers",
    summary="Sync dossiers (DongBoHoSoMC)",
    description="Creates (`isUpdating: false`) or updates (`isUpdating: true`) up to "
    f"{MAX_SYNC_RECORDS} dossier records. Each record is checked and answered on its own, in "
    "input order: `error_code` 0 accepted (`duplicate: true` when its `IdempotencyKey` was "
    "accepted before — nothing stored again), 1 invalid (the message names the fields), "
    "2 *Hồ sơ đã tồn tại* (create of an existing `MaHoSo`), 3 *Hồ sơ không tồn tại* (update "
    "of an unknown one). The answer's `error_code` is 0 only when every record was accepted. "
    "A wrong `service` or a malformed body is answered 200 with `error_code` 1 and no results.",
    dependencies=[Faulty, Authenticated],
    openapi_extra=_body(SyncRequest),
    responses=_errors(401, 503),
)
async def sync_dossiers(request: Request) -> SyncResponse:
    body = await _json_object(request)
    if isinstance(body, str):
        return _sync_failure(body)
    if body.get("service") != SYNC_SERVICE:
        return _sync_failure(f"Dịch vụ không hợp lệ: service phải là '{SYNC_SERVICE}'")
    is_updating = body.get("isUpdating")
    if not isinstance(is_updating, bool):
        return _sync_failure("Dữ liệu không hợp lệ — isUpdating: phải là true hoặc false")
    data = body.get("data")
    if not isinstance(data, list):
        return _sync_failure("Dữ liệu không hợp lệ — data: phải là danh sách hồ sơ")
    if len(data) > MAX_SYNC_RECORDS:
        return _sync_failure(f"Tối đa {MAX_SYNC_RECORDS} hồ sơ mỗi lần đồng bộ ({len(data)})")

    results: list[RecordResult | None] = []
    valid: list[tuple[int, dict[str, Any]]] = []
    for index, record in enumerate(data):
        if not isinstance(record, dict):
            results.append(
                RecordResult(
                    MaHoSo=None,
                    IdempotencyKey=None,
                    error_code=INVALID,
                    message="Dữ liệu không hợp lệ — hồ sơ phải là một đối tượng JSON",
                    duplicate=False,
                )
            )
            continue
        try:
            DossierRecord.model_validate(record)
        except ValidationError as exc:
            results.append(
                RecordResult(
                    MaHoSo=_text(record, "MaHoSo"),
                    IdempotencyKey=_text(record, "IdempotencyKey"),
                    error_code=INVALID,
                    message=describe(exc),
                    duplicate=False,
                )
            )
            continue
        results.append(None)
        valid.append((index, record))

    outcomes = await store.store_dossiers(is_updating, [record for _, record in valid])
    for (index, record), outcome in zip(valid, outcomes, strict=True):
        results[index] = RecordResult(
            MaHoSo=record["MaHoSo"],
            IdempotencyKey=record["IdempotencyKey"],
            error_code=outcome.error_code,
            message=DUPLICATE_MESSAGE if outcome.duplicate else RECORD_MESSAGES[outcome.error_code],
            duplicate=outcome.duplicate,
        )
    answered = [r for r in results if r is not None]
    failed = sum(1 for r in answered if r.error_code != OK)
    if failed:
        message = f"{failed}/{len(answered)} hồ sơ không đồng bộ được"
    else:
        message = f"Đồng bộ thành công {len(answered)} hồ sơ"
    return SyncResponse(error_code=INVALID if failed else OK, message=message, results=answered)


@router.post(
    "/api/summaries",
    tags=["portal"],
    response_model=SummaryResponse,
    operation_id="portal_push_summary",
    summary="Push a periodic summary",
    description="Stores the summary (counts by state, overdue dossiers and their apologies, "
    "KPI values — any fields) once per `IdempotencyKey`; a repeat is answered `error_code` 0 "
    "with `duplicate: true`. `IdempotencyKey` and `MaDonVi` are required; a malformed body is "
    "answered 200 with `error_code` 1.",
    dependencies=[Faulty, Authenticated],
    openapi_extra=_body(SummaryRequest),
    responses=_errors(401, 503),
)
async def push_summary(request: Request) -> SummaryResponse:
    body = await _json_object(request)
    if isinstance(body, str):
        return SummaryResponse(error_code=INVALID, message=body)
    try:
        SummaryRequest.model_validate(body)
    except ValidationError as exc:
        return SummaryResponse(
            error_code=INVALID, message=describe(exc), IdempotencyKey=_text(body, "IdempotencyKey")
        )
    outcome = await store.store_summary(body)
    return SummaryResponse(
        error_code=OK,
        message=DUPLICATE_MESSAGE if outcome.duplicate else "Tiếp nhận báo cáo thành công",
        IdempotencyKey=body["IdempotencyKey"],
        duplicate=outcome.duplicate,
    )


# Operators --------------------------------------------------------------------------------


@router.get(
    "/api/received",
    tags=["operators"],
    response_model=ReceivedPage,
    operation_id="portal_list_received",
    summary="What the portal accepted",
    description="Every accepted dossier record and summary, oldest first (duplicates are not "
    "stored, refused records neither). Filter by `kind`, by `code` (MaHoSo of a dossier, "
    "MaDonVi of a summary) or by `idempotency_key`. For operators and tests; never faulty.",
    dependencies=[Authenticated],
    responses={**_errors(401), **error_responses(422)},
)
async def list_received(
    kind: Literal["dossier", "summary"] | None = None,
    code: Annotated[str | None, Query(max_length=100)] = None,
    idempotency_key: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> ReceivedPage:
    rows, total = await store.list_received(
        kind=kind, code=code, idempotency_key=idempotency_key, limit=limit, offset=offset
    )
    return ReceivedPage(
        items=[ReceivedItem.model_validate(row, from_attributes=True) for row in rows],
        total=total,
    )


# Admin ------------------------------------------------------------------------------------


def _faults_out(faults: store.Faults | None) -> FaultsOut:
    if faults is None:
        return FaultsOut(active=False, fail_rate=0, latency_ms=0, status=503)
    return FaultsOut(
        active=True, fail_rate=faults.fail_rate, latency_ms=faults.latency_ms, status=faults.status
    )


@router.get(
    "/_admin/faults",
    tags=["admin"],
    response_model=FaultsOut,
    operation_id="portal_get_faults",
    summary="Current injected faults",
    description="The fault settings shared by every mock process (`active: false` when none).",
    dependencies=[Authenticated],
    responses=_errors(401),
)
async def get_faults() -> FaultsOut:
    return _faults_out(await store.get_faults())


@router.post(
    "/_admin/faults",
    tags=["admin"],
    response_model=FaultsOut,
    operation_id="portal_set_faults",
    summary="Inject faults",
    description="From now on every data request (token, sync, summaries) of every mock process "
    "first waits `latency_ms`, then with probability `fail_rate` answers `status` "
    "`{error_code: status, message: 'Lỗi hệ thống (giả lập)'}` without storing anything.",
    dependencies=[Authenticated],
    responses={**_errors(401), **error_responses(422)},
)
async def set_faults(faults: FaultsIn) -> FaultsOut:
    current = store.Faults(faults.fail_rate, faults.latency_ms, faults.status)
    await store.set_faults(current)
    return _faults_out(current)


@router.delete(
    "/_admin/faults",
    tags=["admin"],
    response_model=FaultsOut,
    operation_id="portal_clear_faults",
    summary="Stop injecting faults",
    description="The portal answers normally again, in every mock process.",
    dependencies=[Authenticated],
    responses=_errors(401),
)
async def clear_faults() -> FaultsOut:
    await store.clear_faults()
    return _faults_out(None)


def _delivery_out(delivery: Delivery, portal_ref: str) -> DeliveryOut:
    return DeliveryOut(
        msg_id=delivery.msg_id,
        portal_ref=portal_ref,
        event=delivery.event,
        backend_status=delivery.status_code,
        backend_body=delivery.body,
    )


@router.post(
    "/_admin/online-dossiers",
    tags=["admin"],
    response_model=DeliveryOut,
    operation_id="portal_file_online_dossier",
    summary="File a dossier online (send dossier.submitted)",
    description="Plays a citizen filing on the portal: sends a `dossier.submitted` event, signed "
    "per Standard Webhooks with `MOTCUA_PORTAL_WEBHOOK_SECRET`, to `MOTCUA_API_URL` + "
    "`/api/v1/inbound/portal`, and answers 200 with the backend's status and body (whatever "
    "they are) and the `msg_id`; 502 when the backend cannot be reached.",
    dependencies=[Authenticated],
    responses={**_errors(401, 502), **error_responses(422)},
)
async def file_online_dossier(data: OnlineDossierIn) -> DeliveryOut:
    portal_ref = new_portal_ref()
    payload = {
        "procedure_code": data.procedure_code,
        "receiving_agency_code": data.receiving_agency_code,
        "applicant": data.applicant.model_dump(exclude_none=True),
        "summary": data.summary,
        "submitted_at": now_iso(),
        "portal_ref": portal_ref,
    }
    return _delivery_out(await send_event("dossier.submitted", payload, data.msg_id), portal_ref)


@router.post(
    "/_admin/payments",
    tags=["admin"],
    response_model=DeliveryOut,
    operation_id="portal_complete_payment",
    summary="Pay a fee online (send payment.completed)",
    description="Plays an online payment on the portal's payment platform: sends a signed "
    "`payment.completed` event for `dossier_code` to the backend, and answers as "
    "`POST /_admin/online-dossiers` does.",
    dependencies=[Authenticated],
    responses={**_errors(401, 502), **error_responses(422)},
)
async def complete_payment(data: PaymentIn) -> DeliveryOut:
    portal_ref = new_portal_ref()
    payload = {
        "dossier_code": data.dossier_code,
        "amount_vnd": data.amount_vnd,
        "paid_at": now_iso(),
        "portal_ref": portal_ref,
    }
    return _delivery_out(await send_event("payment.completed", payload, data.msg_id), portal_ref)
