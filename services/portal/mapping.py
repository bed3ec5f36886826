"""Internal dossier → the portal's record (DongBoHoSoMC). Pure.

Statuses map one to one (domain.md §4): never rewritten, because folding 5, 6 and 8 into 9
corrupts the national on-time figures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.core.clock import as_local
from services.dossiers.models import ApplicantKind, Channel, DossierStatus

STATUS_CODE: dict[DossierStatus, int] = {
    DossierStatus.SUBMITTED: 1,
    DossierStatus.RECEIVED: 2,
    DossierStatus.REFUSED: 3,
    DossierStatus.IN_PROGRESS: 4,
    DossierStatus.SUPPLEMENT_REQUESTED: 5,
    DossierStatus.AWAITING_PAYMENT: 6,
    DossierStatus.WITHDRAWN: 7,
    DossierStatus.STOPPED: 8,
    DossierStatus.RESOLVED: 9,
    DossierStatus.RETURNED: 10,
}
CHANNEL_CODE = {Channel.IN_PERSON: 1, Channel.ONLINE: 2, Channel.POSTAL: 3}
APPLICANT_KIND_CODE = {
    ApplicantKind.CITIZEN: 1,
    ApplicantKind.BUSINESS: 2,
    ApplicantKind.ORGANIZATION: 4,
}
# 1 paid on the portal's platform, 3 not paid online (domain.md §8).
PAID_ONLINE, NOT_PAID_ONLINE = 1, 3


def portal_time(value: str | datetime | None) -> str | None:
    """``yyyyMMddHHmmss`` on the Vietnamese wall clock."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return as_local(moment).strftime("%Y%m%d%H%M%S")


def idempotency_key(code: str, version: int) -> str:
    return f"{code}:v{version}"


def to_record(dossier: dict[str, Any]) -> dict[str, Any]:
    """The record of one dossier snapshot (the ``dossier`` of an outbox event payload)."""
    status = DossierStatus(dossier["status"])
    applicant = dossier["applicant"]
    received = dossier.get("received_at") or dossier.get("submitted_at")
    fee = dossier.get("fee") or {}
    record: dict[str, Any] = {
        "MaHoSo": dossier["code"],
        "MaTTHC": dossier["procedure_code"],
        "TenTTHC": dossier["procedure_name"],
        "KenhThucHien": CHANNEL_CODE[Channel(dossier["channel"])],
        "ChuHoSo": applicant["full_name"],
        "LoaiDoiTuong": APPLICANT_KIND_CODE[ApplicantKind(applicant["kind"])],
        "SoGiayToChuHoSo": applicant.get("id_number"),
        "SoDienThoai": applicant.get("phone"),
        "Email": applicant.get("email"),
        "TrichYeuHoSo": (dossier.get("summary") or "")[:1000] or None,
        "NgayNopHoSo": portal_time(dossier.get("submitted_at") or received),
        "NgayTiepNhan": portal_time(received),
        # Before acceptance an online filing has no due date yet: the portal requires one, so
        # the filing time stands in until the `received` change brings the real promise.
        "NgayHenTra": portal_time(dossier.get("due_at") or received),
        "TrangThaiHoSo": STATUS_CODE[status],
        "NgayKetThucXuLy": portal_time(dossier.get("finished_at")),
        "NgayTra": portal_time(dossier.get("returned_at")),
        "NgayTuChoi": portal_time(dossier.get("finished_at"))
        if status is DossierStatus.REFUSED
        else None,
        "HinhThuc": 1 if dossier.get("return_method") == "postal" else 0,
        "DonViXuLy": dossier.get("resolving_agency_code"),
        "DuocThanhToanTrucTuyen": PAID_ONLINE if fee.get("paid_online") else NOT_PAID_ONLINE,
        "HoSoCoThanhPhanSoHoa": 1 if dossier.get("digitized") else 0,
        "IdempotencyKey": idempotency_key(dossier["code"], dossier["version"]),
    }
    return {k: v for k, v in record.items() if v is not None}
