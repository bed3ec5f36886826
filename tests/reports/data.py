"""Hand-computed fixture data for the KPI and Biểu 06 tests (2026-Q1, agency AGENCY).

Working hours (08:00 a day; 1/1 and Tết are outside the ranges used):
A 8 of 24, B 32 of 24, C 1 of 6.5 (same day: 09:00 → 17:00), D 8 of 24, G 56 of 80.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.apologies.models import Apology, ApologyStatus
from services.calendar.workingtime import TimeUnit
from services.core.clock import LOCAL_ZONE
from services.dossiers.models import (
    ApplicantKind,
    Channel,
    Dossier,
    DossierStatus,
    PortalSync,
)
from services.feedback.models import Feedback, FeedbackChannel, FeedbackKind, FeedbackState
from services.procedures.models import SupplementClock
from services.ratings.models import Rating, RatingValue
from tests.conftest import AGENCY, OTHER_AGENCY
from tests.dossiers.conftest import BIRTH, LAND, MARITAL

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=LOCAL_ZONE)


def at(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_ZONE)


def dossier(code: str, **fields: Any) -> Dossier:
    values: dict[str, Any] = {
        "code": code,
        "status": DossierStatus.RETURNED,
        "channel": Channel.IN_PERSON,
        "procedure_code": MARITAL,
        "procedure_name": "Thủ tục",
        "sector_code": "ho-tich",
        "sector_name": "Hộ tịch",
        "sector_group": "civil_status",
        "time_limit_value": Decimal(3),
        "time_limit_unit": TimeUnit.WORKING_DAYS,
        "supplement_clock": SupplementClock.RESTART,
        "boundary_free": False,
        "online_level": "partial",
        "applicant_full_name": "Nguyễn Văn An",
        "applicant_name_folded": "nguyen van an",
        "applicant_kind": ApplicantKind.CITIZEN,
        "receiving_agency_code": AGENCY,
        "resolving_agency_code": AGENCY,
        "due_basis": {},
        "supplement_count": 0,
        "late_supplement_request": False,
        "rescheduled": False,
        "digitized": False,
        "electronic_result": False,
        "reused_data": False,
        "portal_sync": PortalSync.PENDING,
        "version": 1,
    }
    values.update(fields)
    return Dossier(**values)


CERT = {"sector_code": "chung-thuc", "sector_name": "Chứng thực", "sector_group": "certification"}


async def insert_scenario(session: AsyncSession) -> dict[str, Dossier]:
    rows = {
        "A": dossier(
            "A",
            channel=Channel.ONLINE,
            online_level="full",
            fee_amount_vnd=50_000,
            fee_paid_online=True,
            digitized=True,
            portal_sync=PortalSync.SYNCED,
            reused_data=True,
            received_at=at(1, 5),
            due_at=at(1, 8),
            finished_at=at(1, 6),
            electronic_result=True,
        ),
        "B": dossier(
            "B",
            online_level="full",
            fee_amount_vnd=20_000,
            fee_paid_online=False,
            received_at=at(1, 5),
            due_at=at(1, 8),
            finished_at=at(1, 9),
            status=DossierStatus.RESOLVED,
        ),
        "C": dossier(
            "C",
            procedure_code=BIRTH,
            time_limit_value=Decimal(0),
            time_limit_unit=TimeUnit.SAME_DAY,
            digitized=True,
            received_at=at(1, 12),
            due_at=at(1, 12, 17),
            finished_at=at(1, 12, 10),
            electronic_result=True,
            **CERT,
        ),
        "D": dossier(
            "D",
            supplement_count=2,
            received_at=at(1, 12),
            due_at=at(1, 15),
            finished_at=at(1, 13),
            **CERT,
        ),
        "E": dossier(
            "E",
            status=DossierStatus.IN_PROGRESS,
            received_at=at(2, 2),
            original_due_at=at(2, 5),
            due_at=at(2, 10),
            rescheduled=True,
        ),
        "F": dossier("F", status=DossierStatus.IN_PROGRESS, received_at=at(2, 2), due_at=at(2, 5)),
        "G": dossier(
            "G",
            procedure_code=LAND,
            time_limit_value=Decimal(10),
            sector_code="dat-dai",
            sector_name="Đất đai",
            sector_group="land",
            received_at=at(12, 10, year=2025),
            due_at=at(12, 22, year=2025),
            finished_at=at(12, 19, year=2025),
        ),
        # Another agency's, and one received after the period: in no figure below.
        "H": dossier(
            "H",
            channel=Channel.ONLINE,
            receiving_agency_code=OTHER_AGENCY,
            resolving_agency_code=OTHER_AGENCY,
            received_at=at(1, 5),
            due_at=at(1, 8),
            finished_at=at(1, 6),
        ),
        "I": dossier("I", received_at=at(3, 20), due_at=at(3, 25), finished_at=at(3, 20, 10)),
    }
    session.add_all(rows.values())
    await session.flush()
    e = rows["E"]
    session.add(
        Apology(
            dossier_id=e.id,
            dossier_code=e.code,
            agency_code=AGENCY,
            receiving_agency_code=AGENCY,
            status=ApologyStatus.SENT,
            reason="Chờ xác minh",
            original_due_at=at(2, 5),
            proposed_due_at=at(2, 10),
            body="…",
            drafted_at=at(2, 3),
            sent_at=at(2, 4, 15),
            # Later than a day before the due date: still an apology the citizen received.
            issued_late=True,
        )
    )
    for key, value, when in (
        ("A", RatingValue.VERY_SATISFIED, at(1, 7)),
        ("C", RatingValue.DISSATISFIED, at(1, 13)),
        ("G", RatingValue.SATISFIED, at(12, 20, year=2025)),
        ("H", RatingValue.DISSATISFIED, at(1, 7)),
    ):
        d = rows[key]
        session.add(
            Rating(
                dossier_id=d.id,
                dossier_code=d.code,
                receiving_agency_code=d.receiving_agency_code,
                resolving_agency_code=d.resolving_agency_code,
                sector_group=d.sector_group,
                rating=value,
                rated_at=when,
            )
        )
    for n, (state, closed, late, due) in enumerate(
        (
            (FeedbackState.PUBLISHED, at(1, 20), False, at(1, 22)),
            (FeedbackState.REJECTED, at(1, 20), True, at(1, 14)),
            (FeedbackState.CLASSIFIED, None, False, at(2, 10)),
            (FeedbackState.CLASSIFIED, None, False, at(3, 30)),
        ),
        1,
    ):
        session.add(
            Feedback(
                code=f"PAKN-TEST-{n}",
                kind=FeedbackKind.REFLECTION,
                channel=FeedbackChannel.ONLINE,
                state=state,
                content="Nội dung",
                submitter_full_name="Nguyễn Văn An",
                submitter_phone="0912345689",
                submitter_address="Thôn Đông",
                agency_code=AGENCY,
                received_at=at(1, 12),
                due_at=due,
                closed_at=closed,
                late=late,
                version=1,
            )
        )
    await session.commit()
    return rows
