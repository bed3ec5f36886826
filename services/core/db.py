"""Async engine and the one-session-per-request dependency."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Protocol

import asyncpg
from fastapi import Depends, Request
from sqlalchemy import Delete, Insert, Update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from services.core.settings import Settings, get_settings


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4()}__"


def engine_options(settings: Settings, pool_size: int) -> dict[str, Any]:
    """Pool and driver options shared by the primary's and the replica's engines."""
    connect_args: dict[str, Any] = {"statement_cache_size": settings.db_statement_cache_size}
    if settings.db_statement_cache_size == 0:
        # PgBouncer in transaction mode (SQLAlchemy's asyncpg notes): no statement outlives
        # its transaction, so neither cache may keep one and names must never repeat.
        connect_args["prepared_statement_cache_size"] = 0
        connect_args["prepared_statement_name_func"] = _unique_statement_name
    return {
        "pool_size": pool_size,
        "max_overflow": settings.db_max_overflow,
        "connect_args": connect_args,
        # A failed statement's error message would otherwise carry its parameters into the
        # logs: applicants' names and addresses, password hashes (domain.md §9).
        "hide_parameters": True,
        # No pre-ping: it costs a round trip per request; a dead connection is invalidated on
        # its first error and the request answers 503 (see errors.database_down).
    }


@lru_cache
def get_engine() -> AsyncEngine:
    settings = get_settings()
    return create_async_engine(
        settings.database_url, **engine_options(settings, settings.db_pool_size)
    )


@lru_cache
def get_report_engine() -> AsyncEngine:
    """The read replica's engine; the primary's when no replica is configured."""
    settings = get_settings()
    if settings.reports_database_url is None:
        return get_engine()
    return create_async_engine(
        settings.reports_database_url, **engine_options(settings, settings.reports_db_pool_size)
    )


async def dispose_engines() -> None:
    """Closes the pools (primary, replica, hot reads) so that a process can exit cleanly."""
    await HotReader.close_all()
    report = get_report_engine()
    await get_engine().dispose()
    if report is not get_engine():
        await report.dispose()


@lru_cache
def get_sessionmaker() -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(get_engine(), expire_on_commit=False)


def _untouched(session: AsyncSession) -> bool:
    """Nothing read or written through it yet, and nothing waiting to be flushed."""
    return not (session.in_transaction() or session.new or session.dirty or session.deleted)


@asynccontextmanager
async def unit_of_work(maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """Commit when the block succeeded, roll back when it raised.

    A session the block never used is left without committing and closing it: each is a trip
    through SQLAlchemy's greenlet, together 60 µs, more than a request that finds all it needs
    in the process's caches costs otherwise (docs/performance.md)."""
    session = maker()
    used = False
    try:
        yield session
        used = not _untouched(session)
        if used:
            await session.commit()
    except BaseException:
        used = used or not _untouched(session)
        if used:
            await session.rollback()
        raise
    finally:
        if used:
            await session.close()


async def get_session() -> AsyncIterator[AsyncSession]:
    async with unit_of_work(get_sessionmaker()) as session:
        yield session


def request_session(request: Request) -> AbstractAsyncContextManager[AsyncSession]:
    """``get_session`` for a route that reads its inputs itself (``routing.reads_itself``),
    or what the app's ``dependency_overrides`` put in its place (tests)."""
    provider = request.app.dependency_overrides.get(get_session, get_session)
    if provider is get_session:
        return unit_of_work(get_sessionmaker())
    return asynccontextmanager(provider)()  # type: ignore[no-any-return]


# scope="function": the commit happens before the response is sent. With FastAPI's default
# ("request") it ran after, so a commit that failed (PostgreSQL restarting) had already been
# answered 201 — the pg-restart drill caught one such reception.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def _no_reset(connection: asyncpg.Connection) -> None:
    """The hot pool's connections only run single statements, which set no session state:
    nothing to reset between uses (asyncpg still rolls back an open transaction), which saves
    the default reset query's round trip on every release."""


class RowReader(Protocol):
    """Anything that runs plain SQL with ``$n`` parameters (an asyncpg pool or connection,
    ``HotReader``, ``SessionRows``). Rows are read by position."""

    async def fetchrow(self, sql: str, *args: Any) -> Any: ...

    async def fetch(self, sql: str, *args: Any) -> Sequence[Any]: ...


class SessionRows:
    """Plain SQL inside a session's transaction: it sees, and commits or rolls back with, what
    the session has written."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def fetch(self, sql: str, *args: Any) -> Sequence[Any]:
        connection = await self.session.connection()
        return (await connection.exec_driver_sql(sql, args)).all()

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None


class HotReader:
    """Plain statements on the driver's own pool, each in its own transaction, for the paths
    where the ORM's and the engine pool's per-request cost dominated (the citizens' lookup,
    the numbering of receptions; docs/performance.md).

    One pool per event loop, opened on first use. Tests replace the dependency with a reader
    on their own connection (any ``RowReader``).
    """

    _readers: ClassVar[dict[asyncio.AbstractEventLoop, HotReader]] = {}
    _opening: ClassVar[dict[asyncio.AbstractEventLoop, asyncio.Lock]] = {}

    def __init__(self, pool: asyncpg.Pool, in_transaction: bool) -> None:
        self.pool = pool
        self.in_transaction = in_transaction

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        if not self.in_transaction:
            return await self.pool.fetchrow(sql, *args)
        # PgBouncer in transaction mode: prepare and execute must share a server.
        async with self.pool.acquire() as conn, conn.transaction():
            return await conn.fetchrow(sql, *args)

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record]
        if not self.in_transaction:
            rows = await self.pool.fetch(sql, *args)
            return rows
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(sql, *args)
            return rows

    @classmethod
    async def for_this_loop(cls) -> HotReader:
        loop = asyncio.get_running_loop()
        reader = cls._readers.get(loop)
        if reader is not None:
            return reader
        async with cls._opening.setdefault(loop, asyncio.Lock()):
            reader = cls._readers.get(loop)
            if reader is None:
                settings = get_settings()
                url = make_url(settings.database_url).set(drivername="postgresql")
                pool = await asyncpg.create_pool(
                    url.render_as_string(hide_password=False),
                    # Opened in full at once: a connection opened under load delays a citizen.
                    min_size=settings.db_hot_pool_size,
                    max_size=settings.db_hot_pool_size,
                    statement_cache_size=settings.db_statement_cache_size,
                    reset=_no_reset,
                )
                reader = cls._readers[loop] = cls(pool, settings.db_statement_cache_size == 0)
        return reader

    @classmethod
    async def close_all(cls) -> None:
        loop = asyncio.get_running_loop()
        readers, cls._readers = cls._readers, {}
        cls._opening = {}
        for owner, reader in readers.items():
            if owner is loop:
                await reader.pool.close()
            elif not owner.is_closed():
                reader.pool.terminate()


async def get_hot_reader() -> RowReader:
    return await HotReader.for_this_loop()


async def hot_reader(request: Request) -> RowReader:
    """``get_hot_reader``, or what the app's ``dependency_overrides`` put in its place (tests),
    for an endpoint that calls it itself rather than declaring a dependency."""
    provider = request.app.dependency_overrides.get(get_hot_reader, get_hot_reader)
    reader: RowReader = await provider()
    return reader


# Read from the primary even in a report: the calendar is seeded lazily by the report itself,
# and a replica (or the replica's lag) would not show those rows yet.
_PRIMARY_TABLES = frozenset({"calendar_days", "calendar_seeded_years"})


class ReportRoutingSession(Session):
    """Reads go to the replica; writes (the calendar's lazy seeding) and the calendar's reads
    go to the primary, and so does everything after the session's first write.

    A text statement is taken for a read: a write in one would fail on the read-only replica,
    loudly, rather than land anywhere unexpected.
    """

    wrote = False

    def get_bind(self, mapper: Any = None, clause: Any = None, **kw: Any) -> Engine:
        if self._flushing or isinstance(clause, Insert | Update | Delete):
            self.wrote = True
        if self.wrote or _reads_primary_tables(clause):
            return get_engine().sync_engine
        return get_report_engine().sync_engine


def _reads_primary_tables(clause: Any) -> bool:
    froms = getattr(clause, "get_final_froms", None)
    if froms is None:
        return False
    return any(getattr(f, "name", None) in _PRIMARY_TABLES for f in froms())


@lru_cache
def get_report_sessionmaker() -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(sync_session_class=ReportRoutingSession, expire_on_commit=False)


async def get_report_session(session: SessionDep) -> AsyncIterator[AsyncSession]:
    """For the reports' heavy reads: the request's own session unless a replica is configured."""
    if get_settings().reports_database_url is None:
        yield session
        return
    async with unit_of_work(get_report_sessionmaker()) as reader:
        yield reader


ReportSessionDep = Annotated[AsyncSession, Depends(get_report_session, scope="function")]
