"""Feedback (PAKN) routes: anonymous intake, staff handling, public answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.core import idempotency
from services.core.clock import utcnow
from services.core.db import SessionDep
from services.core.errors import error_responses
from services.core.idempotency import IdempotencyKey, once
from services.core.pagination import (
    CursorQuery,
    LimitQuery,
    Page,
    cursor_instant,
    cursor_int,
    decode_keyset,
    encode_cursor,
)
from services.core.redis import limit_feedback_intake, limit_public
from services.core.routing import with_body
from services.core.settings import get_settings
from services.feedback import repository, service
from services.feedback.models import Classification, FeedbackState
from services.feedback.schemas import (
    CLASSIFICATION_DOC,
    STATE_DOC,
    AnswerIn,
    ClassifyIn,
    FeedbackCreate,
    FeedbackHistoryOut,
    FeedbackOut,
    FeedbackReceipt,
    ForwardIn,
    InfoReceivedIn,
    InfoRequestIn,
    ListFilters,
    NoteIn,
    PublicFeedbackOut,
    PublishIn,
    ReasonIn,
)
from services.feedback.workflow import Action
from services.identity.dependencies import STAFF, allow
from services.identity.models import Role
from services.identity.principal import Principal

router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])
public_router = APIRouter(prefix="/api/v1/public/feedback", tags=["public"])

Reader = Annotated[Principal, allow(*STAFF, scope="feedback:read")]
Handler = Annotated[
    Principal, allow(Role.LEADER, Role.OFFICER, Role.SPECIALIST, scope="feedback:write")
]
FeedbackCode = Annotated[str, Path(max_length=32)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=FeedbackReceipt,
    operation_id="create_feedback",
    summary="Send feedback on a regulation (PAKN)",
    description="No login: anyone may send a reflection (phản ánh) or a recommendation (kiến "
    "nghị) on an administrative regulation or the conduct of officials applying it. Name, "
    "phone and address are required by Decree 20/2008. The agency addressed is `agency_code`, "
    "or the receiving agency of `dossier_code`. Answers the code to follow it with "
    "(`PAKN-YYMMDD-NNNN`). Rate-limited per address (429 with `Retry-After`). Send a random "
    "`Idempotency-Key` (a UUID) to make a retry after a lost answer safe.",
    dependencies=[Depends(limit_feedback_intake)],
    responses=error_responses(422, 429),
)
async def create_feedback(
    data: FeedbackCreate, session: SessionDep, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    async def produce() -> dict[str, Any]:
        feedback = await service.receive(session, data, utcnow(), get_settings())
        return FeedbackReceipt(
            code=feedback.code,
            status=feedback.state,
            agency_code=feedback.agency_code,
            received_at=feedback.received_at,
            due_at=feedback.due_at,
        ).model_dump(mode="json")

    # Anonymous callers share no identity: a key counts together with its body, so two
    # submitters who happen to send the same key never collide; a replay needs the very same
    # feedback, personal data included.
    submitted = data.model_dump(mode="json")
    caller = f"anonymous:{idempotency.request_fingerprint(submitted)[:32]}"
    body, _ = await once(session, caller, idempotency_key, submitted, produce)
    return JSONResponse(body, status_code=status.HTTP_201_CREATED)


@router.get(
    "",
    response_model=Page[FeedbackOut],
    operation_id="list_feedback",
    summary="List feedback",
    description="Feedback addressed to the caller's agency (or forwarded to it), newest first. "
    "`overdue=true`: open items past their current deadline.",
    responses=error_responses(401, 403, 422),
)
async def list_feedback(
    session: SessionDep,
    principal: Reader,
    state: Annotated[FeedbackState | None, Query(description=STATE_DOC)] = None,
    classification: Annotated[Classification | None, Query(description=CLASSIFICATION_DOC)] = None,
    overdue: bool | None = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[FeedbackOut]:
    filters = ListFilters(state=state, classification=classification, overdue=overdue)
    after = decode_keyset(cursor, cursor_int)
    before_id = after[0] if after else None
    now = utcnow()
    rows = await repository.list_visible(session, principal, filters, before_id, limit, now)
    next_cursor = encode_cursor([rows[-1].id]) if len(rows) == limit else None
    return Page(items=[service.to_out(f, now) for f in rows], next_cursor=next_cursor)


@router.get(
    "/{code}",
    response_model=FeedbackOut,
    operation_id="get_feedback",
    summary="Get feedback",
    description="404 unless the item is addressed (or was forwarded) to the caller's agency.",
    responses=error_responses(401, 403, 404),
)
async def get_feedback(code: FeedbackCode, session: SessionDep, principal: Reader) -> FeedbackOut:
    return service.to_out(await service.get_or_404(session, principal, code), utcnow())


@router.get(
    "/{code}/history",
    response_model=list[FeedbackHistoryOut],
    operation_id="get_feedback_history",
    summary="Feedback history",
    description="Every transition in order: who, when, from → to, note. Append-only.",
    responses=error_responses(401, 403, 404),
)
async def get_feedback_history(
    code: FeedbackCode, session: SessionDep, principal: Reader
) -> list[FeedbackHistoryOut]:
    feedback = await service.get_or_404(session, principal, code)
    rows = await repository.history(session, feedback.id)
    return [FeedbackHistoryOut.model_validate(h) for h in rows]


_ACTIONS: list[tuple[Action, type[BaseModel], bool, str, str]] = [
    (
        Action.CLASSIFY,
        ClassifyIn,
        False,
        "Classify feedback",
        "received → classified. Sets the deadline counted in working days from reception: "
        "not_accepted → refuse within 2; out_of_scope → forward within 5 (name the agency "
        "here or at `forward`); conduct, regulation → handle within 15 (ask for more "
        "information within 5). Officer, leader.",
    ),
    (
        Action.START,
        NoteIn,
        True,
        "Start handling",
        "classified → in_progress (conduct or regulation). Officer, specialist, leader.",
    ),
    (
        Action.ANSWER,
        AnswerIn,
        False,
        "Answer feedback",
        "classified/in_progress → answered (conduct or regulation); the answer is to be "
        "published within 2 working days. Specialist, leader.",
    ),
    (
        Action.PUBLISH,
        PublishIn,
        True,
        "Publish the answer",
        "answered → published: the answer becomes public without personal data, with the "
        "content as edited here or with phones, IDs and e-mails masked. Writes "
        "`feedback.published`. Officer, leader.",
    ),
    (
        Action.REJECT,
        ReasonIn,
        False,
        "Refuse feedback",
        "classified (not_accepted) → rejected, with the reason. Officer, leader.",
    ),
    (
        Action.FORWARD,
        ForwardIn,
        True,
        "Forward to the competent agency",
        "classified (out_of_scope) → forwarded; that agency then sees the item. Officer, leader.",
    ),
    (
        Action.REQUEST_INFO,
        InfoRequestIn,
        False,
        "Ask the submitter for more information",
        "classified/in_progress → in_progress (conduct or regulation), once per item; due within "
        "5 working days of reception, later requests make the item late. Writes "
        "`feedback.info_requested` (masked contact hints) so that an integrator can tell the "
        "submitter. The handling deadline is unchanged. Officer, specialist, leader.",
    ),
    (
        Action.INFO_RECEIVED,
        InfoReceivedIn,
        False,
        "Record the submitter's additional information",
        "in_progress, after `request-info`: records what the submitter added. Officer, "
        "specialist, leader.",
    ),
]


def _action_route(
    action: Action, model: type[BaseModel], optional: bool, summary: str, text: str
) -> None:
    async def act(
        code: FeedbackCode,
        session: SessionDep,
        principal: Handler,
        body: Annotated[Any, Body()] = None,
    ) -> FeedbackOut:
        feedback = await service.get_or_404(session, principal, code, for_update=True)
        now = utcnow()
        await service.perform(session, principal, feedback, action, body, now, get_settings())
        return service.to_out(feedback, now)

    with_body(act, model, optional=optional)
    router.add_api_route(
        f"/{{code}}/{action.value}",
        act,
        methods=["POST"],
        response_model=FeedbackOut,
        operation_id=f"feedback_{action.value}",
        summary=summary,
        description=text + " 409 when the state or classification forbids it.",
        responses=error_responses(401, 403, 404, 409, 422),
    )


for _action, _model, _optional, _summary, _text in _ACTIONS:
    _action_route(_action, _model, _optional, _summary, _text)


@public_router.get(
    "",
    response_model=Page[PublicFeedbackOut],
    operation_id="public_list_feedback",
    summary="Published answers to feedback",
    description="No login: feedback whose answer was published, newest first, without the "
    "submitter or any personal data. Rate-limited per address.",
    dependencies=[Depends(limit_public)],
    responses=error_responses(422, 429),
)
async def public_list_feedback(
    session: SessionDep,
    agency_code: Annotated[str | None, Query(max_length=35)] = None,
    procedure_code: Annotated[str | None, Query(max_length=8)] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Page[PublicFeedbackOut]:
    key: tuple[datetime, int] | None = decode_keyset(cursor, cursor_instant, cursor_int)
    rows = await repository.list_published(session, key, limit, agency_code, procedure_code)
    next_cursor = None
    if len(rows) == limit and rows[-1].published_at is not None:
        next_cursor = encode_cursor([rows[-1].published_at.isoformat(), rows[-1].id])
    return Page(items=[service.to_public(f) for f in rows], next_cursor=next_cursor)


@public_router.get(
    "/{code}",
    response_model=PublicFeedbackOut,
    operation_id="public_get_feedback",
    summary="A published answer",
    description="No login; 404 unless the answer is published. Rate-limited per address.",
    dependencies=[Depends(limit_public)],
    responses=error_responses(404, 429),
)
async def public_get_feedback(code: FeedbackCode, session: SessionDep) -> PublicFeedbackOut:
    return service.to_public(await service.get_published_or_404(session, code))
