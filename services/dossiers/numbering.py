"""Numbering in groups: the receptions that arrive together share one statement and one
commit.

Codes are gap-free per agency and day (domain.md §2), so every reception of an agency-day
takes the same counter row, whose lock is held until its transaction commits: received one by
one, an agency's receptions queue there, each paying a statement and a commit's WAL flush. Here
a process sends the receptions that wait while its previous group is written as one statement
(``repository.insert_numbered``, whatever their agencies and days) in a transaction of its
own: under load the groups grow, idle a reception goes alone at once. A group commits or rolls
back whole, so the codes stay gap-free. When the database refuses a group, it is split in two
and each half written again, so that one bad reception (text the database refuses, a key
received at the same moment by another process) fails only itself, at the cost of a few
statements rather than one per reception.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import asyncpg

from services.core.db import RowReader
from services.dossiers import repository
from services.outbox import doorbell

if TYPE_CHECKING:
    from services.dossiers.service import Reception

logger = logging.getLogger("motcua.dossiers.numbering")

# A statement's JSON grows with its group; past this, the rest waits for the next statement.
MAX_GROUP = 64

# (id, code) of the dossier received, or None: a repeat of an Idempotency-Key already stored.
Numbered = tuple[int, str] | None


@dataclass
class _Waiting:
    document: str
    answer: asyncio.Future[Numbered] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class ReceptionGroups:
    """The receptions waiting, and the task writing them, per pool (per test transaction in
    tests: ``hot_reader`` gives each its own)."""

    def __init__(self) -> None:
        self._waiting: dict[int, list[_Waiting]] = {}
        self._writers: dict[int, asyncio.Task[None]] = {}

    async def receive(self, rows: RowReader, reception: Reception) -> Numbered:
        """Numbers and writes ``reception`` on ``rows`` (each statement a transaction of its
        own); returns its (id, code) once committed, or None when its Idempotency-Key already
        has an answer."""
        waiting = _Waiting(reception.document())
        key = id(rows)
        self._waiting.setdefault(key, []).append(waiting)
        if key not in self._writers:
            # A context of its own: the writer outlives the request that started it.
            writer = asyncio.get_running_loop().create_task(
                self._write(key, rows), context=contextvars.Context()
            )
            writer.add_done_callback(_report_failure)
            self._writers[key] = writer
        # A client that hangs up cancels only its own wait: the group is written by a task of
        # its own, and a reception written meanwhile stays received, as after a lost answer.
        return await waiting.answer

    async def _write(self, key: int, rows: RowReader) -> None:
        try:
            while queue := self._waiting.pop(key, None):
                if len(queue) > MAX_GROUP:
                    self._waiting[key], queue = queue[MAX_GROUP:], queue[:MAX_GROUP]
                await self._write_group(rows, queue)
        except BaseException:
            for waiting in self._waiting.pop(key, []):
                waiting.answer.cancel()
            raise
        finally:
            del self._writers[key]

    async def _write_group(self, rows: RowReader, group: list[_Waiting]) -> None:
        """Writes ``group`` and answers every reception in it, whatever happens."""
        try:
            await self._write_or_split(rows, group)
        except Exception as exc:  # anything unforeseen fails this group, not the writer
            _fail(group, exc)
        finally:
            for waiting in group:  # cancelled mid-way (the process stopping)
                waiting.answer.cancel()

    async def _write_or_split(self, rows: RowReader, group: list[_Waiting]) -> None:
        try:
            numbered = await repository.insert_numbered(rows, [w.document for w in group])
        except Exception as exc:
            if len(group) > 1 and _refused(exc):
                half = len(group) // 2
                await self._write_or_split(rows, group[:half])
                await self._write_or_split(rows, group[half:])
            else:
                _fail(group, exc)
            return
        doorbell.ring()  # the outbox rows are committed
        for waiting, result in zip(group, numbered, strict=True):
            if not waiting.answer.done():
                waiting.answer.set_result(result)


def _fail(group: list[_Waiting], exc: Exception) -> None:
    for waiting in group:
        if not waiting.answer.done():
            waiting.answer.set_exception(exc)


def _refused(exc: Exception) -> bool:
    """The database refused the statement, so nothing of it was written and its receptions
    may be tried again. Not so when the connection failed: the group may have committed
    before its answer was lost, and writing it again would receive its dossiers twice."""
    return isinstance(exc, asyncpg.PostgresError) and not isinstance(
        exc, asyncpg.PostgresConnectionError | asyncpg.exceptions.OperatorInterventionError
    )


def _report_failure(writer: asyncio.Task[None]) -> None:
    if not writer.cancelled() and writer.exception() is not None:
        logger.error("reception writer failed", exc_info=writer.exception())


groups = ReceptionGroups()
receive = groups.receive
