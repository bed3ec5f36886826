"""Printable documents of a dossier: the receipt (Mẫu 01, giấy tiếp nhận và hẹn trả kết quả)
and the process-control sheet (Mẫu 05, phiếu kiểm soát quá trình giải quyết hồ sơ)."""

from __future__ import annotations

from datetime import datetime

from services.core.pdf import Document, render_pdf
from services.core.vi_format import place_date_line, vn_datetime
from services.dossiers.models import Dossier, DossierStatus
from services.dossiers.schemas import STATUS_VI, HistoryOut
from services.identity.models import Agency
from services.processes.models import StepResult
from services.processes.schemas import StepOut

RESULT_VI = {
    StepResult.BEFORE: "Trước hạn",
    StepResult.ON: "Đúng hạn",
    StepResult.AFTER: "Quá hạn",
}
STEP_STATUS_VI = {"pending": "Chưa đến bước", "active": "Đang xử lý", "cancelled": "Dừng"}


def receipt_document(dossier: Dossier, agency: Agency, token: str) -> Document:
    assert dossier.received_at is not None
    fields = [
        ("Mã hồ sơ", dossier.code),
        ("Ông/bà", dossier.applicant_full_name),
        ("Địa chỉ", dossier.applicant_address or "—"),
        ("Số điện thoại", dossier.applicant_phone or "—"),
        ("Nội dung yêu cầu giải quyết", dossier.procedure_name),
        ("Thời gian nhận hồ sơ", vn_datetime(dossier.received_at)),
        ("Thời gian trả kết quả", vn_datetime(dossier.due_at) if dossier.due_at else "—"),
        ("Mã tra cứu", token),
    ]
    return Document(
        agency_lines=[agency.name.upper(), "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"],
        number_line=f"Số: {dossier.code}",
        place_date_line=place_date_line(None, dossier.received_at),
        title="GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        subtitle=None,
        paragraphs=[
            f"{agency.name} đã tiếp nhận hồ sơ với các thông tin sau:",
        ],
        fields=fields,
        signature=["NGƯỜI TIẾP NHẬN", "(Ký và ghi rõ họ tên)", "", "", ""],
        footer_lines=[
            "Tra cứu tình trạng hồ sơ bằng mã hồ sơ và mã tra cứu trên Cổng dịch vụ công "
            "hoặc tại Bộ phận tiếp nhận và trả kết quả.",
        ],
    )


def receipt_pdf(dossier: Dossier, agency: Agency, token: str) -> bytes:
    return render_pdf(receipt_document(dossier, agency, token))


def _when(at: datetime | None) -> str:
    return vn_datetime(at) if at else "—"


def _step_row(step: StepOut) -> list[str]:
    if step.result is not None:
        result = RESULT_VI[step.result]
    else:
        result = STEP_STATUS_VI.get(step.status.value, "—")
        if step.is_overdue:
            result += " (quá hạn)"
    return [
        f"{step.n}. {step.name}",
        f"Giao: {step.handed_over_by or '—'}\nNhận: {step.agency_code or '—'} ({step.role})",
        f"Nhận lúc: {_when(step.started_at)}\nHạn: {_when(step.due_at)}",
        f"{_when(step.completed_at)}\n{step.received_by or ''}".rstrip(),
        result,
        step.note or "",
    ]


# The control sheet is a Vietnamese form (Mẫu 05): actions and states by their Vietnamese names.
ACTION_VI = {
    "submit": "Nộp hồ sơ trực tuyến",
    "receive": "Tiếp nhận hồ sơ",
    "accept": "Tiếp nhận hồ sơ trực tuyến",
    "refuse": "Từ chối tiếp nhận",
    "assign": "Chuyển xử lý",
    "request-supplement": "Yêu cầu bổ sung hồ sơ",
    "supplement-received": "Nhận hồ sơ bổ sung",
    "request-payment": "Yêu cầu thực hiện nghĩa vụ tài chính",
    "payment-received": "Đã thực hiện nghĩa vụ tài chính",
    "payment-recorded": "Ghi nhận thanh toán trực tuyến",
    "resolve": "Có kết quả giải quyết",
    "return": "Trả kết quả",
    "withdraw": "Công dân rút hồ sơ",
    "stop": "Dừng xử lý",
    "apology-sent": "Gửi văn bản xin lỗi, hẹn lại ngày trả",
    "step-complete": "Hoàn thành bước xử lý",
}


def _status_vi(value: str | None) -> str:
    if value is None:
        return "—"
    try:
        return STATUS_VI[DossierStatus(value)]
    except ValueError:
        return value


def _transition_row(i: int, row: HistoryOut) -> list[str]:
    return [
        f"{i}. {ACTION_VI.get(row.action, row.action)}",
        f"{_status_vi(row.from_status)} → {_status_vi(row.to_status)}",
        vn_datetime(row.at),
        f"{row.actor} ({row.actor_agency_code})",
        "",
        row.note or "",
    ]


def control_sheet_document(
    dossier: Dossier, agency: Agency, steps: list[StepOut], history: list[HistoryOut]
) -> Document:
    """With a process, one row per step; without one, one row per transition (domain.md §4b)."""
    if steps:
        header = [
            "Bước",
            "Bên giao / bên nhận",
            "Thời gian nhận, hạn xử lý",
            "Hoàn thành",
            "Kết quả",
            "Ghi chú",
        ]
        rows = [_step_row(s) for s in steps]
    else:
        header = ["Thao tác", "Trạng thái", "Thời gian", "Người thực hiện", "", "Ghi chú"]
        rows = [_transition_row(i, h) for i, h in enumerate(history, start=1)]
    return Document(
        agency_lines=[agency.name.upper(), "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"],
        number_line=f"Mã hồ sơ: {dossier.code}",
        place_date_line=None,
        title="PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
        subtitle=None,
        paragraphs=[],
        fields=[
            ("Ông/bà", dossier.applicant_full_name),
            ("Thủ tục", dossier.procedure_name),
            ("Thời gian nhận hồ sơ", _when(dossier.received_at)),
            ("Thời gian trả kết quả", _when(dossier.due_at)),
        ],
        table=(header, rows),
    )


def control_sheet_pdf(
    dossier: Dossier, agency: Agency, steps: list[StepOut], history: list[HistoryOut]
) -> bytes:
    return render_pdf(control_sheet_document(dossier, agency, steps, history))
