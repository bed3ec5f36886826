from __future__ import annotations

import unicodedata

import pytest

from services.core.privacy import fold, mask_digits, mask_name, nfc, redact_known, scrub


@pytest.mark.parametrize(
    "name,masked",
    [
        ("Nguyễn Văn An", "Nguyễn V. A."),
        ("Lê Thị Hồng Nhung", "Lê T. H. N."),
        ("An", "A."),
        ("  ", ""),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_mask_name_accepts_decomposed_input() -> None:
    assert mask_name(unicodedata.normalize("NFD", "Đặng Ánh")) == "Đặng Á."


@pytest.mark.parametrize(
    "value,masked", [("0912345689", "0xxxxxxx89"), ("001099012345", "0xxxxxxxxx45"), ("12", "xx")]
)
def test_mask_digits(value: str, masked: str) -> None:
    assert mask_digits(value) == masked


def test_fold_ignores_case_and_diacritics() -> None:
    assert fold("Nguyễn Văn Đức") == "nguyen van duc"
    assert fold(unicodedata.normalize("NFD", "Đường")) == fold(nfc("duong"))


def test_scrub_masks_phones_ids_emails_and_credentials() -> None:
    text = (
        "call 0912 345 689 id 001099012345 mail an.nguyen@example.vn "
        "Authorization: Bearer eyJabc.def password=hunter2 whsec_abcdef at 127.0.0.1:5432"
    )
    out = scrub(text)
    for secret in ("0912 345 689", "001099012345", "an.nguyen@", "eyJabc", "hunter2", "abcdef"):
        assert secret not in out
    assert "127.0.0.1:5432" in out and "0xxxxxxx89" in out


def test_redact_known_hides_what_we_hold_about_someone_in_free_text() -> None:
    known = ("Nguyễn Văn An", "Số 12 thôn Đông", "0912345678", "an@example.com")
    text = (
        "Tôi là Nguyễn Văn An, nhà số 12 thôn Đông. Trả lời ông NGUYEN  VAN\nAN "
        "(0912 345 678, an@example.com). Ông Nguyễn Văn Anh ở thôn Tây giữ nguyên."
    )
    out = redact_known(text, known)
    assert out == (
        "Tôi là ***, nhà ***. Trả lời ông *** (0xxxxxxx78, ***). "
        "Ông Nguyễn Văn Anh ở thôn Tây giữ nguyên."
    )
    # Decomposed input, and values too short to be told from ordinary words, are handled.
    assert redact_known(unicodedata.normalize("NFD", "Gửi Đặng Ánh"), ("Đặng Ánh", "An")) == (
        "Gửi ***"
    )
