"""Session tokens and injected faults: the dependencies that run before every data endpoint."""

from __future__ import annotations

import asyncio
import hmac
import random
import secrets
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.core.settings import get_settings
from services.portal_mock import store
from services.portal_mock.config import get_mock_settings

INVALID_SESSION = "Phiên đăng nhập không hợp lệ hoặc đã hết hạn"
WRONG_CREDENTIALS = "Sai tên đăng nhập hoặc mật khẩu"
INJECTED_FAILURE = "Lỗi hệ thống (giả lập)"


class PortalError(Exception):
    """Answered as the portal answers errors: ``{"error_code": …, "message": …}``."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        error_code: int | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status_code = status_code
        self.error_code = status_code if error_code is None else error_code
        self.message = message
        self.headers = headers


def install_portal_error_handler(app: FastAPI) -> None:
    async def portal_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PortalError)
        return JSONResponse(
            {"error_code": exc.error_code, "message": exc.message},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    app.add_exception_handler(PortalError, portal_error)


def credentials_match(username: str, password: str) -> bool:
    settings = get_settings()
    # Both compared, always: the time taken does not tell which one was wrong.
    user_ok = hmac.compare_digest(username.encode(), settings.portal_username.encode())
    password_ok = hmac.compare_digest(
        password.encode(), settings.portal_password.get_secret_value().encode()
    )
    return user_ok and password_ok


async def issue_session(username: str) -> tuple[str, int]:
    ttl = get_mock_settings().portal_mock_token_ttl_seconds
    token = secrets.token_urlsafe(32)
    await store.create_session(token, username, ttl)
    return token, ttl


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="PortalSession",
    description="The `session` returned by `POST /api/auth/token`.",
)


async def require_session(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    if credentials is None or not await store.session_is_valid(credentials.credentials):
        raise PortalError(401, INVALID_SESSION, headers={"WWW-Authenticate": "Bearer"})


async def inject_faults() -> None:
    """Sleeps, then maybe fails, as the operator configured; nothing is stored on failure."""
    faults = await store.get_faults()
    if faults is None:
        return
    if faults.latency_ms:
        await asyncio.sleep(faults.latency_ms / 1000)
    if faults.fail_rate > 0 and random.random() < faults.fail_rate:  # noqa: S311 - not crypto
        raise PortalError(faults.status, INJECTED_FAILURE)
