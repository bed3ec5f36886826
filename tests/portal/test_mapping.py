from __future__ import annotations

from typing import Any

import pytest

from services.dossiers.models import DossierStatus
from services.portal.mapping import STATUS_CODE, portal_time, to_record

# domain.md §4, written out again: the mapping is one to one and never folds statuses.
EXPECTED = {
    "submitted": 1,
    "received": 2,
    "refused": 3,
    "in_progress": 4,
    "supplement_requested": 5,
    "awaiting_payment": 6,
    "withdrawn": 7,
    "stopped": 8,
    "resolved": 9,
    "returned": 10,
}


def snapshot(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "code": "H56-261122-0001",
        "status": "received",
        "procedure_code": "1.004873",
        "procedure_name": "Cấp giấy xác nhận",
        "channel": "online",
        "applicant": {
            "full_name": "Nguyễn Văn An",
            "id_number": "001099012345",
            "phone": "0912345689",
            "email": None,
            "kind": "business",
        },
        "summary": "x" * 1200,
        "submitted_at": "2026-11-20T08:00:00+07:00",
        "received_at": "2026-11-20T09:15:30+07:00",
        "due_at": "2026-11-25T09:15:30+07:00",
        "finished_at": None,
        "returned_at": None,
        "resolving_agency_code": "H56",
        "fee": {"amount_vnd": 5000, "paid_online": True},
        "digitized": True,
        "version": 3,
    }
    base.update(kw)
    return base


@pytest.mark.parametrize("status", list(DossierStatus))
def test_every_state_maps_to_its_own_code(status: DossierStatus) -> None:
    assert STATUS_CODE[status] == EXPECTED[status.value]
    assert to_record(snapshot(status=status.value))["TrangThaiHoSo"] == EXPECTED[status.value]


def test_record_fields() -> None:
    record = to_record(snapshot())
    assert record["MaHoSo"] == "H56-261122-0001" and record["KenhThucHien"] == 2
    assert record["NgayTiepNhan"] == "20261120091530"
    assert record["NgayHenTra"] == "20261125091530" and record["NgayNopHoSo"] == "20261120080000"
    assert record["LoaiDoiTuong"] == 2 and record["DuocThanhToanTrucTuyen"] == 1
    assert record["HoSoCoThanhPhanSoHoa"] == 1 and len(record["TrichYeuHoSo"]) == 1000
    assert record["IdempotencyKey"] == "H56-261122-0001:v3"
    assert "Email" not in record and "NgayKetThucXuLy" not in record


def test_refusal_carries_its_date_and_times_are_local() -> None:
    record = to_record(snapshot(status="refused", finished_at="2026-11-20T03:00:00+00:00"))
    assert record["NgayTuChoi"] == record["NgayKetThucXuLy"] == "20261120100000"
    assert portal_time("2026-12-31T17:30:00+00:00") == "20270101003000"
