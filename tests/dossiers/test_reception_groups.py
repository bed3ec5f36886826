"""Numbering in groups (services/dossiers/numbering.py), on committed rows through the driver's
pool, as the API runs it: one statement for the receptions that wait together, codes
gap-free, and a bad reception failing only itself."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
import orjson
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.core.clock import utcnow
from services.core.db import HotReader, get_sessionmaker
from services.core.settings import get_settings
from services.dossiers import numbering, repository, service
from services.dossiers.schemas import ApplicantIn, DossierCreate
from services.identity.principal import Principal
from tests.conftest import COMMITTED_PROCEDURE


class CountingRows:
    """The driver's pool, counting the statements that go through it."""

    def __init__(self, pool: HotReader) -> None:
        self.pool = pool
        self.statements = 0

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        self.statements += 1
        return await self.pool.fetchrow(sql, *args)

    async def fetch(self, sql: str, *args: Any) -> Sequence[Any]:
        self.statements += 1
        return await self.pool.fetch(sql, *args)


@pytest_asyncio.fixture
async def rows(committed_agency: str, engine: AsyncEngine) -> AsyncIterator[CountingRows]:
    yield CountingRows(await HotReader.for_this_loop())
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM idempotency_records WHERE key LIKE 'groups-%'"))
        await conn.execute(
            text(
                "DELETE FROM dossier_steps WHERE dossier_id IN "
                "(SELECT id FROM dossiers WHERE receiving_agency_code = :a)"
            ),
            {"a": committed_agency},
        )


def _principal(agency: str) -> Principal:
    return Principal(
        kind="api_key",
        id=uuid.uuid4(),
        name="groups",
        agency_code=agency,
        scopes=frozenset({"dossiers:write"}),
    )


def _data(name: str = "Nguyễn Văn Nhóm") -> DossierCreate:
    return DossierCreate(
        procedure_code=COMMITTED_PROCEDURE,
        channel="in_person",  # type: ignore[arg-type]
        applicant=ApplicantIn(full_name=name),
    )


async def _prepare(principal: Principal, names: list[str]) -> list[service.Reception]:
    async with get_sessionmaker()() as session:
        return [await service.prepare(session, principal, _data(n), utcnow()) for n in names]


async def _codes(engine: AsyncEngine, agency: str) -> list[str]:
    async with engine.connect() as conn:
        found = await conn.execute(
            text("SELECT code FROM dossiers WHERE receiving_agency_code = :a ORDER BY code"),
            {"a": agency},
        )
        return list(found.scalars())


async def test_receptions_waiting_together_share_one_statement(
    rows: CountingRows, committed_agency: str, engine: AsyncEngine
) -> None:
    receptions = await _prepare(_principal(committed_agency), [f"Người {i}" for i in range(40)])
    # Every column has its value: the statement reads the row from the reception's attributes.
    assert set(repository.DOSSIER_COLUMNS) <= set(vars(receptions[0].dossier))
    numbered = await asyncio.gather(*(numbering.receive(rows, r) for r in receptions))
    assert rows.statements == 1
    codes = [code for _, code in numbered]
    assert [c.rsplit("-", 1)[1] for c in codes] == [f"{i:04d}" for i in range(1, 41)]
    assert sorted(codes) == await _codes(engine, committed_agency)
    async with engine.connect() as conn:
        history = await conn.scalar(
            text(
                "SELECT count(*) FROM dossier_history h JOIN dossiers d ON d.id = h.dossier_id "
                "WHERE d.receiving_agency_code = :a AND h.action = 'receive'"
            ),
            {"a": committed_agency},
        )
        events = (
            await conn.execute(
                text(
                    "SELECT subject, payload -> 'dossier' ->> 'code' FROM outbox_events "
                    "WHERE :a = ANY(agency_codes) AND event_type = 'dossier.received'"
                ),
                {"a": committed_agency},
            )
        ).all()
    assert history == 40
    # Each event carries its own dossier's code, written by the statement.
    assert sorted(events) == [(c, c) for c in sorted(codes)]


async def test_one_statement_numbers_each_agency_day_on_its_own(
    rows: CountingRows, committed_agency: str, engine: AsyncEngine
) -> None:
    from datetime import timedelta

    from services.core.clock import as_local

    importer = Principal(
        kind="api_key",
        id=uuid.uuid4(),
        name="groups",
        agency_code=committed_agency,
        scopes=frozenset({"dossiers:write", "dossiers:import"}),
    )
    yesterday = as_local(utcnow() - timedelta(days=1)).replace(hour=9)
    async with get_sessionmaker()() as session:
        receptions = [
            await service.prepare(
                session,
                importer,
                _data(f"Người {i}").model_copy(
                    update={"received_at": yesterday if i % 2 else None}
                ),
                utcnow(),
            )
            for i in range(7)
        ]
    numbered = await asyncio.gather(*(numbering.receive(rows, r) for r in receptions))
    assert rows.statements == 1
    codes = [code for _, code in numbered]
    today, before = codes[0::2], codes[1::2]
    assert [c[-4:] for c in today] == ["0001", "0002", "0003", "0004"]
    assert [c[-4:] for c in before] == ["0001", "0002", "0003"]
    assert {c[:-5] for c in before} == {f"{committed_agency}-{yesterday:%y%m%d}"}
    assert sorted(codes) == await _codes(engine, committed_agency)


async def test_one_bad_reception_fails_alone_and_codes_stay_gap_free(
    rows: CountingRows, committed_agency: str, engine: AsyncEngine
) -> None:
    names = [f"Người {i}" for i in range(9)]
    names.insert(4, "Nul\x00 trong tên")  # PostgreSQL text cannot hold U+0000
    receptions = await _prepare(_principal(committed_agency), names)
    results = await asyncio.gather(
        *(numbering.receive(rows, r) for r in receptions), return_exceptions=True
    )
    assert isinstance(results[4], asyncpg.UntranslatableCharacterError)
    good = [r for i, r in enumerate(results) if i != 4]
    assert all(isinstance(r, tuple) for r in good)
    # The group failed whole, then was halved until the bad one stood alone: 10 → 5 + 5 →
    # 2 + 3 → 1 + 2 → 1 + 1, nine statements, nine codes.
    assert rows.statements == 9
    assert await _codes(engine, committed_agency) == [
        f"{committed_agency}-{c.rsplit('-', 2)[1]}-{i:04d}"
        for i, c in enumerate(sorted(code for _, code in good), start=1)  # type: ignore[misc]
    ]


async def test_a_group_whose_connection_failed_is_not_written_again(
    rows: CountingRows, committed_agency: str, engine: AsyncEngine
) -> None:
    class LostAnswer(CountingRows):
        """The statement commits, then the connection drops before its answer arrives."""

        async def fetch(self, sql: str, *args: Any) -> Sequence[Any]:
            await super().fetch(sql, *args)
            raise asyncpg.ConnectionDoesNotExistError("connection was closed")

    lost = LostAnswer(rows.pool)
    receptions = await _prepare(_principal(committed_agency), ["Một", "Hai", "Ba"])
    results = await asyncio.gather(
        *(numbering.receive(lost, r) for r in receptions), return_exceptions=True
    )
    assert all(isinstance(r, asyncpg.ConnectionDoesNotExistError) for r in results)
    # Written once (the callers learn of a failure, as for any lost answer), never twice.
    assert lost.statements == 1
    assert len(await _codes(engine, committed_agency)) == 3


async def test_the_same_idempotency_key_at_once_receives_one_dossier(
    rows: CountingRows, committed_agency: str, engine: AsyncEngine
) -> None:
    principal = _principal(committed_agency)
    settings = get_settings()

    async def receive() -> dict[str, Any]:
        return await service.receive(
            get_sessionmaker(), rows, principal, _data(), utcnow(), settings, "groups-1"
        )

    first, second = await asyncio.gather(receive(), receive())
    assert first == second
    assert first["lookup_token"] and first["code"].endswith("-0001")
    assert len(await _codes(engine, committed_agency)) == 1
    # Later repeats are answered from the stored answer, token included.
    assert await receive() == first


async def test_a_repeat_in_a_group_does_not_fail_the_group(
    rows: CountingRows, committed_agency: str, engine: AsyncEngine
) -> None:
    principal = _principal(committed_agency)
    settings = get_settings()

    async def receive(key: str | None, name: str = "Nguyễn Văn Nhóm") -> dict[str, Any]:
        return await service.receive(
            get_sessionmaker(), rows, principal, _data(name), utcnow(), settings, key
        )

    first = await receive("groups-2")
    rows.statements = 0
    # The first statement waits until all nine wait, so that the rest form one group.
    gate = asyncio.Event()
    fetch = rows.fetch

    async def gated(sql: str, *args: Any) -> Sequence[Any]:
        await gate.wait()
        return await fetch(sql, *args)

    rows.fetch = gated  # type: ignore[method-assign]
    tasks = [asyncio.ensure_future(receive(f"groups-new-{i}", f"Người {i}")) for i in range(8)] + [
        asyncio.ensure_future(receive("groups-2"))
    ]
    while len(numbering.groups._waiting.get(id(rows), [])) < 8:  # noqa: ASYNC110 - a queue
        await asyncio.sleep(0.01)
    gate.set()
    answers = await asyncio.gather(*tasks)
    # Two statements (the first arrival, then the other eight with the repeat left out: no
    # split), and one read of the repeat's stored answer.
    assert rows.statements == 3
    assert answers[-1] == first
    assert len({a["code"] for a in answers[:-1]} | {first["code"]}) == 9
    assert len(await _codes(engine, committed_agency)) == 9


async def test_the_unit_of_work_ends_before_the_reception_is_written(
    rows: CountingRows, committed_agency: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contextlib import asynccontextmanager

    events: list[str] = []

    @asynccontextmanager
    async def scope() -> AsyncIterator[Any]:
        async with get_sessionmaker()() as session:
            yield session
        events.append("session ended")

    written = numbering.receive

    async def receive(rows_: Any, reception: Any) -> Any:
        events.append("reception written")
        return await written(rows_, reception)

    monkeypatch.setattr(numbering, "receive", receive)
    await service.receive(
        scope, rows, _principal(committed_agency), _data(), utcnow(), get_settings()
    )
    # Nothing the session does (a commit failing) can come after the dossier exists.
    assert events == ["session ended", "reception written"]


async def test_a_client_that_hangs_up_does_not_cancel_its_group(
    rows: CountingRows, committed_agency: str, engine: AsyncEngine
) -> None:
    receptions = await _prepare(_principal(committed_agency), ["Một", "Hai", "Ba"])
    waits = [asyncio.ensure_future(numbering.receive(rows, r)) for r in receptions]
    await asyncio.sleep(0)  # all three queued
    waits[1].cancel()
    done = await asyncio.gather(*waits, return_exceptions=True)
    assert isinstance(done[1], asyncio.CancelledError)
    # Its reception was written with the others, as after an answer lost on the way.
    assert len(await _codes(engine, committed_agency)) == 3


def test_the_dossier_json_is_the_documented_answer() -> None:
    from services.dossiers.schemas import DossierOut

    now = utcnow()
    built = orjson.loads(orjson.dumps(service.dossier_json(_example_dossier(now), now)))
    validated = DossierOut.model_validate(built).model_dump(mode="json", exclude={"lookup_token"})
    assert built == validated
    assert built["fee"]["paid_at"].endswith("+07:00")
    assert built["current_step"]["due_at"].endswith("+07:00")


@pytest.mark.parametrize("finished", [False, True])
def test_the_dossier_json_of_an_entity_is_the_documented_answer(finished: bool) -> None:
    from services.dossiers.models import Dossier
    from services.dossiers.schemas import DossierOut

    now = utcnow()
    values = vars(_example_dossier(now))
    if finished:
        values.update(finished_at=now, returned_at=now, outcome="approved", current_step=None)
    entity = Dossier(**values)
    built = orjson.loads(orjson.dumps(service.dossier_json(entity, now)))
    assert built == DossierOut.model_validate(built).model_dump(
        mode="json", exclude={"lookup_token"}
    )
    assert built["is_overdue"] is False


def _example_dossier(now: Any) -> Any:
    from datetime import timedelta
    from decimal import Decimal
    from types import SimpleNamespace

    return SimpleNamespace(
        code="000.00.31.H56-261207-0001",
        status="in_progress",
        channel="online",
        procedure_code="1.004873",
        procedure_name="Xác nhận tình trạng hôn nhân",
        sector_group="civil_status",
        time_limit_value=Decimal(3),
        applicant_full_name="Nguyễn Văn An",
        applicant_id_number="001099012345",
        applicant_phone="0912345689",
        applicant_email="an@example.org",
        applicant_address="Thôn Đông",
        applicant_kind="citizen",
        summary="Đăng ký",
        receiving_agency_code="000.00.31.H56",
        resolving_agency_code="000.01.31.H56",
        assignee_username="chuyenvien",
        submitted_at=now - timedelta(hours=2),
        received_at=now - timedelta(hours=1),
        due_at=now + timedelta(days=3),
        original_due_at=None,
        finished_at=None,
        returned_at=None,
        supplement_count=1,
        late_supplement_request=False,
        rescheduled=False,
        digitized=True,
        electronic_result=False,
        reused_data=True,
        fee_amount_vnd=50000,
        fee_paid_online=True,
        fee_paid_at=now.replace(microsecond=0),
        outcome=None,
        result_summary=None,
        return_method=None,
        portal_sync="synced",
        current_step={
            "n": 2,
            "name": "Thẩm định",
            "agency_code": "000.01.31.H56",
            "role": "specialist",
            "started_at": "2026-12-07T09:00:00+07:00",
            "due_at": "2026-12-09T09:00:00+07:00",
        },
        version=3,
    )
