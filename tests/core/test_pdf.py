from __future__ import annotations

import io
import re
import unicodedata

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from services.core.pdf import FONTS_DIR, Document, render_pdf

AGENCY = ["UBND XÃ VĨNH BẢO", "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG"]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def _pages_text(data: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(data))
    return [_norm(page.extract_text()) for page in reader.pages]


def _assert_contains(haystack: str, *needles: str) -> None:
    for needle in needles:
        assert _norm(needle) in haystack, f"{needle!r} not found in {haystack!r}"


def receipt() -> Document:
    return Document(
        agency_lines=AGENCY,
        number_line="Số: H56.01-261122-0001/TNHS",
        place_date_line="Vĩnh Bảo, ngày 22 tháng 11 năm 2026",
        title="Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
        subtitle=None,
        fields=[
            ("Tiếp nhận hồ sơ của", "Nguyễn Văn Ánh"),
            ("Địa chỉ", "Thôn Đông, xã Vĩnh Bảo, thành phố Hải Phòng"),
            ("Nội dung yêu cầu giải quyết", "Thủ tục đăng ký khai sinh"),
            ("Thời gian trả kết quả", "15 giờ 00 phút, ngày 24/11/2026"),
        ],
        paragraphs=[
            "Thành phần hồ sơ nộp gồm: Tờ khai đăng ký khai sinh; Giấy chứng sinh.",
            "Số lượng hồ sơ: 01 (bộ).",
        ],
        signature=["NGƯỜI TIẾP NHẬN", "(Ký và ghi rõ họ tên)", "", "", "Trần Thị Bình"],
        footer_lines=["Nơi nhận:", "- Người nộp hồ sơ;", "- Lưu: VT."],
    )


def apology() -> Document:
    return Document(
        agency_lines=["UBND XÃ VĨNH BẢO"],
        number_line="Số: 12/PXL",
        place_date_line="Vĩnh Bảo, ngày 25 tháng 11 năm 2026",
        title="PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        subtitle="V/v xin lỗi và hẹn lại ngày trả kết quả",
        paragraphs=[
            "Kính gửi: Ông/Bà Nguyễn Văn Ánh.",
            "Ngày 22/11/2026, Trung tâm tiếp nhận hồ sơ Thủ tục đăng ký khai sinh của "
            "Ông/Bà. Do cần xác minh thêm thông tin nên hồ sơ chưa được giải quyết đúng hẹn. "
            "Chúng tôi thành thật xin lỗi và hẹn trả kết quả vào ngày 28/11/2026.",
        ],
        signature=["CHỦ TỊCH", "", "", "Lê Văn Cường"],
    )


def test_receipt_renders_vietnamese_text() -> None:
    data = render_pdf(receipt())
    assert data.startswith(b"%PDF")
    texts = _pages_text(data)
    assert len(texts) == 1
    _assert_contains(
        texts[0],
        "UBND XÃ VĨNH BẢO",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: H56.01-261122-0001/TNHS",
        "Vĩnh Bảo, ngày 22 tháng 11 năm 2026",
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        "Tiếp nhận hồ sơ của: Nguyễn Văn Ánh",
        "Thủ tục đăng ký khai sinh",
        "NGƯỜI TIẾP NHẬN",
        "Trần Thị Bình",
        "Nơi nhận:",
    )


def test_apology_renders_subtitle_and_body() -> None:
    data = render_pdf(apology())
    assert data.startswith(b"%PDF")
    text = " ".join(_pages_text(data))
    _assert_contains(
        text,
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "V/v xin lỗi và hẹn lại ngày trả kết quả",
        "Nguyễn Văn Ánh",
        "Thủ tục đăng ký khai sinh",
        "Chúng tôi thành thật xin lỗi",
        "Lê Văn Cường",
    )


def test_decomposed_input_is_normalised_to_nfc() -> None:
    nfd_name = unicodedata.normalize("NFD", "Nguyễn Văn Ánh")
    assert nfd_name != "Nguyễn Văn Ánh"
    doc = Document(
        agency_lines=AGENCY,
        number_line=None,
        place_date_line=None,
        title=unicodedata.normalize("NFD", "Giấy tiếp nhận"),
        subtitle=None,
        paragraphs=[f"Người nộp: {nfd_name}"],
    )
    text = _pages_text(render_pdf(doc))[0]
    assert "Nguyễn Văn Ánh" in text
    assert "GIẤY TIẾP NHẬN" in text


def test_fonts_are_embedded() -> None:
    data = render_pdf(receipt())
    assert b"/FontFile2" in data
    reader = PdfReader(io.BytesIO(data))
    resources = reader.pages[0]["/Resources"].get_object()
    assert isinstance(resources, DictionaryObject)
    fonts = resources["/Font"].get_object()
    assert isinstance(fonts, DictionaryObject)
    base_fonts = set()
    for ref in fonts.values():
        font = ref.get_object()
        assert isinstance(font, DictionaryObject)
        base_fonts.add(str(font["/BaseFont"]))
    # Subset fonts: "/ABCDEF+DejaVuSans" (regular) and "/ABCDEF+DejaVuSansBold".
    assert len(base_fonts) == 2, base_fonts
    assert all("DejaVuSans" in name for name in base_fonts), base_fonts
    assert any(name.endswith("Bold") for name in base_fonts), base_fonts


def test_bundled_font_files_present() -> None:
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE-DejaVu.txt"):
        assert (FONTS_DIR / name).is_file(), name


def test_rendering_is_deterministic() -> None:
    assert render_pdf(receipt()) == render_pdf(receipt())
    assert render_pdf(apology()) != render_pdf(receipt())


FILLER = (
    "Trong quá trình giải quyết hồ sơ, cơ quan chuyên môn đã phối hợp xác minh thông tin "
    "với các đơn vị liên quan theo quy định của pháp luật về thủ tục hành chính. "
)
LAST_PARAGRAPH = "Đoạn cuối cùng: Độc lập - Tự do - Hạnh phúc và hẹn trả kết quả."


def long_document(signature: list[str], footer_lines: list[str]) -> Document:
    paragraphs = [f"Đoạn {i}: " + FILLER * 4 for i in range(40)]
    paragraphs.append(LAST_PARAGRAPH)
    return Document(
        agency_lines=AGENCY,
        number_line="Số: 99/BC",
        place_date_line="Vĩnh Bảo, ngày 30 tháng 11 năm 2026",
        title="Báo cáo tình hình giải quyết hồ sơ",
        subtitle=None,
        paragraphs=paragraphs,
        signature=signature,
        footer_lines=footer_lines,
    )


def test_long_text_spans_multiple_pages() -> None:
    texts = _pages_text(render_pdf(long_document([], [])))
    assert len(texts) > 1
    _assert_contains(texts[0], "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Đoạn 0:")
    _assert_contains(texts[-1], LAST_PARAGRAPH, "Đoạn 39:")
    # Page numbers are printed from page 2 on; the national header only on page 1.
    assert texts[1].startswith("2 ")
    assert "CỘNG HÒA" not in texts[1]


def test_long_text_signature_and_footer_on_last_page() -> None:
    doc = long_document(["NGƯỜI LẬP", "", "", "Nguyễn Văn Ánh"], ["Nơi nhận: Lưu VT."])
    texts = _pages_text(render_pdf(doc))
    assert len(texts) > 1
    _assert_contains(" ".join(texts[-2:]), LAST_PARAGRAPH)
    # The signature block is never split across pages.
    _assert_contains(texts[-1], "NGƯỜI LẬP Nguyễn Văn Ánh", "Nơi nhận: Lưu VT.")


def test_control_sheet_table() -> None:
    header = ["Tên cơ quan", "Thời gian giao, nhận hồ sơ", "Kết quả giải quyết", "Ghi chú"]
    rows = [
        ["1. Giao: Bộ phận TN&TKQ", "09 giờ 30 phút, ngày 22/11/2026", "Đúng hạn", ""],
        ["2. Nhận: Công chức Tư pháp - Hộ tịch", "10 giờ 00 phút, ngày 22/11/2026", "", ""],
        ["3. Trả kết quả cho Nguyễn Văn Ánh"],  # short row gets padded
    ]
    doc = Document(
        agency_lines=AGENCY,
        number_line=None,
        place_date_line=None,
        title="Phiếu kiểm soát quá trình giải quyết hồ sơ",
        subtitle=None,
        paragraphs=[],
        fields=[("Mã hồ sơ", "H56.01-261122-0001"), ("Thủ tục", "Thủ tục đăng ký khai sinh")],
        table=(header, rows),
    )
    data = render_pdf(doc)
    text = " ".join(_pages_text(data))
    _assert_contains(
        text,
        "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
        "Tên cơ quan",
        "Kết quả giải quyết",
        "Đúng hạn",
        "Nguyễn Văn Ánh",
        "Thủ tục: Thủ tục đăng ký khai sinh",
    )
    assert len(PdfReader(io.BytesIO(data)).pages) == 1


def test_long_table_spans_pages() -> None:
    rows = [[str(i), f"Nguyễn Văn Ánh {i}", "Thủ tục đăng ký khai sinh"] for i in range(120)]
    doc = Document(
        agency_lines=AGENCY,
        number_line=None,
        place_date_line=None,
        title="Danh sách hồ sơ",
        subtitle=None,
        paragraphs=[],
        table=(["STT", "Họ tên", "Thủ tục"], rows),
    )
    texts = _pages_text(render_pdf(doc))
    assert len(texts) > 1
    _assert_contains(texts[-1], "Nguyễn Văn Ánh 119")


@pytest.mark.parametrize(
    "doc",
    [
        Document(
            agency_lines=[],
            number_line=None,
            place_date_line=None,
            title="",
            subtitle=None,
            paragraphs=[],
        ),
        Document(
            agency_lines=["UBND XÃ VĨNH BẢO"],
            number_line="",
            place_date_line="",
            title="Thông báo",
            subtitle="",
            paragraphs=["", "Nội dung"],
            fields=[("Họ tên", "")],
            table=([], []),
            signature=["", ""],
            footer_lines=[""],
        ),
    ],
)
def test_empty_optional_parts(doc: Document) -> None:
    data = render_pdf(doc)
    assert data.startswith(b"%PDF")
    text = _pages_text(data)[0]
    _assert_contains(text, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")


def test_a_cell_too_long_for_one_page_is_shortened_not_a_failure() -> None:
    """Found by probing: a 1,300-character step note (4,000 are allowed) made fpdf2 refuse the
    row, and the dossier's control sheet answered 500 for good."""
    note = "ghi chú bước " * 300
    header = ["Bước", "Người xử lý", "Kết quả", "Ghi chú"]
    rows = [["1", "canbo", "Đúng hạn", note], ["2", "chuyenvien", "", "dòng\n" * 200]]
    doc = Document(
        agency_lines=AGENCY,
        number_line=None,
        place_date_line=None,
        title="Phiếu kiểm soát quá trình giải quyết hồ sơ",
        subtitle=None,
        paragraphs=[],
        fields=[],
        table=(header, rows),
    )
    text = " ".join(_pages_text(render_pdf(doc)))
    assert "[rút gọn]" in text and "ghi chú bước" in text
