"""PAKN use cases: intake, classification with its deadlines, handling, publication.

Domain rules: ../shared/docs/domain.md §6. Services flush; the request boundary commits.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar import service as calendar_service
from services.calendar.workingtime import TimeUnit
from services.core.clock import as_local
from services.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from services.core.privacy import mask_digits, mask_name, redact_known, scrub
from services.core.settings import Settings
from services.dossiers import repository as dossier_repo
from services.feedback import repository
from services.feedback.models import (
    Classification,
    DueStep,
    Feedback,
    FeedbackHistory,
    FeedbackState,
)
from services.feedback.schemas import (
    AnswerIn,
    ClassifyIn,
    FeedbackCreate,
    FeedbackOut,
    ForwardIn,
    InfoReceivedIn,
    InfoRequestIn,
    PublicFeedbackOut,
    PublishIn,
    ReasonIn,
    SubmitterOut,
)
from services.feedback.workflow import (
    CLOSED,
    DUE_STEP_AFTER_CLASSIFY,
    Action,
    TransitionError,
    code_prefix,
    next_state,
    role_may,
)
from services.identity import repository as identity_repo
from services.identity.principal import Principal
from services.outbox.service import emit
from services.procedures.repository import get_procedure

PUBLIC_ACTOR = "public"


def _days_for(step: DueStep, config: Settings) -> int:
    return {
        DueStep.CLASSIFY: config.feedback_refuse_working_days,
        DueStep.REFUSE: config.feedback_refuse_working_days,
        DueStep.FORWARD: config.feedback_forward_working_days,
        DueStep.HANDLE: config.feedback_handle_working_days,
        DueStep.PUBLISH: config.feedback_publish_working_days,
    }[step]


async def working_days_after(session: AsyncSession, start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days on the working calendar (domain.md §3)."""
    value = Decimal(days)
    calendar = await calendar_service.calendar_for_limit(
        session, as_local(start).date(), value, TimeUnit.WORKING_DAYS
    )
    return calendar.due_at(start, value, TimeUnit.WORKING_DAYS)


def is_overdue(feedback: Feedback, now: datetime) -> bool:
    return feedback.closed_at is None and feedback.due_at is not None and now > feedback.due_at


def to_out(feedback: Feedback, now: datetime) -> FeedbackOut:
    return FeedbackOut(
        code=feedback.code,
        kind=feedback.kind,
        channel=feedback.channel,
        status=feedback.state,
        classification=feedback.classification,
        content=feedback.content,
        submitter=SubmitterOut(
            full_name=feedback.submitter_full_name,
            phone=feedback.submitter_phone,
            address=feedback.submitter_address,
            email=feedback.submitter_email,
        ),
        agency_code=feedback.agency_code,
        dossier_code=feedback.dossier_code,
        procedure_code=feedback.procedure_code,
        forwarded_to_agency_code=feedback.forwarded_to_agency_code,
        received_at=feedback.received_at,
        classified_at=feedback.classified_at,
        due_at=feedback.due_at,
        due_step=feedback.due_step,
        info_request_due_at=feedback.info_request_due_at,
        info_requested_at=feedback.info_requested_at,
        info_request=feedback.info_request,
        info_received_at=feedback.info_received_at,
        is_overdue=is_overdue(feedback, now),
        late=feedback.late,
        answer=feedback.answer,
        answered_by=feedback.answered_by,
        answered_at=feedback.answered_at,
        public_content=feedback.public_content,
        published_at=feedback.published_at,
        closed_at=feedback.closed_at,
        version=feedback.version,
    )


def _without_submitter(feedback: Feedback, text: str) -> str:
    """Public text never names the submitter or shows their contacts (domain.md §6), whether
    written by them or quoted in the answer or in the staff's edited content."""
    return redact_known(
        text,
        (
            feedback.submitter_full_name,
            feedback.submitter_address,
            feedback.submitter_phone,
            feedback.submitter_email,
        ),
    )


def to_public(feedback: Feedback) -> PublicFeedbackOut:
    assert feedback.answer is not None and feedback.published_at is not None
    return PublicFeedbackOut(
        code=feedback.code,
        kind=feedback.kind,
        classification=feedback.classification,
        agency_code=feedback.agency_code,
        procedure_code=feedback.procedure_code,
        content=_without_submitter(feedback, feedback.public_content or feedback.content),
        answer=_without_submitter(feedback, feedback.answer),
        received_at=feedback.received_at,
        answered_at=feedback.answered_at,
        published_at=feedback.published_at,
    )


def _event_view(feedback: Feedback) -> dict[str, Any]:
    """Event payloads carry no personal data: integrators fetch the item if they may."""
    return {
        "code": feedback.code,
        "kind": feedback.kind.value,
        "channel": feedback.channel.value,
        "status": feedback.state.value,
        "classification": feedback.classification.value if feedback.classification else None,
        "agency_code": feedback.agency_code,
        "dossier_code": feedback.dossier_code,
        "procedure_code": feedback.procedure_code,
        "received_at": as_local(feedback.received_at).isoformat(),
        "due_at": as_local(feedback.due_at).isoformat() if feedback.due_at else None,
    }


def _unprocessable(field: str, msg: str) -> Unprocessable:
    return Unprocessable(f"{field}: {msg}", errors=[{"loc": ["body", field], "msg": msg}])


async def _agency_of(session: AsyncSession, data: FeedbackCreate) -> str:
    agency = data.agency_code
    if data.dossier_code is not None:
        dossier = await dossier_repo.get_by_code(session, data.dossier_code)
        if dossier is None:
            raise _unprocessable("dossier_code", f"no dossier {data.dossier_code}")
        own = (dossier.receiving_agency_code, dossier.resolving_agency_code)
        if agency is not None and agency not in own:
            raise _unprocessable("agency_code", "must be an agency of the linked dossier")
        agency = agency or dossier.receiving_agency_code
    if agency is None:
        raise _unprocessable("agency_code", "required when no dossier_code is given")
    if await identity_repo.get_agency(session, agency) is None:
        raise _unprocessable("agency_code", f"no agency {agency}")
    return agency


async def receive(
    session: AsyncSession, data: FeedbackCreate, now: datetime, config: Settings
) -> Feedback:
    length = len(data.content)
    if not config.feedback_content_min_chars <= length <= config.feedback_content_max_chars:
        raise _unprocessable(
            "content",
            f"must have {config.feedback_content_min_chars}–{config.feedback_content_max_chars} "
            f"characters, got {length}",
        )
    agency = await _agency_of(session, data)
    if (
        data.procedure_code is not None
        and await get_procedure(session, data.procedure_code) is None
    ):
        raise _unprocessable("procedure_code", f"no procedure {data.procedure_code}")

    local_day = as_local(now).date()
    number = await repository.next_number(session, local_day)
    suffix = f"{number:04d}"
    submitter = data.submitter
    feedback = Feedback(
        code=code_prefix(local_day.strftime("%y%m%d")) + suffix,
        kind=data.kind,
        channel=data.channel,
        state=FeedbackState.RECEIVED,
        content=data.content,
        submitter_full_name=submitter.full_name,
        submitter_phone=submitter.phone,
        submitter_address=submitter.address,
        submitter_email=str(submitter.email) if submitter.email else None,
        agency_code=agency,
        dossier_code=data.dossier_code,
        procedure_code=data.procedure_code,
        received_at=now,
        # Classification decides whether to refuse, so it is due by the refusal deadline.
        due_at=await working_days_after(session, now, config.feedback_refuse_working_days),
        due_step=DueStep.CLASSIFY,
        late=False,
        version=1,
    )
    session.add(feedback)
    await session.flush()
    _add_history(session, feedback, "receive", None, PUBLIC_ACTOR, None, now)
    emit(
        session, "feedback.received", feedback.code, (agency,), {"feedback": _event_view(feedback)}
    )
    await session.flush()
    return feedback


async def get_or_404(
    session: AsyncSession, principal: Principal, code: str, *, for_update: bool = False
) -> Feedback:
    feedback = await repository.get_visible(session, principal, code, for_update=for_update)
    if feedback is None:
        raise NotFound(f"feedback {code} not found")
    return feedback


async def get_published_or_404(session: AsyncSession, code: str) -> Feedback:
    feedback = await repository.get_published(session, code)
    if feedback is None:
        raise NotFound(f"feedback {code} not found")
    return feedback


def _add_history(
    session: AsyncSession,
    feedback: Feedback,
    action: str,
    from_state: FeedbackState | None,
    actor: str,
    actor_agency_code: str | None,
    now: datetime,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        FeedbackHistory(
            feedback_id=feedback.id,
            action=action,
            from_state=from_state.value if from_state else None,
            to_state=feedback.state.value,
            actor=actor,
            actor_agency_code=actor_agency_code,
            note=note,
            data=data or {},
            at=now,
        )
    )


async def perform(
    session: AsyncSession,
    principal: Principal,
    feedback: Feedback,
    action: Action,
    body: BaseModel | None,
    now: datetime,
    config: Settings,
) -> Feedback:
    if principal.role is not None and not role_may(principal.role, action):
        raise Forbidden(f"Your role ({principal.role.value}) may not {action.value} feedback")
    try:
        target = next_state(action, feedback.state, feedback.classification)
    except TransitionError as exc:
        raise Conflict(str(exc)) from exc

    from_state = feedback.state
    # A step done after its deadline makes the item late for good (feedback_on_time KPI).
    step_late = feedback.due_at is not None and now > feedback.due_at
    with session.no_autoflush:
        data = await _apply(session, feedback, action, body, now, config)
    feedback.state = target
    if step_late and not feedback.late:
        feedback.late = True
        data["late_step"] = True
    if target in CLOSED:
        feedback.closed_at = now
    note = getattr(body, "reason", None) or getattr(body, "note", None)
    await session.flush()
    _add_history(
        session,
        feedback,
        action.value,
        from_state,
        principal.actor,
        principal.agency_code,
        now,
        note,
        data,
    )
    if target is FeedbackState.PUBLISHED:
        emit(
            session,
            "feedback.published",
            feedback.code,
            (feedback.agency_code,),
            {"feedback": to_public(feedback).model_dump(mode="json")},
        )
    await session.flush()
    return feedback


async def _apply(
    session: AsyncSession,
    feedback: Feedback,
    action: Action,
    body: BaseModel | None,
    now: datetime,
    config: Settings,
) -> dict[str, Any]:
    """The effects of an action besides the state; returns what the history row records."""
    if action is Action.CLASSIFY:
        assert isinstance(body, ClassifyIn)
        return await _classify(session, feedback, body, now, config)
    if action is Action.ANSWER:
        assert isinstance(body, AnswerIn)
        feedback.answer, feedback.answered_at = body.answer, now
        feedback.due_step = DueStep.PUBLISH
        feedback.due_at = await working_days_after(
            session, now, config.feedback_publish_working_days
        )
        return {"due_at": as_local(feedback.due_at).isoformat()}
    if action is Action.PUBLISH:
        assert body is None or isinstance(body, PublishIn)
        feedback.public_content = (body.public_content if body else None) or scrub(feedback.content)
        feedback.published_at = now
        return {}
    if action is Action.FORWARD:
        assert body is None or isinstance(body, ForwardIn)
        target = (body.agency_code if body else None) or feedback.forwarded_to_agency_code
        if target is None:
            raise Unprocessable("agency_code: required (no target agency was given at classify)")
        await _require_agency(session, target, "agency_code")
        feedback.forwarded_to_agency_code = target
        return {"agency_code": target}
    if action is Action.REJECT:
        assert isinstance(body, ReasonIn)
    if action is Action.REQUEST_INFO:
        assert isinstance(body, InfoRequestIn)
        return _request_info(session, feedback, body, now)
    if action is Action.INFO_RECEIVED:
        assert isinstance(body, InfoReceivedIn)
        if feedback.info_requested_at is None or feedback.info_received_at is not None:
            raise Conflict(f"feedback {feedback.code} has no request for information open")
        feedback.info_received_at = now
        return {"requested_at": as_local(feedback.info_requested_at).isoformat()}
    return {}


def _request_info(
    session: AsyncSession, feedback: Feedback, body: InfoRequestIn, now: datetime
) -> dict[str, Any]:
    """One request per item: asked within 5 working days of reception, or the item is late.
    The submitter is told through integrators (``feedback.info_requested``)."""
    if feedback.info_requested_at is not None:
        raise Conflict(f"feedback {feedback.code} was already asked for more information")
    late = feedback.info_request_due_at is not None and now > feedback.info_request_due_at
    feedback.info_requested_at, feedback.info_request = now, body.question
    feedback.late = feedback.late or late
    emit(
        session,
        "feedback.info_requested",
        feedback.code,
        (feedback.agency_code,),
        {
            "code": feedback.code,
            "question": scrub(body.question),
            "submitter_name": mask_name(feedback.submitter_full_name),
            "phone_hint": mask_digits(feedback.submitter_phone),
            "has_email": feedback.submitter_email is not None,
        },
    )
    return {"question": body.question, "late_request": late}


async def _require_agency(session: AsyncSession, code: str, field: str) -> None:
    if await identity_repo.get_agency(session, code) is None:
        raise _unprocessable(field, f"no agency {code}")


async def _classify(
    session: AsyncSession,
    feedback: Feedback,
    body: ClassifyIn,
    now: datetime,
    config: Settings,
) -> dict[str, Any]:
    if body.forward_to_agency_code is not None:
        if body.classification is not Classification.OUT_OF_SCOPE:
            raise _unprocessable("forward_to_agency_code", "only for out_of_scope")
        await _require_agency(session, body.forward_to_agency_code, "forward_to_agency_code")
        feedback.forwarded_to_agency_code = body.forward_to_agency_code
    step = DUE_STEP_AFTER_CLASSIFY[body.classification]
    feedback.classification, feedback.classified_at = body.classification, now
    # Deadlines run from reception (domain.md §6), not from the classification.
    feedback.due_step = step
    feedback.due_at = await working_days_after(
        session, feedback.received_at, _days_for(step, config)
    )
    if step is DueStep.HANDLE:
        feedback.info_request_due_at = await working_days_after(
            session, feedback.received_at, config.feedback_info_request_working_days
        )
    return {
        "classification": body.classification.value,
        "due_step": step.value,
        "due_at": as_local(feedback.due_at).isoformat(),
    }


async def flag_late_feedback(session: AsyncSession, now: datetime) -> int:
    """For the overdue scan: marks open PAKN items past their deadline as late; returns how
    many were newly flagged. Flushes; the caller commits."""
    return await repository.flag_late(session, now)
