from __future__ import annotations

from datetime import datetime

from services.apologies.letter import LetterFacts, default_reason, draft_body
from services.core.clock import LOCAL_ZONE


def facts(**kw: object) -> LetterFacts:
    values: dict[str, object] = dict(
        agency_name="UBND xã Vĩnh Bảo",
        agency_address="Trung tâm Phục vụ hành chính công xã",
        signer_title="Chủ tịch",
        signer_name="Trần Văn Bình",
        number="H56-261120-0001/XL",
        dated=datetime(2026, 11, 20, 8, 0, tzinfo=LOCAL_ZONE),
        applicant_name="Đặng Thị Ánh",
        applicant_address="Thôn Đông, xã Vĩnh Bảo",
        applicant_phone="0912345689",
        received_at=datetime(2026, 11, 16, 9, 5, tzinfo=LOCAL_ZONE),
        procedure_name="Thủ tục cấp Giấy xác nhận tình trạng hôn nhân",
        dossier_code="H56-261116-0001",
        original_due_at=datetime(2026, 11, 19, 9, 5, tzinfo=LOCAL_ZONE),
        overdue=True,
        reason=default_reason(True),
        proposed_due_at=datetime(2026, 11, 24, 9, 5, tzinfo=LOCAL_ZONE),
    )
    values.update(kw)
    return LetterFacts(**values)  # type: ignore[arg-type]


def test_every_field_of_mau_04_is_in_the_text() -> None:
    body = draft_body(facts())
    for expected in (
        "UBND XÃ VĨNH BẢO",
        "Số: H56-261120-0001/XL",
        "Ngày 20 tháng 11 năm 2026",
        "V/v xin lỗi và hẹn lại ngày trả kết quả",
        "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
        "Kính gửi: Ông/Bà Đặng Thị Ánh",
        "Địa chỉ: Thôn Đông, xã Vĩnh Bảo",
        "Số điện thoại: 0912345689",
        "Ngày 16/11/2026",
        "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân",
        "mã hồ sơ H56-261116-0001",
        "09 giờ 05, ngày 19/11/2026",
        "chưa được trả kết quả đúng thời hạn đã hẹn",
        "Lý do: Hồ sơ chưa được giải quyết xong trong thời hạn đã hẹn.",
        "xin lỗi",
        "09 giờ 05, ngày 24/11/2026",
        "tại Trung tâm Phục vụ hành chính công xã",
        "CHỦ TỊCH",
        "Trần Văn Bình",
        "Nơi nhận:",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
    ):
        assert expected in body, expected


def test_reason_and_situation_vary() -> None:
    soon = draft_body(facts(overdue=False, reason=default_reason(False)))
    assert "không thể trả kết quả đúng thời hạn" in soon
    assert default_reason(False) in soon and default_reason(True) not in soon
    edited = draft_body(facts(reason="Phải lấy ý kiến cơ quan thuế"))
    assert "Lý do: Phải lấy ý kiến cơ quan thuế." in edited


def test_missing_signer_falls_back_to_a_title() -> None:
    body = draft_body(facts(signer_title=None, signer_name=None, agency_address=None))
    assert "THỦ TRƯỞNG CƠ QUAN" in body and "tại UBND xã Vĩnh Bảo" in body
