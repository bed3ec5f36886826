"""Test fixtures on real PostgreSQL and Redis.

A fresh database per test session, migrated by Alembic; each test runs inside a transaction that
is rolled back, with an httpx client on the ASGI app. Tests that need real commits (concurrency,
workers) use ``committed_db`` instead, which truncates what they wrote.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

BASE_DATABASE_URL = os.environ.get(
    "MOTCUA_DATABASE_URL", "postgresql+asyncpg://motcua@127.0.0.1:55432/motcua"
)
BASE_REDIS_URL = os.environ.get("MOTCUA_REDIS_URL", "redis://127.0.0.1:56379/0")
TEST_DB = f"motcua_test_{uuid.uuid4().hex[:10]}"
TEST_DATABASE_URL = (
    make_url(BASE_DATABASE_URL).set(database=TEST_DB).render_as_string(hide_password=False)
)
# A separate Redis database keeps the tests' keys away from a running `make run`.
TEST_REDIS_URL = BASE_REDIS_URL.rsplit("/", 1)[0] + "/15"

os.environ.update(
    MOTCUA_ENV="test",
    MOTCUA_DATABASE_URL=TEST_DATABASE_URL,
    MOTCUA_REDIS_URL=TEST_REDIS_URL,
    MOTCUA_SECRET_KEY="test-secret-key-that-is-long-enough-0123456789",
    MOTCUA_STARTUP_CHECK="false",
    # Each test rolls its data back: a cache kept across tests would remember rows that are gone.
    MOTCUA_REFERENCE_CACHE_SECONDS="0",
    # Rings would pile delivery jobs into the test Redis; tests/outbox turns it on.
    MOTCUA_DOORBELL="false",
)

from services.core import db as core_db  # noqa: E402
from services.core import redis as core_redis  # noqa: E402
from services.core.settings import get_settings  # noqa: E402

PASSWORD = "Test-password-2026"
AGENCY = "000.00.31.H56"
OTHER_AGENCY = "000.00.32.H56"


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin_execute(sql: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(BASE_DATABASE_URL))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def run_alembic(url: str, *args: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config("alembic.ini")
    cfg.attributes["database_url"] = url
    cfg.attributes["configure_logger"] = False
    getattr(command, args[0])(cfg, *args[1:])


@pytest.fixture(scope="session")
def migrated_database() -> Iterator[str]:
    import asyncio

    asyncio.run(_admin_execute(f'CREATE DATABASE "{TEST_DB}"'))
    try:
        run_alembic(TEST_DATABASE_URL, "upgrade", "head")
        yield TEST_DATABASE_URL
    finally:
        asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)'))


@pytest_asyncio.fixture(scope="session")
async def engine(migrated_database: str) -> AsyncIterator[AsyncEngine]:
    for cached in (
        get_settings,
        core_db.get_engine,
        core_db.get_sessionmaker,
        core_db.get_report_engine,
        core_db.get_report_sessionmaker,
        core_redis.get_redis,
    ):
        cached.cache_clear()
    eng = core_db.get_engine()
    yield eng
    await eng.dispose()
    await core_redis.get_redis().aclose()


@pytest_asyncio.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        trans = await conn.begin()
        yield conn
        await trans.rollback()


@pytest_asyncio.fixture
async def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    # Commits inside the code under test become savepoints of the test's outer transaction.
    return async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest_asyncio.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as s:
        yield s


@pytest_asyncio.fixture(autouse=True)
async def clean_redis(engine: AsyncEngine) -> None:
    await core_redis.get_redis().flushdb()
    core_redis.shared_counts.reset()


def install_overrides(application: Any, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Points the app's database dependencies at the test's rolled-back transaction."""

    async def session_override() -> AsyncIterator[AsyncSession]:
        async with sessionmaker() as s:
            try:
                yield s
            except BaseException:
                await s.rollback()
                raise
            else:
                await s.commit()

    class TransactionReader:
        # Statements must see, and roll back with, the test's rows: the driver connection of
        # its transaction, in a savepoint released as the pool's statements commit.
        async def fetchrow(self, sql: str, *args: Any) -> Any:
            rows = await self.fetch(sql, *args)
            return rows[0] if rows else None

        async def fetch(self, sql: str, *args: Any) -> Any:
            async with sessionmaker() as s:
                raw = await (await s.connection()).get_raw_connection()
                rows = await raw.driver_connection.fetch(sql, *args)
                await s.commit()
                return rows

    async def hot_reader_override() -> Any:
        return TransactionReader()

    application.dependency_overrides[core_db.get_session] = session_override
    application.dependency_overrides[core_db.get_hot_reader] = hot_reader_override


@pytest_asyncio.fixture
async def app(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[Any]:
    from services.api.app import create_app

    application = create_app(get_settings())
    install_overrides(application, sessionmaker)
    yield application


@pytest_asyncio.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest_asyncio.fixture
async def seed(session: AsyncSession) -> dict[str, Any]:
    """Two communes with a user of every role each, and an admin."""
    from services.identity.models import Agency, AgencyLevel, Role, User

    for code, name in ((AGENCY, "UBND xã Một"), (OTHER_AGENCY, "UBND xã Hai")):
        session.add(
            Agency(
                code=code,
                name=name,
                level=AgencyLevel.COMMUNE,
                signer_title="CHỦ TỊCH",
                signer_name="Trần Văn Bình",
            )
        )
    await session.flush()
    users: dict[str, Any] = {}
    for agency, suffix in ((AGENCY, ""), (OTHER_AGENCY, "2")):
        for role in Role:
            username = f"{role.value}{suffix}"
            # One argon2 hash for all: hashing is deliberately slow, and they share a password.
            users[username] = User(
                username=username,
                password_hash=_password_hash(),
                full_name=f"Người {role.value}",
                role=role,
                agency_code=agency,
            )
            session.add(users[username])
    await session.commit()
    return users


@functools.cache
def _password_hash() -> str:
    from services.core.security import hash_password

    return hash_password(PASSWORD)


LoginFn = Callable[[str], Awaitable[dict[str, str]]]


@pytest_asyncio.fixture
async def login(client: httpx.AsyncClient, seed: dict[str, Any]) -> LoginFn:
    """``headers = await login("officer")`` → Authorization headers for that seeded user."""
    cache: dict[str, dict[str, str]] = {}

    async def _login(username: str) -> dict[str, str]:
        if username not in cache:
            resp = await client.post(
                "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
            )
            assert resp.status_code == 200, resp.text
            cache[username] = {"Authorization": f"Bearer {resp.json()['access_token']}"}
        return cache[username]

    return _login


COMMITTED_AGENCY = "CONC.01"
COMMITTED_PROCEDURE = "9.000050"
COMMITTED_OFFICER = "conc-officer"

_CLEANUP = [
    "DELETE FROM apologies WHERE agency_code = :a",
    "DELETE FROM portal_attempts WHERE subject LIKE :a || '%'",
    "DELETE FROM portal_summaries WHERE agency_code = :a",
    "DELETE FROM webhook_subscriptions WHERE agency_code = :a",
    "DELETE FROM dossier_history WHERE dossier_id IN "
    "(SELECT id FROM dossiers WHERE receiving_agency_code = :a)",
    "DELETE FROM outbox_events WHERE :a = ANY(agency_codes)",
    "DELETE FROM dossiers WHERE receiving_agency_code = :a",
    "DELETE FROM dossier_code_counters WHERE agency_code = :a",
    "DELETE FROM users WHERE agency_code = :a",
    "DELETE FROM procedures WHERE code = :p",
    "DELETE FROM agencies WHERE code = :a",
]


@pytest_asyncio.fixture
async def committed_agency(engine: AsyncEngine) -> AsyncIterator[str]:
    """Committed data for tests with several processes (API, workers), which cannot share the
    rolled-back transaction: an agency, an officer and a procedure, all removed afterwards."""
    from sqlalchemy import text

    from services.core.security import hash_password

    async with engine.begin() as conn:
        seeded_before = set(
            (await conn.execute(text("SELECT year FROM calendar_seeded_years"))).scalars()
        )
        await conn.execute(
            text(
                "INSERT INTO agencies (id, code, name, level) "
                "VALUES (gen_random_uuid(), :a, 'Xã Đồng Thời', 'commune')"
            ),
            {"a": COMMITTED_AGENCY},
        )
        await conn.execute(
            text(
                "INSERT INTO users (id, username, password_hash, full_name, role, agency_code) "
                "VALUES (gen_random_uuid(), :u, :h, 'Cán bộ', 'officer', :a)"
            ),
            {"u": COMMITTED_OFFICER, "h": hash_password(PASSWORD), "a": COMMITTED_AGENCY},
        )
        await conn.execute(
            text(
                "INSERT INTO procedures (code, name, name_folded, sector_code, sector_name, "
                "sector_group, time_limit_value, time_limit_unit, supplement_clock) VALUES "
                "(:p, 'Thủ tục thử', 'thu tuc thu', 'x', 'X', 'other', 1, 'working_days', "
                "'restart')"
            ),
            {"p": COMMITTED_PROCEDURE},
        )
    yield COMMITTED_AGENCY
    async with engine.begin() as conn:
        for sql in _CLEANUP:
            await conn.execute(text(sql), {"a": COMMITTED_AGENCY, "p": COMMITTED_PROCEDURE})
        # Processes under test may have seeded this year's calendar: leave the database as found.
        years = set((await conn.execute(text("SELECT year FROM calendar_seeded_years"))).scalars())
        for year in years - seeded_before:
            await conn.execute(
                text(
                    "DELETE FROM calendar_days "
                    "WHERE source = 'seed' AND extract(year FROM day) = :y"
                ),
                {"y": year},
            )
            await conn.execute(
                text("DELETE FROM calendar_seeded_years WHERE year = :y"), {"y": year}
            )
