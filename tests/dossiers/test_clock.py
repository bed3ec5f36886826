"""Supplement clocks and the 3-working-day flag, with the clock under the test's control."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.core.clock import LOCAL_ZONE
from services.core.settings import get_settings
from services.dossiers import service
from services.dossiers.schemas import ApplicantIn, AssignIn, DossierCreate, SupplementRequestIn
from services.dossiers.workflow import Action
from services.identity.principal import Principal
from tests.conftest import AGENCY
from tests.dossiers.conftest import LAND, MARITAL


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_ZONE)


async def _received(session: AsyncSession, principal: Principal, code: str, when: str) -> Any:
    data = DossierCreate(
        procedure_code=code,
        channel="in_person",  # type: ignore[arg-type]
        applicant=ApplicantIn(full_name="Phạm Văn Bốn"),
        received_at=at(when),
    )
    dossier, _ = await service.create(session, principal, data, at(when), get_settings())
    return dossier


def _admin(seed: dict[str, Any]) -> Principal:
    user = seed["admin"]
    return Principal(
        kind="user", id=user.id, name=user.username, agency_code=AGENCY, role=user.role
    )


SUPPLEMENT = SupplementRequestIn(reason="Thiếu giấy tờ", missing_documents=["Sổ đỏ"])


async def test_restart_clock_gives_a_full_limit_from_the_supplement(
    session: AsyncSession, seed: Any, procedures: Any
) -> None:
    admin, settings = _admin(seed), get_settings()
    dossier = await _received(session, admin, MARITAL, "2026-03-02T09:00")  # Monday
    assert dossier.due_at == at("2026-03-05T09:00")
    await service.perform(
        session,
        admin,
        dossier,
        Action.REQUEST_SUPPLEMENT,
        SUPPLEMENT,
        at("2026-03-03T10:00"),
        settings,
    )
    assert dossier.late_supplement_request is False
    await service.perform(
        session, admin, dossier, Action.SUPPLEMENT_RECEIVED, None, at("2026-03-09T14:00"), settings
    )
    assert dossier.due_at == at("2026-03-12T14:00")
    assert dossier.status.value == "received" and dossier.supplement_count == 1


async def test_pause_clock_moves_due_by_the_working_time_waited(
    session: AsyncSession, seed: Any, procedures: Any
) -> None:
    admin, settings = _admin(seed), get_settings()
    dossier = await _received(session, admin, LAND, "2026-03-02T09:00")  # 10 working days
    assert dossier.due_at == at("2026-03-16T09:00")
    await service.perform(
        session, admin, dossier, Action.ASSIGN, AssignIn(), at("2026-03-02T10:00"), settings
    )
    await service.perform(
        session,
        admin,
        dossier,
        Action.REQUEST_SUPPLEMENT,
        SUPPLEMENT,
        at("2026-03-03T16:00"),
        settings,
    )
    # Waited Tue 16:00 → Thu 08:30: 1 h + 8 h + 1 h = 10 working hours.
    await service.perform(
        session, admin, dossier, Action.SUPPLEMENT_RECEIVED, None, at("2026-03-05T08:30"), settings
    )
    assert dossier.due_at == at("2026-03-17T11:00")
    assert dossier.status.value == "in_progress"


async def test_late_supplement_request_is_allowed_but_flagged(
    session: AsyncSession, seed: Any, procedures: Any
) -> None:
    admin, settings = _admin(seed), get_settings()
    dossier = await _received(session, admin, LAND, "2026-03-02T09:00")
    # 3 working days after Mon 09:00 is Thu 09:00; Thu 09:30 is late.
    await service.perform(
        session,
        admin,
        dossier,
        Action.REQUEST_SUPPLEMENT,
        SUPPLEMENT,
        at("2026-03-05T09:30"),
        settings,
    )
    assert dossier.late_supplement_request is True
    on_time = await _received(session, admin, LAND, "2026-03-02T09:00")
    await service.perform(
        session,
        admin,
        on_time,
        Action.REQUEST_SUPPLEMENT,
        SUPPLEMENT,
        at("2026-03-05T09:00"),
        settings,
    )
    assert on_time.late_supplement_request is False
