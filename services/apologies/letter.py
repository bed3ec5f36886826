"""The apology letter (Mẫu 04 "Phiếu xin lỗi và hẹn lại ngày trả kết quả"): pure drafting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.core.pdf import Document
from services.core.vi_format import place_date_line, vn_date, vn_time

TITLE = "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"
SUBJECT = "V/v xin lỗi và hẹn lại ngày trả kết quả"
REASON_OVERDUE = "Hồ sơ chưa được giải quyết xong trong thời hạn đã hẹn"
REASON_APPROACHING = "Hồ sơ cần thêm thời gian thẩm định, xác minh theo quy định"


def default_reason(overdue: bool) -> str:
    """The reason proposed to the leader, who may edit it before approving."""
    return REASON_OVERDUE if overdue else REASON_APPROACHING


@dataclass(frozen=True)
class LetterFacts:
    agency_name: str
    agency_address: str | None
    signer_title: str | None
    signer_name: str | None
    number: str
    dated: datetime
    applicant_name: str
    applicant_address: str | None
    applicant_phone: str | None
    received_at: datetime
    procedure_name: str
    dossier_code: str
    original_due_at: datetime
    overdue: bool
    reason: str
    proposed_due_at: datetime


def _at(moment: datetime) -> str:
    return f"{vn_time(moment)}, ngày {vn_date(moment)}"


def _paragraphs(f: LetterFacts) -> list[str]:
    place = f.agency_address or f.agency_name
    late = (
        "Tuy nhiên, đến nay hồ sơ của Ông/Bà chưa được trả kết quả đúng thời hạn đã hẹn."
        if f.overdue
        else "Tuy nhiên, hồ sơ của Ông/Bà không thể trả kết quả đúng thời hạn đã hẹn."
    )
    return [
        f"Ngày {vn_date(f.received_at)}, {f.agency_name} tiếp nhận hồ sơ đề nghị giải quyết "
        f"thủ tục \u201c{f.procedure_name}\u201d của Ông/Bà, mã hồ sơ {f.dossier_code}. "
        f"Thời gian hẹn trả kết quả: {_at(f.original_due_at)}.",
        f"{late} Lý do: {f.reason.rstrip('.')}.",
        f"Sự chậm trễ này đã gây phiền hà cho Ông/Bà. {f.agency_name} thành thật xin lỗi "
        f"Ông/Bà và hẹn lại thời gian trả kết quả vào {_at(f.proposed_due_at)}, tại {place}.",
        f"Rất mong nhận được sự thông cảm của Ông/Bà. {f.agency_name} sẽ trả kết quả cho "
        "Ông/Bà đúng thời gian đã hẹn lại.",
    ]


def letter_document(f: LetterFacts) -> Document:
    """The letter as a printable document (the same words as :func:`draft_body`)."""
    return Document(
        agency_lines=[f.agency_name.upper()],
        number_line=f"Số: {f.number}",
        place_date_line=place_date_line(None, f.dated),
        title=TITLE,
        subtitle=SUBJECT,
        paragraphs=[f"Kính gửi: Ông/Bà {f.applicant_name}.", *_paragraphs(f)],
        fields=[
            ("Địa chỉ", f.applicant_address or "—"),
            ("Số điện thoại", f.applicant_phone or "—"),
        ],
        signature=[
            (f.signer_title or "THỦ TRƯỞNG CƠ QUAN").upper(),
            "(Ký, ghi rõ họ tên và đóng dấu)",
            "",
            "",
            f.signer_name or "",
        ],
        footer_lines=[
            "Nơi nhận:",
            f"- Ông/Bà {f.applicant_name};",
            "- Bộ phận Một cửa;",
            "- Lưu: VT.",
        ],
    )


def draft_body(f: LetterFacts) -> str:
    """The Vietnamese text of Mẫu 04, with every field of domain.md §5."""
    doc = letter_document(f)
    lines = [
        *doc.agency_lines,
        doc.number_line or "",
        SUBJECT,
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        doc.place_date_line or "",
        "",
        TITLE,
        "",
        doc.paragraphs[0],
        *(f"{label}: {value}" for label, value in doc.fields),
        "",
        *doc.paragraphs[1:],
        "",
        *[line for line in doc.signature if line],
        "",
        *doc.footer_lines,
    ]
    return "\n".join(lines)
