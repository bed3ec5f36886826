"""The mock portal commits for real: its tables are emptied before each test.

Until the migration that creates ``portal_mock_*`` exists, the tables are created here, in the
session's test database (which is dropped at the end of the run).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.core.models import Base
from services.portal_mock.config import get_mock_settings
from services.portal_mock.main import create_portal_app
from services.portal_mock.models import TABLE_NAMES

USERNAME = "motcua"
PASSWORD = "motcua-portal"


@pytest_asyncio.fixture(scope="session")
async def portal_tables(engine: AsyncEngine) -> None:
    tables = [Base.metadata.tables[name] for name in TABLE_NAMES]
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Base.metadata.create_all(c, tables=tables, checkfirst=True))


@pytest_asyncio.fixture(autouse=True)
async def clean_portal(portal_tables: None, engine: AsyncEngine) -> AsyncIterator[None]:
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {', '.join(TABLE_NAMES)}"))
    get_mock_settings.cache_clear()
    yield
    get_mock_settings.cache_clear()


@pytest_asyncio.fixture
async def portal() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_portal_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        yield client


@pytest_asyncio.fixture
async def auth(portal: httpx.AsyncClient) -> dict[str, str]:
    resp = await portal.post("/api/auth/token", json={"username": USERNAME, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['session']}"}
