"""Printable documents of a dossier: the receipt (Mẫu 01, giấy tiếp nhận và hẹn trả kết quả)."""

from __future__ import annotations

from services.core.pdf import Document, render_pdf
from services.core.vi_format import place_date_line, vn_datetime
from services.dossiers.models import Dossier
from services.identity.models import Agency


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
