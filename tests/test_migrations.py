"""Migrations run both ways and agree with the models."""

from __future__ import annotations

import asyncio
import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.registry import Base
from tests.conftest import BASE_DATABASE_URL, _admin_execute, run_alembic


def test_upgrade_downgrade_upgrade() -> None:
    name = f"motcua_mig_{uuid.uuid4().hex[:8]}"
    url = make_url(BASE_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin_execute(f'CREATE DATABASE "{name}"'))
    try:
        run_alembic(url, "upgrade", "head")
        run_alembic(url, "downgrade", "base")

        async def tables() -> set[str]:
            eng = create_async_engine(url)
            async with eng.connect() as conn:
                rows = await conn.execute(
                    text("select tablename from pg_tables where schemaname = 'public'")
                )
                names = {r[0] for r in rows}
            await eng.dispose()
            return names

        assert asyncio.run(tables()) <= {"alembic_version"}
        run_alembic(url, "upgrade", "head")
        assert "users" in asyncio.run(tables())
    finally:
        asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def test_models_and_migrations_agree(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync_conn: compare_metadata(
                MigrationContext.configure(sync_conn, opts={"compare_type": True}), Base.metadata
            )
        )
    assert diff == []
