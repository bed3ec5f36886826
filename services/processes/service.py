"""Process definitions and the execution of a dossier's steps (domain.md §4b).

The dossier's own use cases (history row, outbox event, version) stay in the dossiers package,
which calls in here; this module never imports the dossier service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar import service as calendar_service
from services.calendar.workingtime import TimeUnit
from services.core.cache import TTLCache
from services.core.clock import as_local
from services.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from services.core.pagination import Page, cursor_instant, cursor_int, decode_keyset, encode_cursor
from services.dossiers.models import Dossier, DossierValues
from services.identity import service as identity_service
from services.identity.models import Role
from services.identity.principal import Principal
from services.outbox.service import emit
from services.procedures.models import Procedure
from services.procedures.service import get_procedure_or_404
from services.processes import plan, repository
from services.processes.models import DossierStep, ProcedureProcess, StepStatus
from services.processes.schemas import (
    CurrentStepOut,
    ProcessIn,
    ProcessOut,
    ProcessStepOut,
    ShareOut,
    StepOut,
    StepRole,
    WorkItemOut,
)

# Who may complete a step of each role: a leader may do an officer's or a specialist's work.
_ROLE_MAY_COMPLETE: dict[Role, frozenset[StepRole]] = {
    Role.LEADER: frozenset(StepRole),
    Role.OFFICER: frozenset({StepRole.OFFICER}),
    Role.SPECIALIST: frozenset({StepRole.SPECIALIST}),
    Role.VIEWER: frozenset(),
}


def _spec(stored: dict[str, Any]) -> plan.StepSpec:
    return plan.StepSpec(
        name=stored["name"],
        role=stored["role"],
        agency_code=stored.get("agency_code"),
        share_value=Decimal(stored["share"]["value"]),
        share_unit=plan.ShareUnit(stored["share"]["unit"]),
        parallel_group=stored.get("parallel_group"),
    )


def _stored(spec: plan.StepSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "role": spec.role,
        "agency_code": spec.agency_code,
        "share": {"value": str(spec.share_value), "unit": spec.share_unit.value},
        "parallel_group": spec.parallel_group,
    }


def to_out(process: ProcedureProcess, limit_value: Decimal, limit_unit: TimeUnit) -> ProcessOut:
    hours_per_day = calendar_service.hours_per_day()
    steps = []
    for n, stored in enumerate(process.steps, start=1):
        spec = _spec(stored)
        given = plan.allotment(spec, limit_value, limit_unit, hours_per_day)
        steps.append(
            ProcessStepOut(
                n=n,
                name=spec.name,
                role=StepRole(spec.role),
                agency_code=spec.agency_code,
                share=ShareOut(value=spec.share_value, unit=spec.share_unit),
                parallel_group=spec.parallel_group,
                allotted=given.amount,
                allotted_unit=given.unit,
            )
        )
    return ProcessOut(
        procedure_code=process.procedure_code,
        version=process.version,
        steps=steps,
        created_by=process.created_by,
        created_at=process.created_at,
        retired_at=process.retired_at,
    )


async def _latest(session: AsyncSession, procedure_code: str) -> ProcedureProcess | None:
    stmt = (
        select(ProcedureProcess)
        .where(ProcedureProcess.procedure_code == procedure_code)
        .order_by(ProcedureProcess.version.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


def validate(
    steps: list[plan.StepSpec], procedure: Procedure, field: str = "steps", context: str = ""
) -> None:
    """422 listing every problem of a process for this procedure, on ``field``."""
    errors = plan.check(
        steps,
        Decimal(procedure.time_limit_value),
        procedure.time_limit_unit,
        calendar_service.hours_per_day(),
    )
    if errors:
        raise Unprocessable(
            f"{field}: {context}{'; '.join(errors)}",
            errors=[{"loc": ["body", field], "msg": e, "type": "value_error"} for e in errors],
        )


async def put_process(
    session: AsyncSession,
    procedure_code: str,
    data: ProcessIn,
    actor: str,
    now: datetime,
    *,
    unless_unchanged: bool = False,
) -> tuple[ProcedureProcess, Procedure, bool]:
    """Stores a new version of the procedure's process; running dossiers keep theirs.
    The flag says whether a version was written.

    ``unless_unchanged``: when the current version has the same steps, it is returned as it is
    (a catalogue imported again makes no new versions).
    """
    # The procedure's row lock serialises concurrent edits: versions stay 1, 2, 3…
    procedure = await get_procedure_or_404(session, procedure_code)
    await session.execute(
        select(Procedure.code).where(Procedure.code == procedure_code).with_for_update()
    )
    specs = [step.spec() for step in data.steps]
    for i, spec in enumerate(specs):
        if spec.agency_code is not None:
            await identity_service.require_agency(
                session, spec.agency_code, f"steps.{i}.agency_code"
            )
    validate(specs, procedure)
    if unless_unchanged:
        current = await _latest(session, procedure_code)
        if (
            current is not None
            and current.retired_at is None
            and current.steps == [_stored(s) for s in specs]
        ):
            return current, procedure, False
    last = await session.scalar(
        select(func.max(ProcedureProcess.version)).where(
            ProcedureProcess.procedure_code == procedure_code
        )
    )
    process = ProcedureProcess(
        procedure_code=procedure_code,
        version=(last or 0) + 1,
        steps=[_stored(s) for s in specs],
        created_by=actor,
        created_at=now,
        retired_at=None,
    )
    session.add(process)
    await session.flush()
    _current.clear()
    return process, procedure, True


async def check_still_fits(session: AsyncSession, procedure: Procedure) -> None:
    """After the procedure's time limit changed: 422 when its current process no longer adds
    up to it (the caller's transaction then rolls the change back)."""
    process = await _latest(session, procedure.code)
    if process is None or process.retired_at is not None:
        return
    validate(
        [_spec(s) for s in process.steps],
        procedure,
        "time_limit",
        f"the internal process (version {process.version}) would no longer fit (define a new "
        "process first, or withdraw it): ",
    )


async def get_process(
    session: AsyncSession, procedure_code: str, version: int | None
) -> tuple[ProcedureProcess, Procedure]:
    procedure = await get_procedure_or_404(session, procedure_code)
    if version is None:
        process = await _latest(session, procedure_code)
        if process is None or process.retired_at is not None:
            raise NotFound(f"procedure {procedure_code} has no internal process")
    else:
        process = (
            await session.scalars(
                select(ProcedureProcess).where(
                    ProcedureProcess.procedure_code == procedure_code,
                    ProcedureProcess.version == version,
                )
            )
        ).first()
        if process is None:
            raise NotFound(f"procedure {procedure_code} has no process version {version}")
    return process, procedure


async def retire_process(session: AsyncSession, procedure_code: str, now: datetime) -> None:
    """New dossiers run without a process; running ones keep theirs."""
    process, _ = await get_process(session, procedure_code, None)
    process.retired_at = now
    await session.flush()
    _current.clear()


@dataclass(frozen=True)
class CurrentProcess:
    id: int
    steps: tuple[plan.StepSpec, ...]


_current: TTLCache[CurrentProcess | None] = TTLCache("procedure-process")


async def current_process(session: AsyncSession, procedure_code: str) -> CurrentProcess | None:
    """The version a dossier received now starts under; cached like the procedure's terms."""

    async def load() -> CurrentProcess | None:
        process = await _latest(session, procedure_code)
        if process is None or process.retired_at is not None:
            return None
        return CurrentProcess(process.id, tuple(_spec(s) for s in process.steps))

    return await _current.get(procedure_code, load)


# ---- execution ------------------------------------------------------------------------------


def _current_step_json(step: DossierStep) -> dict[str, Any]:
    return CurrentStepOut(
        n=step.n,
        name=step.name,
        agency_code=step.agency_code,
        role=step.role,
        started_at=step.started_at,
        due_at=step.due_at,
    ).model_dump(mode="json")


def _refresh_holders(dossier: DossierValues, steps: list[DossierStep]) -> None:
    """The dossier's denormalised view of its active steps: who holds it, and where it is."""
    active = sorted((s for s in steps if s.status is StepStatus.ACTIVE), key=lambda s: s.n)
    dossier.holder_agency_codes = sorted({s.agency_code for s in active if s.agency_code})
    dossier.current_step = _current_step_json(active[0]) if active else None


async def _set_deadlines(session: AsyncSession, stage: list[DossierStep], start: datetime) -> None:
    longest = max(Decimal(s.allotted) for s in stage)
    calendar = await calendar_service.calendar_for_limit(
        session, as_local(start).date(), longest, TimeUnit.WORKING_HOURS
    )
    for step in stage:
        step.due_at = plan.step_due(
            calendar, start, plan.Allotment(Decimal(step.allotted), step.allotted_unit)
        )


async def _start_stage(
    session: AsyncSession,
    dossier: DossierValues,
    stage: list[DossierStep],
    now: datetime,
    handed_over_by: str,
) -> None:
    for step in stage:
        step.status = StepStatus.ACTIVE
        step.agency_code = step.planned_agency_code or dossier.resolving_agency_code
        step.started_at = now
        step.handed_over_by = handed_over_by
    await _set_deadlines(session, stage, now)


async def begin(
    session: AsyncSession,
    dossier: DossierValues,
    process: CurrentProcess,
    start: datetime,
    handed_over_by: str,
) -> list[DossierStep]:
    """Copies the process onto a dossier just received and starts its first stage.

    Call it before the dossier's row is written: it sets the dossier's holder columns. The
    steps it returns are written with the dossier's row (``dossiers.repository.insert_numbered``)
    or, for a dossier accepted later, by ``insert_steps``.
    """
    hours_per_day = calendar_service.hours_per_day()
    limit_value, limit_unit = Decimal(dossier.time_limit_value), dossier.time_limit_unit
    steps: list[DossierStep] = []
    for stage_index, stage in enumerate(plan.stages(process.steps)):
        for i in stage:
            spec = process.steps[i]
            given = plan.allotment(spec, limit_value, limit_unit, hours_per_day)
            steps.append(
                DossierStep(
                    n=i + 1,
                    stage=stage_index,
                    name=spec.name,
                    role=spec.role,
                    parallel_group=spec.parallel_group,
                    planned_agency_code=spec.agency_code,
                    agency_code=None,
                    allotted=given.amount,
                    allotted_unit=given.unit,
                    status=StepStatus.PENDING,
                )
            )
    await _start_stage(session, dossier, [s for s in steps if s.stage == 0], start, handed_over_by)
    dossier.process_id = process.id
    _refresh_holders(dossier, steps)
    return steps


async def insert_steps(session: AsyncSession, dossier_id: int, steps: list[DossierStep]) -> None:
    """Writes the steps of :func:`begin` without loading them as entities (one statement)."""
    columns = [c.key for c in DossierStep.__table__.columns if c.key not in ("id", "dossier_id")]
    rows = [{"dossier_id": dossier_id, **{c: getattr(s, c) for c in columns}} for s in steps]
    await session.execute(insert(DossierStep), rows)


async def steps_of(
    session: AsyncSession, dossier_id: int, *, for_update: bool = False
) -> list[DossierStep]:
    stmt = select(DossierStep).where(DossierStep.dossier_id == dossier_id).order_by(DossierStep.n)
    if for_update:
        stmt = stmt.with_for_update()
    return list(await session.scalars(stmt))


def require_holder(principal: Principal, dossier: Dossier) -> None:
    """While another agency holds a step, the dossier is read-only for everyone else."""
    holders = dossier.holder_agency_codes or []
    if holders and not principal.is_admin and principal.agency_code not in holders:
        where = dossier.current_step or {}
        raise Forbidden(
            f"dossier {dossier.code} is at step {where.get('n')} ({where.get('name')}), held by "
            f"{', '.join(holders)}: you may read it but not change it until the step is completed"
        )


async def complete(
    session: AsyncSession,
    principal: Principal,
    dossier: Dossier,
    n: int,
    note: str | None,
    now: datetime,
) -> tuple[DossierStep, list[DossierStep]]:
    """Completes step ``n``; when its stage is done the next one starts. Returns the completed
    step and the steps started by it. The dossier's row must be locked by the caller."""
    if dossier.process_id is None:
        raise Conflict(f"dossier {dossier.code} has no internal process: no steps to complete")
    steps = await steps_of(session, dossier.id, for_update=True)
    step = next((s for s in steps if s.n == n), None)
    if step is None:
        raise NotFound(f"dossier {dossier.code} has no step {n}")
    if step.status is not StepStatus.ACTIVE:
        current = [s.n for s in steps if s.status is StepStatus.ACTIVE]
        raise Conflict(
            f"step {n} is {step.status.value}; "
            + (f"the current step is {current[0]}" if current else "no step is in progress")
        )
    if not (principal.is_admin or principal.agency_code == step.agency_code):
        raise Forbidden(f"step {n} is held by {step.agency_code}, not by your agency")
    if principal.role is not None and StepRole(step.role) not in _ROLE_MAY_COMPLETE.get(
        principal.role, frozenset(StepRole)
    ):
        raise Forbidden(f"step {n} is for a {step.role}; your role is {principal.role.value}")
    assert step.due_at is not None
    step.status = StepStatus.COMPLETED
    step.completed_at = now
    step.completed_by = principal.actor
    step.note = note
    step.result = plan.judge(now, step.due_at)
    started: list[DossierStep] = []
    if all(s.status is StepStatus.COMPLETED for s in steps if s.stage == step.stage):
        later = [s for s in steps if s.stage > step.stage]
        if later:
            next_stage = min(s.stage for s in later)
            started = [s for s in later if s.stage == next_stage]
            await _start_stage(session, dossier, started, now, principal.actor)
    _refresh_holders(dossier, steps)
    return step, started


async def close_open(
    session: AsyncSession, dossier: Dossier, now: datetime, completed_by: str | None
) -> list[DossierStep]:
    """The dossier ended. Returned (``completed_by`` given): handing the result over completes
    the steps in progress, judged like any other; refused, withdrawn or stopped: they are
    cancelled. Steps not started yet are cancelled either way. Returns the steps completed."""
    if dossier.process_id is None:
        return []
    steps = await steps_of(session, dossier.id, for_update=True)
    completed = []
    for step in steps:
        if step.status is StepStatus.ACTIVE and completed_by is not None:
            assert step.due_at is not None
            step.status = StepStatus.COMPLETED
            step.completed_at, step.completed_by = now, completed_by
            step.result = plan.judge(now, step.due_at)
            completed.append(step)
        elif step.status in (StepStatus.PENDING, StepStatus.ACTIVE):
            step.status = StepStatus.CANCELLED
    _refresh_holders(dossier, steps)
    return completed


async def restart_active(
    session: AsyncSession, dossier: Dossier, now: datetime, waited_hours: Decimal | None
) -> None:
    """A supplement arrived: with the clock ``restart`` (``waited_hours`` None) the active steps
    get their full time again from now; with ``pause`` their deadlines move by the wait."""
    if dossier.process_id is None:
        return
    steps = await steps_of(session, dossier.id, for_update=True)
    active = [s for s in steps if s.status is StepStatus.ACTIVE]
    if not active:
        return
    if waited_hours is None:
        await _set_deadlines(session, active, now)
    elif waited_hours > 0:
        # As for the dossier's own due date (dossiers.service): the wait in office time, on a
        # calendar that covers each step's own deadline.
        for step in active:
            assert step.due_at is not None
            calendar = await calendar_service.calendar_for_limit(
                session, as_local(step.due_at).date(), waited_hours, TimeUnit.WORKING_HOURS
            )
            step.due_at = calendar.add_working_time(step.due_at, waited_hours)
    for step in active:
        step.overdue_at = None  # a new deadline: late again is news again
    _refresh_holders(dossier, steps)


def step_out(step: DossierStep, now: datetime) -> StepOut:
    return StepOut(
        n=step.n,
        name=step.name,
        role=step.role,
        agency_code=step.agency_code,
        parallel_group=step.parallel_group,
        status=step.status,
        handed_over_by=step.handed_over_by,
        received_by=step.completed_by,
        started_at=step.started_at,
        due_at=step.due_at,
        completed_at=step.completed_at,
        result=step.result,
        note=step.note,
        is_overdue=step.due_at is not None and (step.completed_at or now) > step.due_at,
    )


# ---- work items and late steps --------------------------------------------------------------


# Officers and specialists see the steps of their own role; everyone else (leaders, viewers,
# admins, API keys) every role.
_OWN_ROLE_ONLY = {Role.OFFICER: StepRole.OFFICER, Role.SPECIALIST: StepRole.SPECIALIST}


def _roles_seen(principal: Principal, role: StepRole | None) -> frozenset[str] | None:
    """The step roles listed for the caller (None: all), narrowed by ``role``."""
    own = _OWN_ROLE_ONLY.get(principal.role) if principal.role is not None else None
    if role is None:
        return None if own is None else frozenset({own.value})
    return frozenset() if own is not None and role is not own else frozenset({role.value})


async def list_work_items(
    session: AsyncSession,
    principal: Principal,
    role: StepRole | None,
    overdue: bool | None,
    mine: bool,
    agency_code: str | None,
    cursor: str | None,
    limit: int,
    now: datetime,
) -> Page[WorkItemOut]:
    if agency_code is not None and not principal.sees_agency(agency_code):
        raise Forbidden("You can only list your own agency's work")
    agency = agency_code or (None if principal.is_admin else principal.agency_code)
    position = decode_keyset(cursor, cursor_instant, cursor_int)
    if mine and principal.kind != "user":
        raise Unprocessable("mine: only for staff logins (an API key has no assignments)")
    rows = await repository.work_items(
        session,
        agency,
        _roles_seen(principal, role),
        overdue,
        principal.name if mine else None,
        position,
        limit,
        now,
    )
    items = [
        WorkItemOut(
            dossier_code=dossier.code,
            procedure_name=dossier.procedure_name,
            dossier_status=dossier.status.value,
            dossier_due_at=dossier.due_at,
            assignee_username=dossier.assignee_username,
            step=CurrentStepOut.model_validate(_current_step_json(step)),
            is_overdue=bool(late),
        )
        for step, dossier, late in rows
    ]
    last = rows[-1][0] if len(rows) == limit else None
    next_cursor = None
    if last is not None and last.due_at is not None:
        next_cursor = encode_cursor([last.due_at.isoformat(), last.id])
    return Page(items=items, next_cursor=next_cursor)


async def report_late_steps(session: AsyncSession, now: datetime, batch_size: int) -> int:
    """One batch of the step part of the overdue scan: each late step is reported once, with a
    ``dossier.step_overdue`` event, so that its department is warned before the dossier is late.
    """
    rows = await repository.claim_late_steps(session, now, batch_size)
    for step, dossier in rows:
        step.overdue_at = now
        emit(
            session,
            "dossier.step_overdue",
            dossier.code,
            (step.agency_code, dossier.receiving_agency_code, dossier.resolving_agency_code),
            {
                "dossier_code": dossier.code,
                "procedure_name": dossier.procedure_name,
                "dossier_due_at": dossier.due_at.isoformat() if dossier.due_at else None,
                "step": step_out(step, now).model_dump(mode="json"),
            },
        )
    await session.flush()
    return len(rows)
