"""Dossier use cases: receive, act, read. Services flush; the request boundary commits."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import asyncpg
import orjson
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar import service as calendar_service
from services.calendar.workingtime import TimeUnit, WorkCalendar
from services.core.cache import TTLCache
from services.core.clock import as_local
from services.core.db import RowReader, SessionRows
from services.core.errors import (
    AppError,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    Unprocessable,
)
from services.core.idempotency import (
    IDEMPOTENCY_PRIMARY_KEY,
    request_fingerprint,
    stored_answer,
)
from services.core.privacy import fold, mask_name
from services.core.security import lookup_token
from services.core.settings import Settings
from services.dossiers import numbering, repository
from services.dossiers.models import (
    Channel,
    Dossier,
    DossierHistory,
    DossierStatus,
    DossierValues,
    PortalSync,
)
from services.dossiers.schemas import (
    STATUS_VI,
    AssignIn,
    DossierCreate,
    FeeIn,
    HistoryOut,
    PaymentReceivedIn,
    PaymentRequestIn,
    PublicDossierOut,
    ResolveIn,
    ReturnIn,
    SupplementRequestIn,
)
from services.dossiers.workflow import (
    FINISHING,
    TERMINAL,
    Action,
    TransitionError,
    code_prefix,
    next_status,
    role_may,
)
from services.identity import repository as identity_repo
from services.identity import service as identity_service
from services.identity.principal import Principal
from services.outbox import doorbell
from services.outbox.models import OutboxEvent
from services.outbox.service import event_values
from services.procedures.models import SupplementClock
from services.procedures.service import require_active_procedure
from services.processes import service as processes
from services.processes.models import DossierStep
from services.processes.schemas import StepOut

IMPORT_SCOPE = "dossiers:import"


def is_overdue(due_at: datetime | None, finished_at: datetime | None, now: datetime) -> bool:
    return due_at is not None and (finished_at or now) > due_at


def dossier_json(dossier: DossierValues, now: datetime) -> dict[str, Any]:
    """The dossier as its agencies see it (``DossierOut`` as JSON, without the lookup token):
    the answer of the dossier routes and the snapshot in their events. Built as JSON directly:
    on the reception path, validating and dumping the model cost more than numbering the
    dossier (a test checks the result against ``DossierOut``)."""
    fee = None
    if dossier.fee_amount_vnd is not None or dossier.fee_paid_online is not None:
        fee = {
            "amount_vnd": dossier.fee_amount_vnd,
            "paid_online": dossier.fee_paid_online,
            "paid_at": _iso(dossier.fee_paid_at),
        }
    return {
        "code": dossier.code,
        "status": dossier.status,
        "procedure_code": dossier.procedure_code,
        "procedure_name": dossier.procedure_name,
        "sector_group": dossier.sector_group,
        "channel": dossier.channel,
        "applicant": {
            "full_name": dossier.applicant_full_name,
            "id_number": dossier.applicant_id_number,
            "phone": dossier.applicant_phone,
            "email": dossier.applicant_email,
            "address": dossier.applicant_address,
            "kind": dossier.applicant_kind,
        },
        "summary": dossier.summary,
        "receiving_agency_code": dossier.receiving_agency_code,
        "resolving_agency_code": dossier.resolving_agency_code,
        "assignee_username": dossier.assignee_username,
        "submitted_at": _iso(dossier.submitted_at),
        "received_at": _iso(dossier.received_at),
        "due_at": _iso(dossier.due_at),
        "original_due_at": _iso(dossier.original_due_at),
        "finished_at": _iso(dossier.finished_at),
        "returned_at": _iso(dossier.returned_at),
        "is_overdue": is_overdue(dossier.due_at, dossier.finished_at, now),
        "supplement_count": dossier.supplement_count,
        "late_supplement_request": dossier.late_supplement_request,
        "rescheduled": dossier.rescheduled,
        "digitized": dossier.digitized,
        "electronic_result": dossier.electronic_result,
        "reused_data": dossier.reused_data,
        "fee": fee,
        "outcome": dossier.outcome,
        "result_summary": dossier.result_summary,
        "return_method": dossier.return_method,
        "portal_sync": dossier.portal_sync,
        # Stored as the API shows it (processes.service._current_step_json).
        "current_step": dossier.current_step,
        "version": dossier.version,
    }


def to_public(view: Mapping[str, Any], now: datetime) -> PublicDossierOut:
    """``view``: a row of ``repository.public_view``. Built without validation: the values
    come from our own columns, and on the busiest route validating them again cost more than
    serialising them (a test compares the result with a validated model)."""
    status = DossierStatus(view["status"])
    return PublicDossierOut.model_construct(
        code=view["code"],
        status=status,
        status_label_vi=STATUS_VI[status],
        procedure_name=view["procedure_name"],
        applicant_name=mask_name(view["applicant_full_name"]),
        received_at=view["received_at"],
        due_at=view["due_at"],
        finished_at=view["finished_at"],
        returned_at=view["returned_at"],
        is_overdue=is_overdue(view["due_at"], view["finished_at"], now),
    )


async def _calendar(
    session: AsyncSession, at: datetime, value: Decimal, unit: TimeUnit, extra_days: int = 0
) -> WorkCalendar:
    return await calendar_service.calendar_for_limit(
        session, as_local(at).date(), value, unit, extra_days
    )


async def _start_clock(session: AsyncSession, dossier: DossierValues, start: datetime) -> None:
    """Sets the due date promised on the receipt, with what it was computed from."""
    calendar = await _calendar(session, start, dossier.time_limit_value, dossier.time_limit_unit)
    try:
        due = calendar.due_at(start, dossier.time_limit_value, dossier.time_limit_unit)
    except ValueError as exc:
        raise Unprocessable(f"cannot compute the due date: {exc}") from exc
    dossier.due_at = due
    dossier.due_basis = {
        "start": start.isoformat(),
        "effective_start": calendar.effective_start(start).isoformat(),
        "time_limit": {
            "value": str(dossier.time_limit_value),
            "unit": dossier.time_limit_unit.value,
        },
    }


def _history_values(
    dossier: DossierValues,
    action: str,
    from_status: DossierStatus | None,
    principal: Principal,
    now: datetime,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "action": action,
        "from_status": from_status.value if from_status else None,
        "to_status": dossier.status.value,
        "actor": principal.actor,
        "actor_agency_code": principal.agency_code,
        "note": note,
        "data": data or {},
        "at": now,
    }


def _dossier_event(
    dossier: DossierValues,
    event_type: str,
    now: datetime,
    payload: dict[str, Any],
    also_to: tuple[str | None, ...] = (),
) -> dict[str, Any]:
    """An outbox event about the dossier as it now stands, for every agency that sees it."""
    return event_values(
        event_type,
        dossier.code,
        (
            dossier.receiving_agency_code,
            dossier.resolving_agency_code,
            *dossier.holder_agency_codes,
            *also_to,
        ),
        {"dossier": dossier_json(dossier, now), **payload},
    )


def _change_event(
    dossier: DossierValues, from_status: DossierStatus | None, action: str, now: datetime
) -> dict[str, Any]:
    received = dossier.status is DossierStatus.RECEIVED and from_status in (
        None,
        DossierStatus.SUBMITTED,
    )
    return _dossier_event(
        dossier,
        "dossier.received" if received else "dossier.status_changed",
        now,
        {"from_status": from_status.value if from_status else None, "action": action},
    )


async def _record(
    session: AsyncSession,
    principal: Principal,
    dossier: Dossier,
    action: str,
    from_status: DossierStatus | None,
    now: datetime,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    event: dict[str, Any] | None = None,
) -> None:
    """Writes the change (a new version), then its history row and its outbox event, all in
    the caller's transaction. ``event`` defaults to the status-change event."""
    await session.flush()
    session.add(
        DossierHistory(
            dossier_id=dossier.id,
            **_history_values(dossier, action, from_status, principal, now, note, data),
        )
    )
    session.add(OutboxEvent(**(event or _change_event(dossier, from_status, action, now))))
    await session.flush()


_agencies: TTLCache[bool] = TTLCache("agency-exists")


async def _require_agency(session: AsyncSession, code: str, field: str) -> None:
    async def load() -> bool:
        await identity_service.require_agency(session, code, field)
        return True

    # Agencies are never deleted (foreign keys restrict it), so a cached "exists" stays true.
    await _agencies.get(code, load)


@dataclass(slots=True)
class Reception:
    """A dossier about to be received: the values of its rows but its id and code, which the
    numbering statement gives it (``repository.insert_numbered``), with or without others of
    its agency-day (``numbering``)."""

    dossier: SimpleNamespace
    steps: list[DossierStep]
    history: dict[str, Any]
    event: dict[str, Any]
    # The Idempotency-Key answer to store with it: {principal, key, request_hash, status_code}.
    idempotency: dict[str, Any] | None = None

    @property
    def snapshot(self) -> dict[str, Any]:
        """``dossier_json`` of the new dossier, also the payload of its event."""
        snapshot: dict[str, Any] = self.event["payload"]["dossier"]
        return snapshot

    def document(self) -> str:
        """The JSON the numbering statement reads this reception from (orjson: the standard
        library's encoder took a tenth of a reception's time)."""
        agency = self.dossier.receiving_agency_code
        # Numbered in its agency-day: the reception's date on the Vietnamese calendar.
        day = as_local(self.dossier.received_at or self.dossier.submitted_at).date()
        doc: dict[str, Any] = {
            "agency": agency,
            "day": day,
            "prefix": code_prefix(agency, day.strftime("%y%m%d")),
            # Its attributes are the dossiers columns (the statement reads those it inserts).
            "dossier": vars(self.dossier),
            "history": self.history,
            "event": self.event,
            "steps": [
                {key: getattr(step, key) for key in repository.STEP_COLUMNS} for step in self.steps
            ],
        }
        if self.idempotency is not None:
            doc["idempotency"] = self.idempotency  # its answer: the event's snapshot
        return orjson.dumps(doc, default=_decimal).decode()


def _decimal(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


async def prepare(
    session: AsyncSession,
    principal: Principal,
    data: DossierCreate,
    now: datetime,
    portal_ref: str | None = None,
    submitted_at: datetime | None = None,
) -> Reception:
    """Checks a reception (or an online filing registered) and computes every value of its rows.

    ``submitted_at``: when an online filing was made elsewhere (the portal), if not now.
    ``session`` only reads reference data that the process has not cached."""
    receiving = data.receiving_agency_code or principal.agency_code
    if receiving != principal.agency_code and not principal.is_admin:
        raise Forbidden("You can only receive dossiers for your own agency")
    resolving = data.resolving_agency_code or receiving
    if data.received_at is not None:
        if not (principal.is_admin or IMPORT_SCOPE in principal.scopes):
            raise Forbidden(f"received_at may only be set by an admin or a key with {IMPORT_SCOPE}")
        if data.received_at > now + timedelta(minutes=5):
            raise Unprocessable("received_at: must not be in the future")
    await _require_agency(session, receiving, "receiving_agency_code")
    if resolving != receiving:
        await _require_agency(session, resolving, "resolving_agency_code")
    procedure = await require_active_procedure(session, data.procedure_code)

    at = data.received_at or (min(submitted_at, now) if submitted_at else now)
    if as_local(at).year < 2000:
        # The code's YYMMDD would repeat a code of the same day a century later.
        raise Unprocessable(
            f"{'received_at' if data.received_at else 'submitted_at'}: dossiers dated before "
            "2000 cannot be numbered"
        )
    status = (
        DossierStatus.SUBMITTED
        if data.channel is Channel.ONLINE and data.received_at is None
        else DossierStatus.RECEIVED
    )
    applicant = data.applicant
    # The procedure's fee when the request names none (domain.md §2: the terms are
    # snapshotted), so that the dossier counts as payable in the online-payment rate.
    fee = data.fee or (FeeIn(amount_vnd=procedure.fee_vnd) if procedure.fee_vnd else None)
    dossier = SimpleNamespace(
        status=status,
        channel=data.channel,
        procedure_code=procedure.code,
        procedure_name=procedure.name,
        sector_code=procedure.sector_code,
        sector_name=procedure.sector_name,
        sector_group=procedure.sector_group.value,
        time_limit_value=procedure.time_limit_value,
        time_limit_unit=procedure.time_limit_unit,
        supplement_clock=procedure.supplement_clock,
        boundary_free=procedure.boundary_free,
        online_level=procedure.online_level.value if procedure.online_level else None,
        applicant_full_name=applicant.full_name,
        applicant_name_folded=fold(applicant.full_name),
        applicant_id_number=applicant.id_number,
        applicant_phone=applicant.phone,
        applicant_email=str(applicant.email) if applicant.email else None,
        applicant_address=applicant.address,
        applicant_kind=applicant.kind,
        summary=data.summary,
        receiving_agency_code=receiving,
        resolving_agency_code=resolving,
        submitted_at=at if data.channel is Channel.ONLINE else None,
        received_at=at if status is DossierStatus.RECEIVED else None,
        digitized=data.digitized,
        reused_data=data.reused_data,
        fee_amount_vnd=fee.amount_vnd if fee else None,
        fee_paid_online=fee.paid_online if fee else None,
        fee_paid_at=at if fee and fee.paid_online else None,
        due_basis={},
        original_due_at=None,
        due_at=None,
        finished_at=None,
        returned_at=None,
        assignee_username=None,
        supplement_count=0,
        supplement_requested_at=None,
        resume_status=None,
        late_supplement_request=False,
        rescheduled=False,
        electronic_result=False,
        outcome=None,
        result_summary=None,
        return_method=None,
        portal_sync=PortalSync.PENDING,
        overdue_marked_at=None,
        version=1,
        created_at=now,
        updated_at=now,
        code="",  # the numbering statement writes it, into the event's snapshot too
        portal_ref=portal_ref,
        process_id=None,
        holder_agency_codes=[],
        current_step=None,
    )
    steps: list[DossierStep] = []
    if status is DossierStatus.RECEIVED:
        await _start_clock(session, dossier, at)
        process = await processes.current_process(session, procedure.code)
        if process is not None:
            steps = await processes.begin(session, dossier, process, at, principal.actor)
    history = _history_values(
        dossier,
        "receive" if status is DossierStatus.RECEIVED else "submit",
        None,
        principal,
        now,
        data={"channel": data.channel.value},
    )
    return Reception(dossier, steps, history, _change_event(dossier, None, "create", now))


async def create(
    session: AsyncSession,
    principal: Principal,
    data: DossierCreate,
    now: datetime,
    settings: Settings,
    portal_ref: str | None = None,
    submitted_at: datetime | None = None,
) -> tuple[Dossier, str]:
    """Receives a dossier in the session's transaction (the portal's filings, commands); returns
    it with its lookup token. The API's receptions go through ``receive``."""
    reception = await prepare(session, principal, data, now, portal_ref, submitted_at)
    [numbered] = await repository.insert_numbered(SessionRows(session), [reception.document()])
    assert numbered is not None  # only a reception with an Idempotency-Key can be a repeat
    dossier_id, code = numbered
    doorbell.mark_written(session.sync_session)  # its outbox row is plain SQL
    dossier = await session.get(Dossier, dossier_id)
    assert dossier is not None  # written just above, in this transaction
    return dossier, lookup_token(settings, code)


async def receive(
    session_scope: Callable[[], AbstractAsyncContextManager[AsyncSession]],
    rows: RowReader,
    principal: Principal,
    data: DossierCreate,
    now: datetime,
    settings: Settings,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Receives a dossier from the API: numbered and committed on its own, together with the
    receptions that arrive at the same time (``numbering``). Answers the dossier with its
    lookup token; a repeated ``idempotency_key`` answers the first reception.

    ``session_scope`` opens the unit of work that reads what the process has not cached; it
    ends before the reception is written, so that nothing can fail after the dossier exists.
    The key is not looked up first: the numbering statement leaves out a reception whose key
    already has an answer (or fails on one stored meanwhile), and only then is that answer
    read. A read for every keyed reception cost a fifth of its time (docs/performance.md).
    """
    fingerprint = request_fingerprint(data.model_dump(mode="json")) if idempotency_key else ""

    async def first_answer() -> dict[str, Any] | None:
        if idempotency_key is None:
            return None
        first = await stored_answer(rows, principal.caller, idempotency_key, fingerprint)
        return _with_token(first, settings) if first is not None else None

    try:
        async with session_scope() as session:
            reception = await prepare(session, principal, data, now)
    except AppError:
        # A repeat is answered as the first time, even where the request would now be refused
        # (a procedure withdrawn since): its client must learn that the dossier was received.
        if (first := await first_answer()) is not None:
            return first
        raise
    if idempotency_key is not None:
        reception.idempotency = {
            "principal": principal.caller,
            "key": idempotency_key,
            "request_hash": fingerprint,
            "status_code": 201,
        }
    try:
        numbered = await numbering.receive(rows, reception)
    except asyncpg.UniqueViolationError as exc:
        # The same key received at the same moment by another request, which committed first.
        if exc.constraint_name != IDEMPOTENCY_PRIMARY_KEY:
            raise
        numbered = None
    if numbered is None:
        if (first := await first_answer()) is None:
            raise Conflict("Idempotency-Key: its first answer was just purged; send it again")
        return first
    return _with_token({**reception.snapshot, "code": numbered[1]}, settings)


def _with_token(answer: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The create answer: the dossier and the token printed on its receipt (derived from the
    code, so that a stored answer need not keep it)."""
    return {**answer, "lookup_token": lookup_token(settings, answer["code"])}


async def get_or_404(
    session: AsyncSession, principal: Principal, code: str, *, for_update: bool = False
) -> Dossier:
    dossier = await repository.get_visible(session, principal, code, for_update=for_update)
    if dossier is None:
        raise NotFound(f"dossier {code} not found")
    return dossier


def check_version(dossier: Dossier, if_match: str | None) -> None:
    """``If-Match: "3"`` (or ``W/"3"``, ``3``, ``*``) must name the current version."""
    if if_match is None:
        return
    candidates = {tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")}
    if "*" not in candidates and str(dossier.version) not in candidates:
        raise PreconditionFailed(
            f"dossier {dossier.code} is at version {dossier.version}, not {if_match}; "
            "reload it and try again"
        )


async def perform(
    session: AsyncSession,
    principal: Principal,
    dossier: Dossier,
    action: Action,
    body: BaseModel | None,
    now: datetime,
    settings: Settings,
    if_match: str | None = None,
) -> Dossier:
    if principal.role is not None and not role_may(principal.role, action):
        raise Forbidden(f"Your role ({principal.role.value}) may not {action.value} a dossier")
    check_version(dossier, if_match)
    try:
        target = next_status(action, dossier.status, dossier.resume_status)
    except TransitionError as exc:
        raise Conflict(str(exc)) from exc

    from_status = dossier.status
    note = getattr(body, "reason", None) or getattr(body, "note", None)
    # One action is one new version: no flush of half-applied changes while computing dates.
    with session.no_autoflush:
        data = await _apply(session, principal, dossier, action, body, now, settings)
    dossier.status = target
    if target in FINISHING:
        dossier.finished_at = now
    if target in TERMINAL:
        returned = target is DossierStatus.RETURNED
        ended = await processes.close_open(
            session, dossier, now, principal.actor if returned else None
        )
        # Each step the return completed has its control-sheet row, as one completed alone.
        for step in ended:
            row = _history_values(
                dossier, "step-complete", from_status, principal, now, data=_step_data(step, now)
            )
            row["to_status"] = from_status.value  # completing a step leaves the status as it was
            session.add(DossierHistory(dossier_id=dossier.id, **row))
    await _record(session, principal, dossier, action.value, from_status, now, note, data)
    return dossier


# Steps move while the dossier is worked on, not while it waits for the applicant's documents;
# a resolved dossier still has its last steps (signing, returning the result).
_STEPPING = (
    DossierStatus.RECEIVED,
    DossierStatus.IN_PROGRESS,
    DossierStatus.AWAITING_PAYMENT,
    DossierStatus.RESOLVED,
)
# What an agency consulted on a step (neither receiving nor resolving) may do besides
# completing its step; and what the receiving or resolving agency may still do while another
# agency holds a step: the applicant's withdrawal, a leader's stop, documents or payment
# arriving at the one-stop desk.
_HOLDER_ONLY_ACTIONS = frozenset({Action.REQUEST_SUPPLEMENT})
_ENDING_WORK = frozenset({Action.RESOLVE, Action.RETURN})
_WHILE_HELD_ELSEWHERE = frozenset(
    {Action.WITHDRAW, Action.STOP, Action.SUPPLEMENT_RECEIVED, Action.PAYMENT_RECEIVED}
)


def require_may_act(principal: Principal, dossier: Dossier, action: Action) -> None:
    """Agency rules of the lifecycle actions for dossiers with an internal process (liên
    thông); without a process nobody holds a step and only the role table applies."""
    if principal.is_admin:
        return
    own = principal.agency_code in (dossier.receiving_agency_code, dossier.resolving_agency_code)
    if not own and action not in _HOLDER_ONLY_ACTIONS:
        step = dossier.current_step or {}
        raise Forbidden(
            f"your agency takes part in dossier {dossier.code} through its process: complete "
            f"your step (POST …/steps/{{n}}/complete); {action.value} belongs to the receiving "
            f"or resolving agency (current step: {step.get('n')})"
        )
    if own and action not in _WHILE_HELD_ELSEWHERE:
        processes.require_holder(principal, dossier)
    others = sorted(set(dossier.holder_agency_codes or ()) - {principal.agency_code})
    if others and action in _ENDING_WORK:
        # Finishing would close the other agencies' parallel steps in our name (domain §4b).
        raise Conflict(
            f"dossier {dossier.code}: the step(s) held by {', '.join(others)} are still in "
            f"progress; they complete them before the dossier can {action.value}"
        )


async def complete_step(
    session: AsyncSession,
    principal: Principal,
    dossier: Dossier,
    n: int,
    note: str | None,
    now: datetime,
    if_match: str | None = None,
) -> Dossier:
    """Completes step ``n`` of the dossier's process (its row locked by the caller): a history
    row with the Mẫu 05 columns and a ``dossier.step_completed`` event, in this transaction."""
    check_version(dossier, if_match)
    if dossier.status not in _STEPPING:
        raise Conflict(
            f"dossier {dossier.code} is {dossier.status.value}: steps are completed while it is "
            + ", ".join(s.value for s in _STEPPING)
        )
    step, started = await processes.complete(session, principal, dossier, n, note, now)
    dossier.updated_at = now  # a new version, even when only one of parallel steps ended
    await session.flush()  # the new version, before the event shows it
    data = _step_data(step, now, started)
    event = _dossier_event(
        dossier, "dossier.step_completed", now, {"step": data["step"]}, also_to=(step.agency_code,)
    )
    await _record(
        session, principal, dossier, "step-complete", dossier.status, now, note, data, event
    )
    return dossier


def _step_data(
    step: DossierStep, now: datetime, started: Sequence[DossierStep] = ()
) -> dict[str, Any]:
    """What a ``step-complete`` history row records: the step as completed (the Mẫu 05
    columns) and the steps its completion started."""
    return {
        "step": processes.step_out(step, now).model_dump(mode="json"),
        "started": [s.n for s in started],
    }


def history_out(row: DossierHistory) -> HistoryOut:
    out = HistoryOut.model_validate(row)
    if row.action == "step-complete" and isinstance(row.data.get("step"), dict):
        out.step = StepOut.model_validate(row.data["step"])
    return out


async def _apply(
    session: AsyncSession,
    principal: Principal,
    dossier: Dossier,
    action: Action,
    body: BaseModel | None,
    now: datetime,
    settings: Settings,
) -> dict[str, Any]:
    """The effects of an action besides the status; returns what the history row records."""
    if action is Action.ACCEPT:
        dossier.received_at = now
        await _start_clock(session, dossier, now)
        process = await processes.current_process(session, dossier.procedure_code)
        if process is not None:
            steps = await processes.begin(session, dossier, process, now, principal.actor)
            await processes.insert_steps(session, dossier.id, steps)
        return {"due_at": _iso(dossier.due_at)}
    if action is Action.ASSIGN:
        assert isinstance(body, AssignIn)
        return await _assign(session, dossier, body)
    if action is Action.REQUEST_SUPPLEMENT:
        assert isinstance(body, SupplementRequestIn)
        return await _request_supplement(session, dossier, body, now, settings)
    if action is Action.SUPPLEMENT_RECEIVED:
        return await _supplement_received(session, dossier, now)
    if action is Action.REQUEST_PAYMENT:
        assert isinstance(body, PaymentRequestIn)
        dossier.fee_amount_vnd = body.amount_vnd
        dossier.resume_status = dossier.status
        return {"amount_vnd": body.amount_vnd}
    if action is Action.PAYMENT_RECEIVED:
        assert isinstance(body, PaymentReceivedIn)
        dossier.fee_paid_online, dossier.fee_paid_at = body.paid_online, now
        dossier.resume_status = None
        return {"paid_online": body.paid_online}
    if action is Action.RESOLVE:
        assert isinstance(body, ResolveIn)
        dossier.outcome, dossier.result_summary = body.outcome, body.result_summary
        dossier.electronic_result = body.electronic_result
        return {"outcome": body.outcome.value, "electronic_result": body.electronic_result}
    if action is Action.RETURN:
        assert isinstance(body, ReturnIn)
        dossier.returned_at, dossier.return_method = now, body.method
        return {"method": body.method}
    return {}


async def _assign(session: AsyncSession, dossier: Dossier, body: AssignIn) -> dict[str, Any]:
    if body.agency_code and body.agency_code != dossier.resolving_agency_code:
        await _require_agency(session, body.agency_code, "agency_code")
        dossier.resolving_agency_code = body.agency_code
    if body.assignee_username:
        user = await identity_repo.get_user_by_username(session, body.assignee_username)
        if user is None or user.agency_code != dossier.resolving_agency_code:
            raise Unprocessable(
                f"assignee_username: no user {body.assignee_username} in the resolving agency "
                f"{dossier.resolving_agency_code}"
            )
        if not user.is_active or not any(role_may(user.role, a) for a in Action):
            raise Unprocessable(
                f"assignee_username: {user.username} cannot handle dossiers "
                f"({'deactivated' if not user.is_active else f'role {user.role.value}'})"
            )
    dossier.assignee_username = body.assignee_username
    return {
        "assignee_username": body.assignee_username,
        "resolving_agency_code": dossier.resolving_agency_code,
    }


async def _request_supplement(
    session: AsyncSession,
    dossier: Dossier,
    body: SupplementRequestIn,
    now: datetime,
    settings: Settings,
) -> dict[str, Any]:
    assert dossier.received_at is not None
    window_days = Decimal(settings.supplement_request_window_working_days)
    calendar = await _calendar(session, dossier.received_at, window_days, TimeUnit.WORKING_DAYS)
    window = calendar.office.hours_per_day * window_days
    late = now > calendar.add_working_time(dossier.received_at, window)
    dossier.supplement_count += 1
    dossier.supplement_requested_at = now
    dossier.resume_status = dossier.status
    dossier.late_supplement_request = dossier.late_supplement_request or late
    return {
        "missing_documents": body.missing_documents,
        "late_request": late,
        "due_at": _iso(dossier.due_at),
    }


async def _supplement_received(
    session: AsyncSession, dossier: Dossier, now: datetime
) -> dict[str, Any]:
    before = dossier.due_at
    if dossier.supplement_clock is SupplementClock.RESTART:
        await _start_clock(session, dossier, now)
        await processes.restart_active(session, dossier, now, None)
    elif dossier.supplement_requested_at is not None and dossier.due_at is not None:
        requested = dossier.supplement_requested_at
        # Covers the wait itself and the same span again after the old due date.
        span = (max(now, dossier.due_at) - requested).days + (now - requested).days * 2
        calendar = await _calendar(session, requested, Decimal(0), TimeUnit.SAME_DAY, span)
        waited = calendar.working_time_between(dossier.supplement_requested_at, now)
        if waited:
            hours = Decimal(waited.total_seconds()) / 3600
            dossier.due_at = calendar.add_working_time(dossier.due_at, hours)
            await processes.restart_active(session, dossier, now, hours)
    dossier.supplement_requested_at = None
    dossier.resume_status = None
    return {
        "clock": dossier.supplement_clock.value,
        "due_before": _iso(before),
        "due_after": _iso(dossier.due_at),
    }


async def record_online_payment(
    session: AsyncSession,
    principal: Principal,
    dossier: Dossier,
    amount_vnd: int,
    paid_at: datetime,
    now: datetime,
    settings: Settings,
) -> Dossier:
    """A payment made on the portal: ends the wait for it, or is recorded as it stands."""
    if dossier.status is DossierStatus.AWAITING_PAYMENT:
        dossier.fee_amount_vnd = amount_vnd
        return await perform(
            session,
            principal,
            dossier,
            Action.PAYMENT_RECEIVED,
            PaymentReceivedIn(paid_online=True),
            now,
            settings,
        )
    dossier.fee_amount_vnd, dossier.fee_paid_online, dossier.fee_paid_at = (
        amount_vnd,
        True,
        paid_at,
    )
    data = {"amount_vnd": amount_vnd, "paid_online": True}
    await _record(session, principal, dossier, "payment-recorded", dossier.status, now, None, data)
    return dossier


def _iso(at: datetime | None) -> str | None:
    return as_local(at).isoformat() if at else None


async def public_lookup(
    reader: RowReader,
    code: str,
    token: str,
    settings: Settings,
    now: datetime,
) -> PublicDossierOut:
    # A wrong token answers exactly like a missing dossier: nothing to learn by guessing codes.
    if not hmac.compare_digest(lookup_token(settings, code).encode(), token.upper().encode()):
        raise NotFound(f"dossier {code} not found")
    view = await repository.public_view(reader, code)
    if view is None:
        raise NotFound(f"dossier {code} not found")
    return to_public(view, now)
