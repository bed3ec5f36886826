"""Async engine and the one-session-per-request dependency."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import Delete, Insert, Update
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
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
    """Closes the pools (primary and replica) so that a command or worker can exit cleanly."""
    report = get_report_engine()
    await get_engine().dispose()
    if report is not get_engine():
        await report.dispose()


@lru_cache
def get_sessionmaker() -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(get_engine(), expire_on_commit=False)


@asynccontextmanager
async def unit_of_work(maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """Commit when the block succeeded, roll back when it raised."""
    async with maker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


async def get_session() -> AsyncIterator[AsyncSession]:
    async with unit_of_work(get_sessionmaker()) as session:
        yield session


# scope="function": the commit happens before the response is sent. With FastAPI's default
# ("request") it ran after, so a commit that failed (PostgreSQL restarting) had already been
# answered 201 — the pg-restart drill caught one such reception.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_read_connection() -> AsyncIterator[AsyncConnection]:
    """An autocommit connection for single-statement reads on hot public paths: no ORM session
    and no BEGIN/COMMIT round trips around the one query.

    Behind PgBouncer in transaction mode (statement cache 0) a statement's prepare and execute
    must share a transaction, or PgBouncer may run them on different servers: a transaction
    then.
    """
    if get_settings().db_statement_cache_size == 0:
        async with get_engine().begin() as conn:
            yield conn
        return
    async with get_engine().connect() as conn:
        yield await conn.execution_options(isolation_level="AUTOCOMMIT")


ReadConnectionDep = Annotated[AsyncConnection, Depends(get_read_connection, scope="function")]


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
