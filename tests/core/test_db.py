"""Database settings for a province's deployment: PgBouncer and a read replica for reports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import event, insert, select, text

from services.calendar.models import CalendarDay
from services.calendar.service import ensure_seeded
from services.core import db as core_db
from services.core.settings import Settings, get_settings
from services.dossiers.models import Dossier
from tests.conftest import TEST_DATABASE_URL, LoginFn


def test_pgbouncer_mode_turns_statement_caches_off() -> None:
    default = core_db.engine_options(Settings(db_statement_cache_size=100), 20)["connect_args"]
    assert default == {"statement_cache_size": 100}
    options = core_db.engine_options(Settings(db_statement_cache_size=0), 20)
    args = options["connect_args"]
    assert args["statement_cache_size"] == 0 and args["prepared_statement_cache_size"] == 0
    names = {args["prepared_statement_name_func"]() for _ in range(3)}
    assert len(names) == 3  # never the same name twice


def test_a_replica_url_must_use_asyncpg() -> None:
    with pytest.raises(ValueError, match="postgresql\\+asyncpg"):
        Settings(reports_database_url="postgresql://replica/motcua")


@pytest_asyncio.fixture
async def replica(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[str]]:
    """Reports read from a second engine (here on the same database); yields the statements
    that engine ran."""
    monkeypatch.setattr(get_settings(), "reports_database_url", TEST_DATABASE_URL)
    core_db.get_report_engine.cache_clear()
    core_db.get_report_sessionmaker.cache_clear()
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = core_db.get_report_engine()
    assert engine is not core_db.get_engine()
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine.sync_engine, "before_cursor_execute", record)
    # The report's lazy calendar seeding was committed on the primary, outside the test's
    # rolled-back transaction: seeding is lazy and idempotent, so removing it is safe.
    async with core_db.get_engine().begin() as conn:
        await conn.execute(text("DELETE FROM calendar_days WHERE source = 'seed'"))
        await conn.execute(text("DELETE FROM calendar_seeded_years"))
    await engine.dispose()
    core_db.get_report_engine.cache_clear()
    core_db.get_report_sessionmaker.cache_clear()
    monkeypatch.undo()


async def test_reads_go_to_the_replica_and_writes_to_the_primary(replica: list[str]) -> None:
    session = core_db.get_report_sessionmaker()()
    try:
        sync = session.sync_session
        replica_engine = core_db.get_report_engine().sync_engine
        primary = core_db.get_engine().sync_engine
        assert sync.get_bind(clause=select(Dossier)) is replica_engine
        assert sync.get_bind(clause=text("SELECT 1")) is replica_engine
        # The calendar is seeded by reports themselves: read where it is written.
        assert sync.get_bind(clause=select(CalendarDay)) is primary
        assert await session.scalar(text("SELECT 41 + 1")) == 42
        write = insert(CalendarDay).values(
            day="2026-01-01", kind="holiday", name="x", source="seed"
        )
        assert sync.get_bind(clause=write) is primary
        # After a write, everything reads its own writes on the primary.
        assert sync.get_bind(clause=select(Dossier)) is primary
    finally:
        await session.close()
    assert replica == ["SELECT 41 + 1"]


async def test_the_kpi_report_reads_from_the_replica(
    client: httpx.AsyncClient, login: LoginFn, replica: list[str]
) -> None:
    # Years seeded beforehand, as after a first report: this one then only reads.
    async with core_db.unit_of_work(core_db.get_sessionmaker()) as primary:
        await ensure_seeded(primary, range(2024, 2030))
    headers = await login("admin")
    resp = await client.get("/api/v1/reports/kpi?period=2026-Q1", headers=headers)
    assert resp.status_code == 200, resp.text
    assert any("FROM dossiers" in s for s in replica)
    assert any("FROM ratings" in s for s in replica)
    assert not any("calendar" in s for s in replica)  # read on the primary, where it is seeded
    form = await client.get("/api/v1/reports/form-06?period=2026-Q1", headers=headers)
    assert form.status_code == 200, form.text


async def test_the_hot_reader_reads_on_its_own_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    await core_db.HotReader.close_all()
    try:
        reader = await core_db.get_hot_reader()
        assert isinstance(reader, core_db.HotReader) and not reader.in_transaction
        row = await reader.fetchrow("SELECT $1::int + 1 AS n", 41)
        assert row is not None and row["n"] == 42
        # One pool per event loop, opened once; nothing reset between uses.
        again = await core_db.get_hot_reader()
        assert again is reader
        assert await again.fetchrow("SELECT 1 WHERE false") is None
        # Behind PgBouncer (no statement cache) each read runs in its own transaction.
        await core_db.HotReader.close_all()
        monkeypatch.setattr(get_settings(), "db_statement_cache_size", 0)
        bouncer = await core_db.get_hot_reader()
        assert bouncer.in_transaction and bouncer.pool is not reader.pool
        row = await bouncer.fetchrow("SELECT $1::text AS t", "một cửa")
        assert row is not None and row["t"] == "một cửa"
    finally:
        await core_db.HotReader.close_all()


async def test_the_public_lookup_reads_through_the_hot_pool() -> None:
    """The app as deployed (no test overrides): a valid token for a code that does not exist
    answers 404, read on the hot pool."""
    from services.api.app import create_app
    from services.core.security import lookup_token

    app = create_app(get_settings())
    code = "000.00.31.H56-261122-9999"
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            token = lookup_token(get_settings(), code)
            resp = await client.get(f"/api/v1/public/dossiers/{code}?token={token}")
        assert resp.status_code == 404, resp.text
        assert core_db.HotReader._readers  # the read went through the hot pool
    finally:
        await core_db.HotReader.close_all()


async def test_a_unit_of_work_commits_what_was_only_added(engine: Any) -> None:
    from services.identity.models import Agency, AgencyLevel

    async with core_db.unit_of_work(core_db.get_sessionmaker()) as session:
        session.add(Agency(code="UOW.ADDED", name="Xã Thêm", level=AgencyLevel.COMMUNE))
    async with engine.begin() as conn:
        deleted = await conn.execute(text("DELETE FROM agencies WHERE code = 'UOW.ADDED'"))
    assert deleted.rowcount == 1


async def test_a_unit_of_work_leaves_an_unused_session_alone(
    engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession

    ended: list[str] = []
    for name in ("commit", "rollback", "close"):
        original = getattr(AsyncSession, name)

        async def counted(self: AsyncSession, _name: str = name, _original: Any = original) -> Any:
            ended.append(_name)
            return await _original(self)

        monkeypatch.setattr(AsyncSession, name, counted)
    async with core_db.unit_of_work(core_db.get_sessionmaker()):
        pass
    with pytest.raises(ValueError):
        async with core_db.unit_of_work(core_db.get_sessionmaker()):
            raise ValueError
    assert ended == []
    async with core_db.unit_of_work(core_db.get_sessionmaker()) as session:
        await session.execute(select(1))
    assert ended == ["commit", "close"]
    with pytest.raises(ValueError):
        async with core_db.unit_of_work(core_db.get_sessionmaker()) as session:
            await session.execute(select(1))
            raise ValueError
    assert ended == ["commit", "close", "rollback", "close"]
