"""A write is answered only after its commit: a commit that fails is a 503, never a 201."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import LoginFn
from tests.dossiers.conftest import dossier_body


async def test_a_failed_commit_is_not_answered_as_created(
    client: httpx.AsyncClient,
    login: LoginFn,
    procedures: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = await login("officer")

    async def lost_connection(self: AsyncSession) -> None:
        # What PostgreSQL shutting down mid-request looks like at COMMIT.
        raise OperationalError("COMMIT", {}, ConnectionResetError("connection lost"))

    monkeypatch.setattr(AsyncSession, "commit", lost_connection)
    resp = await client.post("/api/v1/dossiers", headers=headers, json=dossier_body())
    monkeypatch.undo()
    assert resp.status_code == 503, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
