"""Apologies for late dossiers: the overdue scan drafts them, a leader approves, someone sends.

Domain rules: ../shared/docs/domain.md §5. Services flush; callers commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.apologies import repository
from services.apologies.letter import LetterFacts, default_reason, draft_body, letter_document
from services.apologies.models import Apology, ApologyStatus
from services.apologies.schemas import ApproveIn
from services.calendar import service as calendar_service
from services.calendar.workingtime import TimeUnit
from services.core.clock import as_local
from services.core.errors import Conflict, Forbidden, NotFound, Unprocessable
from services.core.pdf import render_pdf
from services.core.privacy import mask_digits, mask_name
from services.core.settings import Settings
from services.dossiers import service as dossier_service
from services.dossiers.models import Dossier, DossierHistory
from services.dossiers.repository import get_visible as get_visible_dossier
from services.identity import repository as identity_repo
from services.identity.models import Agency, Role
from services.identity.principal import Principal
from services.outbox.models import OutboxEvent
from services.outbox.service import emit


@dataclass
class ScanReport:
    drafted: int = 0
    marked_overdue: int = 0
    batches: int = 0


def apology_number(dossier_code: str) -> str:
    return f"{dossier_code}/XL"


async def _facts(
    session: AsyncSession,
    dossier: Dossier,
    agencies: dict[str, Agency | None],
    reason: str,
    original_due: datetime,
    proposed: datetime,
    dated: datetime,
    overdue: bool,
) -> LetterFacts:
    code = dossier.resolving_agency_code
    if code not in agencies:
        agencies[code] = await identity_repo.get_agency(session, code)
    agency = agencies[code]
    return LetterFacts(
        agency_name=agency.name if agency else code,
        agency_address=agency.address if agency else None,
        signer_title=agency.signer_title if agency else None,
        signer_name=agency.signer_name if agency else None,
        number=apology_number(dossier.code),
        dated=dated,
        applicant_name=dossier.applicant_full_name,
        applicant_address=dossier.applicant_address,
        applicant_phone=dossier.applicant_phone,
        received_at=dossier.received_at or dossier.submitted_at or dated,
        procedure_name=dossier.procedure_name,
        dossier_code=dossier.code,
        original_due_at=original_due,
        overdue=overdue,
        reason=reason,
        proposed_due_at=proposed,
    )


async def scan_batch(session: AsyncSession, now: datetime, settings: Settings) -> ScanReport:
    """One batch of the overdue scan: drafts missing apologies and marks overdue dossiers.

    Rows are locked with SKIP LOCKED, so several workers split the work; the unique constraint
    on ``apologies.dossier_id`` makes a second draft impossible even if two ever met.
    """
    report = ScanReport()
    horizon = now + timedelta(hours=settings.apology_lead_time_hours)
    dossiers = await repository.claim_due(session, now, horizon, settings.overdue_scan_batch_size)
    if not dossiers:
        return report
    report.batches = 1
    already = await repository.apologised(session, [d.id for d in dossiers])
    due_dates = [d.due_at for d in dossiers if d.due_at is not None]
    first, last = min(due_dates), max(due_dates)
    calendar = await calendar_service.calendar_for_limit(
        session,
        as_local(first).date(),
        Decimal(settings.apology_reschedule_working_days),
        TimeUnit.WORKING_DAYS,
        (last - first).days + 1,
    )
    hours = calendar.office.hours_per_day * settings.apology_reschedule_working_days
    agencies: dict[str, Agency | None] = {}
    drafts: list[dict[str, Any]] = []
    for dossier in dossiers:
        assert dossier.due_at is not None
        overdue = dossier.due_at < now
        if dossier.id not in already:
            proposed = calendar.add_working_time(dossier.due_at, hours)
            reason = default_reason(overdue)
            facts = await _facts(
                session, dossier, agencies, reason, dossier.due_at, proposed, now, overdue
            )
            drafts.append(
                {
                    "id": uuid.uuid4(),
                    "dossier_id": dossier.id,
                    "dossier_code": dossier.code,
                    "agency_code": dossier.resolving_agency_code,
                    "receiving_agency_code": dossier.receiving_agency_code,
                    "status": ApologyStatus.DRAFT,
                    "reason": reason,
                    "original_due_at": dossier.due_at,
                    "proposed_due_at": proposed,
                    "body": draft_body(facts),
                    "drafted_at": now,
                }
            )
        if overdue and dossier.overdue_marked_at is None:
            dossier.overdue_marked_at = now
            report.marked_overdue += 1
    await session.flush()  # the overdue marks: one new version per dossier
    for dossier in dossiers:
        if dossier.overdue_marked_at == now:
            emit(
                session,
                "dossier.overdue",
                dossier.code,
                (dossier.receiving_agency_code, dossier.resolving_agency_code),
                {"dossier": dossier_service.dossier_json(dossier, now)},
            )
    if drafts:
        inserted = await session.execute(
            insert(Apology)
            .values(drafts)
            .on_conflict_do_nothing(index_elements=["dossier_id"])
            .returning(Apology.id)
        )
        created = set(inserted.scalars())
        for draft in drafts:
            if draft["id"] in created:
                report.drafted += 1
                emit(
                    session,
                    "apology.drafted",
                    draft["dossier_code"],
                    (draft["agency_code"], draft["receiving_agency_code"]),
                    {"apology": _event_view(draft)},
                )
    await session.flush()
    return report


def _event_view(draft: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(draft["id"]),
        "dossier_code": draft["dossier_code"],
        "status": "draft",
        "reason": draft["reason"],
        "original_due_at": as_local(draft["original_due_at"]).isoformat(),
        "proposed_due_at": as_local(draft["proposed_due_at"]).isoformat(),
    }


async def get_or_404(session: AsyncSession, principal: Principal, apology_id: uuid.UUID) -> Apology:
    apology = await repository.get_visible(session, principal, apology_id)
    if apology is None:
        raise NotFound(f"apology {apology_id} not found")
    return apology


async def for_dossier_or_404(session: AsyncSession, principal: Principal, code: str) -> Apology:
    dossier = await dossier_service.get_or_404(session, principal, code)
    apology = await repository.for_dossier(session, dossier.id)
    if apology is None:
        raise NotFound(f"dossier {code} has no apology")
    return apology


async def _locked_dossier(session: AsyncSession, principal: Principal, apology: Apology) -> Dossier:
    dossier = await get_visible_dossier(session, principal, apology.dossier_code, for_update=True)
    if dossier is None:
        raise NotFound(f"apology {apology.id} not found")
    return dossier


def _new_date_problem(proposed: datetime, dossier: Dossier, now: datetime) -> str | None:
    """Why ``proposed`` cannot be the new return date, if it cannot: it must lie in the future
    and after the dossier's current due date (a promise is moved later, never earlier). A draft
    made long after the due date proposes a date already past (due + 3 working days)."""
    shown = as_local(proposed).isoformat()
    if proposed <= now:
        return f"{shown} is not in the future"
    if dossier.due_at is not None and proposed <= dossier.due_at:
        return f"{shown} must be after the current due date {as_local(dossier.due_at).isoformat()}"
    return None


async def approve(
    session: AsyncSession,
    principal: Principal,
    apology: Apology,
    data: ApproveIn,
    now: datetime,
) -> Apology:
    if not (
        principal.is_admin
        or (principal.role is Role.LEADER and principal.agency_code == apology.agency_code)
    ):
        raise Forbidden("Only a leader of the resolving agency approves an apology")
    # An approved apology may be approved again until it is sent: the way to a later date
    # when the dossier's due date moved after approval (a supplement received).
    if apology.status not in (ApologyStatus.DRAFT, ApologyStatus.APPROVED):
        raise Conflict(f"apology is {apology.status.value}; it can no longer be approved")
    dossier = await _locked_dossier(session, principal, apology)
    proposed = data.proposed_due_at or apology.proposed_due_at
    problem = _new_date_problem(proposed, dossier, now)
    if problem is not None:
        raise Unprocessable(f"proposed_due_at: {problem}")
    local = as_local(proposed)
    # The new date is an appointment to collect the result at the centre (Mẫu 04).
    if not (await calendar_service.work_calendar(session, local.date(), 1)).is_office_time(local):
        raise Unprocessable(
            f"proposed_due_at: {local.isoformat()} is not within office hours of a working day"
        )
    apology.reason = data.reason or apology.reason
    apology.proposed_due_at = proposed
    apology.body = draft_body(
        await _facts(
            session,
            dossier,
            {},
            apology.reason,
            apology.original_due_at,
            apology.proposed_due_at,
            apology.drafted_at,
            apology.original_due_at < apology.drafted_at,
        )
    )
    apology.status, apology.approved_by, apology.approved_at = (
        ApologyStatus.APPROVED,
        principal.actor,
        now,
    )
    await session.flush()
    return apology


async def send(
    session: AsyncSession, principal: Principal, apology: Apology, now: datetime
) -> Apology:
    """Moves the dossier's due date, once and for all (domain.md §5)."""
    if not principal.is_admin and principal.role not in (None, Role.LEADER, Role.OFFICER):
        raise Forbidden("Only a leader or an officer sends an apology")
    if apology.status is not ApologyStatus.APPROVED:
        raise Conflict(f"apology is {apology.status.value}; only an approved one can be sent")
    dossier = await _locked_dossier(session, principal, apology)
    if dossier.rescheduled:
        raise Conflict(f"dossier {dossier.code} was already rescheduled once; it cannot be again")
    if dossier.finished_at is not None:
        raise Conflict(f"dossier {dossier.code} is already finished")
    problem = _new_date_problem(apology.proposed_due_at, dossier, now)
    if problem is not None:
        # Time passed, or the due date moved (a supplement) since approval.
        raise Conflict(
            f"the approved date {problem}; approve the apology again with a later proposed_due_at"
        )
    previous_due = dossier.due_at
    dossier.original_due_at = dossier.original_due_at or previous_due
    dossier.due_at = apology.proposed_due_at
    dossier.rescheduled = True
    # A new promise: the dossier is no longer overdue, and may be marked again if it runs late.
    dossier.overdue_marked_at = None
    apology.status, apology.sent_at, apology.sent_by = ApologyStatus.SENT, now, principal.actor
    apology.issued_late = now > apology.original_due_at - timedelta(days=1)
    await session.flush()
    session.add(
        DossierHistory(
            dossier_id=dossier.id,
            action="apology-sent",
            from_status=dossier.status.value,
            to_status=dossier.status.value,
            actor=principal.actor,
            actor_agency_code=principal.agency_code,
            note=apology.reason,
            data={
                "due_before": as_local(previous_due).isoformat() if previous_due else None,
                "due_after": as_local(apology.proposed_due_at).isoformat(),
                "issued_late": apology.issued_late,
            },
            at=now,
        )
    )
    session.add(
        OutboxEvent(
            event_type="apology.sent",
            subject=dossier.code,
            agency_codes=sorted({dossier.receiving_agency_code, dossier.resolving_agency_code}),
            payload=notification(dossier, apology),
        )
    )
    # The new due date is a change of the dossier, which the portal must receive too.
    session.add(
        OutboxEvent(
            event_type="dossier.rescheduled",
            subject=dossier.code,
            agency_codes=sorted({dossier.receiving_agency_code, dossier.resolving_agency_code}),
            payload={
                "dossier": dossier_service.dossier_json(dossier, now),
                "apology_id": str(apology.id),
            },
        )
    )
    await session.flush()
    return apology


def notification(dossier: Dossier, apology: Apology) -> dict[str, Any]:
    """What a front end or an SMS gateway needs to tell the citizen, without personal data."""
    return {
        "apology_id": str(apology.id),
        "dossier_code": dossier.code,
        "dossier_version": dossier.version,
        "applicant_name": mask_name(dossier.applicant_full_name),
        "original_due_at": as_local(apology.original_due_at).isoformat(),
        "new_due_at": as_local(apology.proposed_due_at).isoformat(),
        "reason": apology.reason,
        "issued_late": apology.issued_late,
        "channels": {
            "sms": dossier.applicant_phone is not None,
            "email": dossier.applicant_email is not None,
            "portal": dossier.channel.value == "online",
        },
        "phone_hint": mask_digits(dossier.applicant_phone) if dossier.applicant_phone else None,
        "message_vi": (
            f"Hồ sơ {dossier.code} chậm trả kết quả. Cơ quan xin lỗi Ông/Bà và hẹn trả kết quả "
            f"vào {as_local(apology.proposed_due_at):%H giờ %M, ngày %d/%m/%Y}."
        ),
    }


async def document_pdf(session: AsyncSession, principal: Principal, apology: Apology) -> bytes:
    dossier = await dossier_service.get_or_404(session, principal, apology.dossier_code)
    facts = await _facts(
        session,
        dossier,
        {},
        apology.reason,
        apology.original_due_at,
        apology.proposed_due_at,
        apology.approved_at or apology.drafted_at,
        apology.original_due_at < apology.drafted_at,
    )
    return render_pdf(letter_document(facts))
