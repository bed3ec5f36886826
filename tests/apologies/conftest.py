from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tests.dossiers.conftest import procedures  # noqa: F401 - the fixture, shared

BULK_SQL = """
INSERT INTO dossiers (
    code, status, channel, procedure_code, procedure_name, sector_code, sector_name,
    sector_group, time_limit_value, time_limit_unit, supplement_clock, boundary_free,
    applicant_full_name, applicant_name_folded, applicant_phone, applicant_kind,
    receiving_agency_code, resolving_agency_code, received_at, due_at, due_basis,
    supplement_count, late_supplement_request, rescheduled, digitized, electronic_result,
    reused_data, portal_sync, version, finished_at)
SELECT CAST(:prefix AS text) || lpad(n::text, 4, '0'),
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
    """Bulk dossiers for scans: what the overdue scan reads, without the reception path."""
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
