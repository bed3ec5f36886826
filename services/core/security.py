"""Password hashing, JWT access tokens and API-key secrets."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.core.settings import Settings

_hasher = PasswordHasher()
# Verifying against this keeps the time of a login for an unknown user equal to a wrong password.
_DUMMY_HASH = _hasher.hash("motcua-dummy-password")
API_KEY_PREFIX = "mck_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, username: str) -> str | None:
    """The password policy: None when acceptable, otherwise what is wrong."""
    if len(password) < 10:
        return "must be at least 10 characters"
    if any(not c.isprintable() and not c.isspace() for c in password):
        return "must not contain control characters"
    if username and username.lower() in password.lower():
        return "must not contain the username"
    visible = [c for c in password if not c.isspace()]
    # Counted without spaces: ten spaces, or a letter and nine spaces, are not a password.
    if len(visible) < 8 or len(set(visible)) < 4:
        return "must have at least 8 visible characters, 4 of them different"
    if all(c.isdigit() for c in visible) or all(c.isalpha() for c in visible):
        return "must mix letters with digits or symbols"
    return None


def create_access_token(
    settings: Settings, subject: str, claims: dict[str, Any]
) -> tuple[str, int]:
    ttl = timedelta(minutes=settings.access_token_ttl_minutes)
    now = datetime.now(UTC)
    payload = {**claims, "sub": subject, "iat": now, "exp": now + ttl, "iss": "motcua"}
    token = jwt.encode(
        payload, settings.secret_key.get_secret_value(), algorithm=settings.jwt_algorithm
    )
    return token, int(ttl.total_seconds())


def decode_access_token(settings: Settings, token: str) -> dict[str, Any]:
    """Raises ``jwt.PyJWTError`` for a bad signature, algorithm, issuer or an expired token."""
    return jwt.decode(
        token,
        settings.secret_key.get_secret_value(),
        algorithms=[settings.jwt_algorithm],
        issuer="motcua",
        options={"require": ["exp", "iat", "sub"]},
    )


def new_api_key() -> tuple[str, str, str]:
    """Returns (the key shown once, its public lookup prefix, the hash stored)."""
    prefix = secrets.token_hex(6)
    key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, hash_api_key(key)


def hash_api_key(key: str) -> str:
    # A 256-bit random key needs no slow hash: SHA-256 is enough and keeps every request fast.
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_prefix(key: str) -> str | None:
    if not key.startswith(API_KEY_PREFIX):
        return None
    prefix, sep, _ = key[len(API_KEY_PREFIX) :].partition("_")
    return prefix if sep and len(prefix) == 12 else None


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def lookup_token(settings: Settings, dossier_code: str) -> str:
    """The token printed on a receipt for the public lookup of one dossier.

    Derived from the secret key, so it can be printed again on a reprinted receipt without
    storing it; 60 bits behind a rate limit is out of reach of guessing. The first 12
    characters of the base32 form of HMAC-SHA256(secret, "lookup:" + code).
    """
    mac = _lookup_mac(settings.secret_key.get_secret_value()).copy()
    mac.update(f"lookup:{dossier_code}".encode())
    bits = int.from_bytes(mac.digest()[:8], "big") >> 4  # the first 60 bits
    return "".join(_BASE32_PAIRS[(bits >> shift) & 0x3FF] for shift in (50, 40, 30, 20, 10, 0))


# The citizens' lookup computes a token on every request: the keyed HMAC is prepared once per
# secret and copied, and base32 (pure Python in the standard library) is read from a table of
# every pair of characters.
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_BASE32_PAIRS = [a + b for a in _BASE32 for b in _BASE32]


@functools.lru_cache(maxsize=4)
def _lookup_mac(secret: str) -> hmac.HMAC:
    return hmac.new(secret.encode(), digestmod=hashlib.sha256)
