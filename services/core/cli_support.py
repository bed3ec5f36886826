"""Small helpers for the command line: one session per command, progress on stderr."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from services.core.db import dispose_engines, get_sessionmaker


@asynccontextmanager
async def command_session() -> AsyncIterator[AsyncSession]:
    """Commits when the command succeeded; disposes the engine so the process can exit."""
    try:
        async with get_sessionmaker()() as session, session.begin():
            yield session
    finally:
        await dispose_engines()


def progress(done: int, total: int, label: str, width: int = 30) -> None:
    if not sys.stderr.isatty() and done not in (total,) and done % max(total // 10, 1):
        return
    filled = width * done // max(total, 1)
    end = "\n" if done >= total else ""
    sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{end}")
    sys.stderr.flush()
