"""Dossier routes: thin — parse, authorise, call the service."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Header, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from services.core.clock import utcnow
from services.core.db import SessionDep, hot_reader, request_session
from services.core.errors import Conflict, error_responses
from services.core.idempotency import IDEMPOTENCY_KEY, IdempotencyKey
from services.core.pagination import (
    CursorQuery,
    LimitQuery,
    Page,
    cursor_int,
    decode_keyset,
    encode_cursor,
)
from services.core.redis import limit_public
from services.core.routing import (
    ServedRoute,
    TextParameter,
    TextParameters,
    body_model,
    json_body,
    reads_itself,
    with_body,
)
from services.core.security import lookup_token
from services.core.settings import get_settings
from services.core.types import InstantIn
from services.dossiers import documents, repository, service
from services.dossiers.models import DossierStatus
from services.dossiers.schemas import (
    AssignIn,
    DossierCreate,
    DossierOut,
    HistoryOut,
    ListFilters,
    NoteIn,
    PaymentReceivedIn,
    PaymentRequestIn,
    PublicDossierOut,
    ReasonIn,
    ResolveIn,
    ReturnIn,
    SupplementRequestIn,
)
from services.dossiers.workflow import Action
from services.identity import repository as identity_repo
from services.identity.dependencies import STAFF, Rule, allow
from services.identity.models import Role
from services.identity.principal import Principal
from services.procedures.models import SectorGroup
from services.processes import service as processes
from services.processes.schemas import StepOut

router = APIRouter(prefix="/api/v1/dossiers", tags=["dossiers"], route_class=ServedRoute)
public_router = APIRouter(prefix="/api/v1/public", tags=["public"])

Reader = Annotated[Principal, allow(*STAFF, scope="dossiers:read")]
RECEIVE = Rule((Role.LEADER, Role.OFFICER), scope="dossiers:write")
Receiver = Annotated[Principal, RECEIVE.depends()]
Actor = Annotated[
    Principal, allow(Role.LEADER, Role.OFFICER, Role.SPECIALIST, scope="dossiers:write")
]
IfMatch = Annotated[
    str | None,
    Header(description='The dossier `version` you last read (`"3"`); 412 if it changed since.'),
]


def _etag(version: int) -> dict[str, str]:
    return {"ETag": f'"{version}"'}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DossierOut,
    operation_id="create_dossier",
    summary="Receive a dossier",
    description="An officer receives a dossier in person or by post (status `received`, due "
    "date computed from the procedure's time limit and the working calendar); online filings "
    "arrive as `submitted`. The response carries the `lookup_token` printed on the receipt, "
    "shown only here. Send `Idempotency-Key` to make retries safe.",
    responses=error_responses(401, 403, 409, 422),
)
@reads_itself(data=DossierCreate, principal=Receiver, idempotency_key=(IdempotencyKey, None))
async def create_dossier(request: Request) -> Response:
    # The busiest write (docs/performance.md): FastAPI solving its inputs cost more than the
    # reception itself, so it reads them as declared above, in FastAPI's order.
    body = await json_body(request)
    async with request_session(request) as session:
        principal = await RECEIVE.authorise(request, session)
    key = IDEMPOTENCY_KEY.value(request)
    data, errors = body_model(DossierCreate, body)
    problem = IDEMPOTENCY_KEY.problem(key)
    if data is None or problem is not None:
        raise RequestValidationError(([problem] if problem else []) + errors)
    answer = await service.receive(
        partial(request_session, request),
        await hot_reader(request),
        principal,
        data,
        utcnow(),
        get_settings(),
        key,
    )
    return Response(
        orjson.dumps(answer), 201, _etag(answer["version"]), media_type="application/json"
    )


@router.get(
    "",
    response_model=Page[DossierOut],
    operation_id="list_dossiers",
    summary="List dossiers",
    description="Dossiers the caller's agency receives or resolves, newest first. `q` finds a "
    "code prefix or an applicant name ignoring case and diacritics (`nguyen van a`).",
    responses=error_responses(401, 403, 422),
)
async def list_dossiers(
    session: SessionDep,
    principal: Reader,
    status_: Annotated[DossierStatus | None, Query(alias="status")] = None,
    overdue: bool | None = None,
    procedure_code: Annotated[str | None, Query(max_length=8)] = None,
    sector_group: SectorGroup | None = None,
    received_from: InstantIn | None = None,
    received_to: InstantIn | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[DossierOut]:
    filters = ListFilters(
        status=status_,
        overdue=overdue,
        procedure_code=procedure_code,
        sector_group=sector_group,
        received_from=received_from,
        received_to=received_to,
        q=q,
    )
    after = decode_keyset(cursor, cursor_int)
    now = utcnow()
    rows = await repository.list_visible(
        session, principal, filters, after[0] if after else None, limit, now
    )
    next_cursor = encode_cursor([rows[-1].id]) if len(rows) == limit else None
    return Page(items=[service.dossier_json(d, now) for d in rows], next_cursor=next_cursor)


@router.get(
    "/{code}",
    response_model=DossierOut,
    operation_id="get_dossier",
    summary="Get a dossier",
    description="404 unless the caller's agency receives or resolves it. The `ETag` header is "
    "the version to send back as `If-Match`.",
    responses=error_responses(401, 403, 404),
)
async def get_dossier(
    code: str, session: SessionDep, principal: Reader, response: Response
) -> dict[str, Any]:
    dossier = await service.get_or_404(session, principal, code)
    response.headers.update(_etag(dossier.version))
    return service.dossier_json(dossier, utcnow())


@router.get(
    "/{code}/history",
    response_model=list[HistoryOut],
    operation_id="get_dossier_history",
    summary="Control sheet (Mẫu 05)",
    description="Every transition in order: who, when, from → to, note. Append-only.",
    responses=error_responses(401, 403, 404),
)
async def get_history(code: str, session: SessionDep, principal: Reader) -> list[HistoryOut]:
    dossier = await service.get_or_404(session, principal, code)
    return [service.history_out(h) for h in await repository.history(session, dossier.id)]


@router.get(
    "/{code}/steps",
    response_model=list[StepOut],
    operation_id="list_dossier_steps",
    summary="Steps of the dossier's internal process",
    description="Every step of the process version the dossier runs under, with its holder, "
    "deadline and result; an empty list for a dossier without a process.",
    responses=error_responses(401, 403, 404),
)
async def list_steps(code: str, session: SessionDep, principal: Reader) -> list[StepOut]:
    dossier = await service.get_or_404(session, principal, code)
    now = utcnow()
    return [processes.step_out(s, now) for s in await processes.steps_of(session, dossier.id)]


@router.post(
    "/{code}/steps/{n}/complete",
    response_model=DossierOut,
    operation_id="complete_dossier_step",
    summary="Complete a step of the internal process",
    description="The holder of step `n` (its agency; its role, or a leader) hands the dossier "
    "on: the step is judged before / on / after its deadline and the next stage starts, with "
    "its deadline counted in working time from now. 409 when `n` is not a current step or the "
    "dossier waits for the applicant; 403 for another agency or role; 412 on a stale "
    "`If-Match`.",
    responses=error_responses(401, 403, 404, 409, 412, 422),
)
async def complete_step(
    code: str,
    n: Annotated[int, Path(ge=1, le=1000)],
    session: SessionDep,
    principal: Actor,
    response: Response,
    body: Annotated[NoteIn | None, Body()] = None,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    dossier = await service.get_or_404(session, principal, code, for_update=True)
    now = utcnow()
    note = body.note if body else None
    await service.complete_step(session, principal, dossier, n, note, now, if_match)
    response.headers.update(_etag(dossier.version))
    return service.dossier_json(dossier, now)


@router.get(
    "/{code}/control-sheet.pdf",
    operation_id="get_dossier_control_sheet",
    summary="Control sheet (Mẫu 05) as PDF",
    description="Phiếu kiểm soát quá trình giải quyết hồ sơ: one row per step of the internal "
    "process (handed over by, received by, times, deadline, result before / on / after), or "
    "per transition for a dossier without a process.",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **error_responses(401, 403, 404)},
)
async def get_control_sheet(code: str, session: SessionDep, principal: Reader) -> Response:
    dossier = await service.get_or_404(session, principal, code)
    agency = await identity_repo.get_agency(session, dossier.receiving_agency_code)
    assert agency is not None
    now = utcnow()
    steps = [processes.step_out(s, now) for s in await processes.steps_of(session, dossier.id)]
    history = [service.history_out(h) for h in await repository.history(session, dossier.id)]
    pdf = documents.control_sheet_pdf(dossier, agency, steps, history)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="control-sheet-{dossier.code}.pdf"'},
    )


@router.get(
    "/{code}/receipt.pdf",
    operation_id="get_dossier_receipt",
    summary="Receipt (Mẫu 01) as PDF",
    description="Giấy tiếp nhận hồ sơ và hẹn trả kết quả: code, applicant, procedure, received "
    "and due times, lookup token. 409 before the dossier is received.",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **error_responses(401, 403, 404, 409)},
)
async def get_receipt(code: str, session: SessionDep, principal: Reader) -> Response:
    dossier = await service.get_or_404(session, principal, code)
    if dossier.received_at is None:
        raise Conflict(f"dossier {code} has not been received yet: no receipt")
    agency = await identity_repo.get_agency(session, dossier.receiving_agency_code)
    assert agency is not None
    pdf = documents.receipt_pdf(dossier, agency, lookup_token(get_settings(), dossier.code))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="receipt-{dossier.code}.pdf"'},
    )


_ACTIONS: list[tuple[Action, type[BaseModel], str, str]] = [
    (
        Action.ACCEPT,
        NoteIn,
        "Accept an online filing",
        "submitted → received; the due date starts now. Officer, leader.",
    ),
    (
        Action.REFUSE,
        ReasonIn,
        "Refuse at reception (Mẫu 03)",
        "submitted/received → refused, with the reason. Officer, leader.",
    ),
    (
        Action.ASSIGN,
        AssignIn,
        "Assign for processing",
        "received → in_progress; optionally to a user, or to another agency (liên thông), which "
        "then sees the dossier. Officer, leader.",
    ),
    (
        Action.REQUEST_SUPPLEMENT,
        SupplementRequestIn,
        "Request a supplement (Mẫu 02)",
        "→ supplement_requested. Requests more than 3 working days after reception are allowed "
        "but flagged; more than one request makes the dossier count as late. Officer, specialist, "
        "leader.",
    ),
    (
        Action.SUPPLEMENT_RECEIVED,
        NoteIn,
        "Supplement received",
        "Back to the previous state. Clock `restart`: a full time limit from now; `pause`: the due "
        "date moves by the working time spent waiting. Officer, specialist, leader.",
    ),
    (
        Action.REQUEST_PAYMENT,
        PaymentRequestIn,
        "Request payment",
        "→ awaiting_payment with the amount. Officer, leader.",
    ),
    (
        Action.PAYMENT_RECEIVED,
        PaymentReceivedIn,
        "Payment received",
        "Back to the previous state; records whether it was paid online. Officer, leader.",
    ),
    (
        Action.RESOLVE,
        ResolveIn,
        "Resolve",
        "in_progress → resolved with the outcome (approved, or rejected after appraisal); sets "
        "`finished_at`. Specialist, leader.",
    ),
    (Action.RETURN, ReturnIn, "Return the result", "resolved → returned. Officer, leader."),
    (
        Action.WITHDRAW,
        ReasonIn,
        "Withdraw (the applicant's request)",
        "→ withdrawn, with the reason. Officer, leader.",
    ),
    (Action.STOP, ReasonIn, "Stop processing", "→ stopped, with the written reason. Leader."),
]


def _action_route(action: Action, model: type[BaseModel], summary: str, text: str) -> None:
    async def act(
        code: str,
        session: SessionDep,
        principal: Actor,
        response: Response,
        body: Annotated[Any, Body()] = None,
        if_match: IfMatch = None,
    ) -> dict[str, Any]:
        dossier = await service.get_or_404(session, principal, code, for_update=True)
        service.require_may_act(principal, dossier, action)
        now = utcnow()
        await service.perform(
            session, principal, dossier, action, body, now, get_settings(), if_match
        )
        response.headers.update(_etag(dossier.version))
        return service.dossier_json(dossier, now)

    # Actions with only an optional note accept an empty body.
    with_body(act, model, optional=model is NoteIn)
    router.add_api_route(
        f"/{{code}}/{action.value}",
        act,
        methods=["POST"],
        response_model=DossierOut,
        operation_id=f"dossier_{action.value.replace('-', '_')}",
        summary=summary,
        description=text + " 409 when the current state forbids it; 412 on a stale `If-Match`.",
        responses=error_responses(401, 403, 404, 409, 412, 422),
    )


for _action, _model, _summary, _text in _ACTIONS:
    _action_route(_action, _model, _summary, _text)


_LOOKUP_PARAMETERS = TextParameters(
    TextParameter("path", "code", max_length=64), TextParameter("query", "token", 4, 64)
)


@public_router.get(
    "/dossiers/{code}",
    response_model=PublicDossierOut,
    operation_id="public_dossier_lookup",
    summary="Look up a dossier (citizens)",
    description="No login: the code and the lookup token printed on the receipt. Status and "
    "dates, the applicant's name masked. A wrong token answers 404 like an unknown code. "
    "Rate-limited per address (429 with `Retry-After`).",
    responses=error_responses(404, 422, 429),
    openapi_extra={"parameters": _LOOKUP_PARAMETERS.documented()},
)
@limit_public.checked_inside
async def public_lookup(request: Request) -> Response:
    # The busiest route: nothing for FastAPI to solve (docs/performance.md), so the parameters,
    # the limit and the reader are taken here, and the answer is serialised here rather than
    # validated again.
    code, token = _LOOKUP_PARAMETERS.read(request)
    limit_public.hit(request)
    found = await service.public_lookup(
        await hot_reader(request), code, token, get_settings(), utcnow()
    )
    return Response(found.model_dump_json(), media_type="application/json")
