from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar.workingtime import TimeUnit
from services.procedures.models import Procedure, SectorGroup, SupplementClock

BIRTH = "1.001193"  # same day
MARITAL = "1.004873"  # 3 working days, restart clock
LAND = "1.000001"  # 10 working days, pause clock


@pytest_asyncio.fixture
async def procedures(session: AsyncSession, seed: Any) -> dict[str, Procedure]:
    rows = [
        Procedure(
            code=BIRTH,
            name="Thủ tục đăng ký khai sinh",
            name_folded="thu tuc dang ky khai sinh",
            sector_code="ho-tich",
            sector_name="Hộ tịch",
            sector_group=SectorGroup.CIVIL_STATUS,
            time_limit_value=Decimal(0),
            time_limit_unit=TimeUnit.SAME_DAY,
            fee_vnd=0,
        ),
        Procedure(
            code=MARITAL,
            name="Thủ tục cấp Giấy xác nhận tình trạng hôn nhân",
            name_folded="thu tuc cap giay xac nhan tinh trang hon nhan",
            sector_code="ho-tich",
            sector_name="Hộ tịch",
            sector_group=SectorGroup.CIVIL_STATUS,
            time_limit_value=Decimal(3),
            time_limit_unit=TimeUnit.WORKING_DAYS,
        ),
        Procedure(
            code=LAND,
            name="Đăng ký đất đai lần đầu",
            name_folded="dang ky dat dai lan dau",
            sector_code="dat-dai",
            sector_name="Đất đai",
            sector_group=SectorGroup.LAND,
            time_limit_value=Decimal(10),
            time_limit_unit=TimeUnit.WORKING_DAYS,
            supplement_clock=SupplementClock.PAUSE,
        ),
    ]
    session.add_all(rows)
    await session.commit()
    return {p.code: p for p in rows}


def dossier_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "procedure_code": MARITAL,
        "channel": "in_person",
        "applicant": {
            "full_name": "Nguyễn Văn An",
            "id_number": "001099012345",
            "phone": "0912345689",
            "address": "Thôn Đông",
            "kind": "citizen",
        },
        "summary": "Xin xác nhận tình trạng hôn nhân",
    }
    body.update(overrides)
    return body
