"""Demo data for ``make run``: agencies, a user of each role, the sample procedure catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib.resources import as_file, files
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.core.clock import utcnow
from services.identity import repository as identity_repo
from services.identity import service as identity_service
from services.identity.models import Agency, AgencyLevel, Role
from services.identity.schemas import UserCreate
from services.procedures.importer import ImportReport, import_procedures
from services.processes import service as processes
from services.processes.schemas import ProcessIn

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


# Liên thông in the demo: the department appraises, the commune's leader signs.
DEMO_PROCESS_PROCEDURE = "1.004873"
DEMO_PROCESS = ProcessIn.model_validate(
    {
        "steps": [
            {
                "name": "Tiếp nhận hồ sơ",
                "role": "officer",
                "share": {"value": 4, "unit": "working_hours"},
            },
            {
                "name": "Thẩm định hồ sơ",
                "role": "specialist",
                "agency_code": DEMO_DEPARTMENT,
                "share": {"value": 2, "unit": "working_days"},
            },
            {
                "name": "Phê duyệt và trả kết quả",
                "role": "leader",
                "share": {"value": 4, "unit": "working_hours"},
            },
        ]
    }
)


async def seed_processes(session: AsyncSession) -> str:
    """The demo process, as a new version only when it changed; returns a one-line summary."""
    process, _, saved = await processes.put_process(
        session, DEMO_PROCESS_PROCEDURE, DEMO_PROCESS, "demo", utcnow(), unless_unchanged=True
    )
    state = "saved" if saved else "unchanged"
    return (
        f"{DEMO_PROCESS_PROCEDURE} version {process.version} ({state}), step 2 at {DEMO_DEPARTMENT}"
    )


BULK_SQL = """
INSERT INTO dossiers (
    code, status, channel, procedure_code, procedure_name, sector_code, sector_name,
    sector_group, time_limit_value, time_limit_unit, supplement_clock, boundary_free,
    applicant_full_name, applicant_name_folded, applicant_phone, applicant_kind,
    receiving_agency_code, resolving_agency_code, received_at, due_at, due_basis,
    supplement_count, late_supplement_request, rescheduled, digitized, electronic_result,
    reused_data, portal_sync, version, finished_at)
SELECT CAST(:prefix AS text) || lpad(n::text, greatest(4, length(n::text)), '0'),
       CASE WHEN CAST(:finished AS boolean) THEN 'resolved' ELSE 'in_progress' END,
       'in_person', :procedure, 'Thủ tục cấp Giấy xác nhận tình trạng hôn nhân', 'ho-tich',
       'Hộ tịch', 'civil_status', 3, 'working_days', 'restart', false,
       'Nguyễn Văn ' || n, 'nguyen van ' || n, '0912345689', 'citizen', :agency, :agency,
       CAST(:received_at AS timestamptz), CAST(:due_at AS timestamptz), '{}'::jsonb,
       0, false, false, false, false, false, 'pending', 1,
       CASE WHEN CAST(:finished AS boolean) THEN :received_at END
FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS n
"""


async def insert_dossiers(
    conn: AsyncConnection | AsyncSession,
    *,
    agency: str,
    procedure: str,
    prefix: str,
    first: int,
    last: int,
    received_at: datetime,
    due_at: datetime,
    finished: bool = False,
) -> None:
    """Synthetic dossiers in bulk (one statement) for demos, tests and benchmarks: what the
    overdue scan and reports read, without going through reception one by one."""
    params: dict[str, Any] = {
        "prefix": prefix,
        "agency": agency,
        "procedure": procedure,
        "first": first,
        "last": last,
        "received_at": received_at,
        "due_at": due_at,
        "finished": finished,
    }
    await conn.execute(text(BULK_SQL), params)
