"""Signed events from the portal to the backend (``POST /api/v1/inbound/portal``)."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from services.core import signatures
from services.core.clock import utcnow
from services.core.settings import get_settings
from services.portal_mock.auth import PortalError
from services.portal_mock.config import get_mock_settings

INBOUND_PATH = "/api/v1/inbound/portal"


def _default_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=get_mock_settings().portal_mock_backend_timeout_seconds)


# Tests replace this to deliver to an in-process receiver.
client_factory: Callable[[], httpx.AsyncClient] = _default_client


def new_msg_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def new_portal_ref() -> str:
    return f"DVC-{secrets.token_hex(6).upper()}"


def now_iso() -> str:
    return utcnow().isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Delivery:
    msg_id: str
    event: dict[str, Any]
    status_code: int
    body: Any


async def send_event(event_type: str, data: dict[str, Any], msg_id: str | None = None) -> Delivery:
    msg_id = msg_id or new_msg_id()
    event = {"type": event_type, "timestamp": now_iso(), "data": data}
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
    secret = get_settings().portal_webhook_secret.get_secret_value()
    try:
        headers = signatures.headers([secret], msg_id, body)
    except signatures.SignatureError as exc:
        raise PortalError(500, f"MOTCUA_PORTAL_WEBHOOK_SECRET không dùng được: {exc}") from exc
    headers["Content-Type"] = "application/json"
    url = get_mock_settings().api_url.rstrip("/") + INBOUND_PATH
    try:
        async with client_factory() as client:
            response = await client.post(url, content=body, headers=headers)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise PortalError(
            502, f"Không gửi được sự kiện tới hệ thống một cửa ({url}): {type(exc).__name__} {exc}"
        ) from exc
    try:
        answer: Any = response.json()
    except ValueError:
        answer = response.text[:2000]
    return Delivery(msg_id, event, response.status_code, answer)
