"""The receipt's lookup token: printed on paper, so its derivation must never change."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from services.core.security import lookup_token
from services.core.settings import Settings


@pytest.mark.parametrize(
    ("secret", "code"),
    [
        ("x" * 40, "000.00.31.H56-261122-0001"),
        ("một-bí-mật-dài-hơn-sáu-mươi-tư-byte-" * 3, "000.00.31.H56-261122-12345"),
        ("k" * 32, "A"),
    ],
)
def test_the_lookup_token_is_the_base32_of_an_hmac(secret: str, code: str) -> None:
    digest = hmac.new(secret.encode(), f"lookup:{code}".encode(), hashlib.sha256).digest()
    expected = base64.b32encode(digest).decode()[:12]
    assert lookup_token(Settings(secret_key=secret), code) == expected


def test_the_lookup_token_depends_on_the_secret() -> None:
    code = "000.00.31.H56-261122-0001"
    assert lookup_token(Settings(secret_key="a" * 40), code) != lookup_token(
        Settings(secret_key="b" * 40), code
    )
