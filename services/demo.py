"""Demo data for ``make run``: agencies, a user of each role, the sample procedure catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import as_file, files

from sqlalchemy.ext.asyncio import AsyncSession

from services.identity import repository as identity_repo
from services.identity import service as identity_service
from services.identity.models import Agency, AgencyLevel, Role
from services.identity.schemas import UserCreate
from services.procedures.importer import ImportReport, import_procedures

DEMO_AGENCY = "000.00.31.H56"
DEMO_DEPARTMENT = "000.01.31.H56"
DEMO_PROVINCE = "000.00.00.H56"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: Role
    agency_code: str


# One password for every demo account keeps the printed list short; never used outside demos.
DEMO_PASSWORD = "MotCua-demo-2026"  # noqa: S105

DEMO_LOGINS = (
    DemoLogin("admin", DEMO_PASSWORD, Role.ADMIN, DEMO_PROVINCE),
    DemoLogin("lanhdao", DEMO_PASSWORD, Role.LEADER, DEMO_AGENCY),
    DemoLogin("canbo", DEMO_PASSWORD, Role.OFFICER, DEMO_AGENCY),
    DemoLogin("chuyenvien", DEMO_PASSWORD, Role.SPECIALIST, DEMO_AGENCY),
    DemoLogin("xem", DEMO_PASSWORD, Role.VIEWER, DEMO_AGENCY),
    DemoLogin("phongtp", DEMO_PASSWORD, Role.SPECIALIST, DEMO_DEPARTMENT),
)

_AGENCIES = (
    (DEMO_PROVINCE, "UBND tỉnh Nam Hải (demo)", AgencyLevel.PROVINCE, None, "CHỦ TỊCH", None),
    (
        DEMO_AGENCY,
        "UBND xã Vĩnh Bảo (demo)",
        AgencyLevel.COMMUNE,
        DEMO_PROVINCE,
        "CHỦ TỊCH",
        "Trần Văn Bình",
    ),
    (
        DEMO_DEPARTMENT,
        "Phòng Văn hóa - Xã hội xã Vĩnh Bảo (demo)",
        AgencyLevel.DEPARTMENT,
        DEMO_AGENCY,
        "TRƯỞNG PHÒNG",
        "Phạm Thị Lan",
    ),
)


async def seed_identity(session: AsyncSession) -> list[DemoLogin]:
    """Idempotent: creates what is missing and leaves existing rows alone."""
    for code, name, level, parent, signer_title, signer_name in _AGENCIES:
        if await identity_repo.get_agency(session, code) is None:
            session.add(
                Agency(
                    code=code,
                    name=name,
                    level=level,
                    parent_code=parent,
                    signer_title=signer_title,
                    signer_name=signer_name,
                    address="Trung tâm Phục vụ hành chính công xã Vĩnh Bảo",
                )
            )
            await session.flush()
    for login in DEMO_LOGINS:
        if await identity_repo.get_user_by_username(session, login.username) is None:
            await identity_service.create_user(
                session,
                UserCreate(
                    username=login.username,
                    password=login.password,
                    full_name=f"Demo {login.role.value}",
                    role=login.role,
                    agency_code=login.agency_code,
                ),
            )
    return list(DEMO_LOGINS)


async def seed_procedures(session: AsyncSession) -> ImportReport:
    """Load the bundled sample catalogue; re-running updates its rows, never duplicates them."""
    sample = files("services.procedures") / "data" / "procedures-sample.csv"
    with as_file(sample) as path:
        return await import_procedures(session, path)
