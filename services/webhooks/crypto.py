"""Encryption at rest of webhook secrets, with a key derived from MOTCUA_SECRET_KEY."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.core.settings import Settings


def _fernet(settings: Settings) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"motcua-webhooks", info=b"webhook secrets v1"
    ).derive(settings.secret_key.get_secret_value().encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(settings: Settings, secret: str) -> str:
    return _fernet(settings).encrypt(secret.encode()).decode()


def decrypt(settings: Settings, token: str) -> str:
    """Raises ValueError when MOTCUA_SECRET_KEY changed since the secret was stored."""
    try:
        return _fernet(settings).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("webhook secret cannot be decrypted with the current secret key") from exc
