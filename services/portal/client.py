"""HTTP client of the national portal: session token, re-authentication on expiry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.core.settings import Settings


class PortalUnavailable(Exception):
    """The portal did not answer usably (network, timeout, 5xx, non-JSON): retry later."""


@dataclass
class PortalResponse:
    request_id: str
    http_status: int
    body: dict[str, Any]


@dataclass
class PortalClient:
    settings: Settings
    http: httpx.AsyncClient
    _session: str | None = field(default=None, repr=False)

    @classmethod
    def create(
        cls, settings: Settings, transport: httpx.AsyncBaseTransport | None = None
    ) -> PortalClient:
        http = httpx.AsyncClient(
            base_url=settings.portal_url,
            transport=transport,
            timeout=settings.portal_timeout_seconds,
        )
        return cls(settings, http)

    async def close(self) -> None:
        await self.http.aclose()

    async def _login(self) -> str:
        response = await self._post(
            "/api/auth/token",
            {
                "username": self.settings.portal_username,
                "password": self.settings.portal_password.get_secret_value(),
            },
            authenticated=False,
        )
        session = response.body.get("session")
        if response.body.get("error_code") != 0 or not session:
            raise PortalUnavailable(
                f"login refused: {response.body.get('message') or response.http_status}"
            )
        return str(session)

    async def _post(
        self, path: str, body: dict[str, Any], *, authenticated: bool = True
    ) -> PortalResponse:
        request_id = uuid.uuid4().hex
        headers = {"X-Request-ID": request_id}
        if authenticated:
            headers["Authorization"] = f"Bearer {self._session}"
        try:
            resp = await self.http.post(path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise PortalUnavailable(f"{type(exc).__name__}: {exc}") from exc
        try:
            payload = resp.json()
        except ValueError:
            payload = None
        if resp.status_code >= 500 or not isinstance(payload, dict):
            raise PortalUnavailable(f"HTTP {resp.status_code}: {resp.text[:200]}")
        return PortalResponse(request_id, resp.status_code, payload)

    async def call(self, path: str, body: dict[str, Any]) -> PortalResponse:
        """POST with the session token; logs in first, and again once if the token expired."""
        if self._session is None:
            self._session = await self._login()
        response = await self._post(path, body)
        if response.http_status == 401:
            self._session = await self._login()
            response = await self._post(path, body)
        if response.http_status >= 400:
            raise PortalUnavailable(f"HTTP {response.http_status}: {response.body}")
        return response
