from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.calendar import service
from services.calendar.models import CalendarDay, CalendarSeededYear, DaySource
from services.calendar.workingtime import ZONE, DayKind, vn_holidays, vn_weekend_workdays
from tests.conftest import AGENCY, LoginFn

DAYS = "/api/v1/calendar/days"
DUE = "/api/v1/calendar/due-date"


async def api_key(client: httpx.AsyncClient, login: LoginFn, *scopes: str) -> dict[str, str]:
    resp = await client.post(
        "/api/v1/api-keys",
        headers=await login("admin"),
        json={"name": "Tích hợp", "agency_code": AGENCY, "scopes": list(scopes)},
    )
    assert resp.status_code == 201, resp.text
    return {"X-API-Key": resp.json()["key"]}


def assert_problem(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = resp.json()
    assert body["status"] == status and body["detail"]
    return body


async def entries(client: httpx.AsyncClient, headers: dict[str, str], year: int) -> dict[str, Any]:
    resp = await client.get(DAYS, params={"year": year}, headers=headers)
    assert resp.status_code == 200, resp.text
    return {item["date"]: item for item in resp.json()["items"]}


# ---- editing -------------------------------------------------------------------------------


async def test_put_list_delete_round_trip(client: httpx.AsyncClient, login: LoginFn) -> None:
    leader = await login("leader")
    body = {"kind": "day_off", "name": "Nghỉ hoán đổi", "legal_ref": "Thông báo năm 2026"}
    put = await client.put(f"{DAYS}/2026-03-04", headers=leader, json=body)
    assert put.status_code == 200, put.text
    out = put.json()
    assert out["date"] == "2026-03-04"
    assert (out["kind"], out["name"], out["legal_ref"], out["source"]) == (
        "day_off",
        "Nghỉ hoán đổi",
        "Thông báo năm 2026",
        "api",
    )
    assert out["updated_at"].endswith("+07:00")

    listed = await entries(client, await login("viewer"), 2026)
    assert listed["2026-03-04"]["kind"] == "day_off"

    replaced = await client.put(
        f"{DAYS}/2026-03-04", headers=leader, json={"kind": "holiday", "name": "Ngày lễ"}
    )
    assert replaced.status_code == 200
    assert replaced.json()["kind"] == "holiday" and replaced.json()["legal_ref"] is None

    assert (await client.delete(f"{DAYS}/2026-03-04", headers=leader)).status_code == 204
    assert "2026-03-04" not in await entries(client, leader, 2026)
    assert_problem(await client.delete(f"{DAYS}/2026-03-04", headers=leader), 404)


async def test_name_is_stored_nfc(client: httpx.AsyncClient, login: LoginFn) -> None:
    decomposed = "Nghi\u0309 le\u0302\u0303"  # "Nghỉ lễ" with combining marks
    resp = await client.put(
        f"{DAYS}/2026-03-05",
        headers=await login("admin"),
        json={"kind": "holiday", "name": decomposed},
    )
    assert resp.status_code == 200
    assert resp.json()["name"] == "Nghỉ lễ"


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "weekend", "name": "x"},
        {"kind": "holiday", "name": "  "},
        {"kind": "holiday"},
        {"name": "x"},
    ],
)
async def test_put_rejects_bad_body(
    client: httpx.AsyncClient, login: LoginFn, body: dict[str, str]
) -> None:
    resp = await client.put(f"{DAYS}/2026-03-04", headers=await login("leader"), json=body)
    assert assert_problem(resp, 422)["errors"]


@pytest.mark.parametrize(
    "path", ["2026-02-30", "not-a-date", "20260302", "9999-12-31", "0001-01-01", "1975-12-31"]
)
async def test_invalid_date_path_is_422(
    client: httpx.AsyncClient, login: LoginFn, path: str
) -> None:
    leader = await login("leader")
    assert_problem(
        await client.put(f"{DAYS}/{path}", headers=leader, json={"kind": "holiday", "name": "x"}),
        422,
    )
    assert_problem(await client.delete(f"{DAYS}/{path}", headers=leader), 422)


@pytest.mark.parametrize("username", ["officer", "specialist", "viewer"])
async def test_other_roles_may_not_edit(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession, username: str
) -> None:
    headers = await login(username)
    body = {"kind": "holiday", "name": "Ngày lễ"}
    assert_problem(await client.put(f"{DAYS}/2026-03-04", headers=headers, json=body), 403)
    assert_problem(await client.delete(f"{DAYS}/2026-09-02", headers=headers), 403)
    assert await session.get(CalendarDay, date(2026, 3, 4)) is None


async def test_leader_of_any_agency_and_admin_may_edit(
    client: httpx.AsyncClient, login: LoginFn
) -> None:
    for username in ("leader2", "admin"):
        resp = await client.put(
            f"{DAYS}/2026-03-04",
            headers=await login(username),
            json={"kind": "day_off", "name": "Nghỉ"},
        )
        assert resp.status_code == 200, (username, resp.text)


async def test_api_key_needs_calendar_write_scope(
    client: httpx.AsyncClient, login: LoginFn
) -> None:
    body = {"kind": "day_off", "name": "Nghỉ"}
    writer = await api_key(client, login, "calendar:write")
    assert (await client.put(f"{DAYS}/2026-03-04", headers=writer, json=body)).status_code == 200
    reader = await api_key(client, login, "dossiers:read")
    denied = assert_problem(await client.put(f"{DAYS}/2026-03-04", headers=reader, json=body), 403)
    assert "calendar:write" in denied["detail"]
    assert (await client.get(DAYS, params={"year": 2026}, headers=reader)).status_code == 200
    # The calculator is open to any authenticated caller, whatever its scopes.
    due = await client.get(
        DUE, params={"received_at": "2026-03-02T09:00:00", "unit": "same_day"}, headers=writer
    )
    assert due.status_code == 200
    assert_problem(await client.get(DAYS, params={"year": 2026}, headers=writer), 403)


async def test_anonymous_is_401(client: httpx.AsyncClient) -> None:
    body = {"kind": "holiday", "name": "x"}
    assert_problem(await client.put(f"{DAYS}/2026-03-04", json=body), 401)
    assert_problem(await client.delete(f"{DAYS}/2026-03-04"), 401)
    assert_problem(await client.get(DAYS), 401)
    params = {"received_at": "2026-03-02T09:00:00", "unit": "same_day"}
    assert_problem(await client.get(DUE, params=params), 401)


# ---- seeding -------------------------------------------------------------------------------


async def count_days(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(CalendarDay)) or 0)


async def test_seeding_is_idempotent(session: AsyncSession) -> None:
    await service.ensure_seeded(session, [2026, 2027])
    first = await count_days(session)
    assert first > 20
    await service.ensure_seeded(session, [2027, 2026])
    assert await count_days(session) == first
    seeded = set(await session.scalars(select(CalendarSeededYear.year)))
    assert {2026, 2027} <= seeded
    quoc_khanh = await session.get(CalendarDay, date(2026, 9, 2))
    assert quoc_khanh is not None
    assert (quoc_khanh.kind, quoc_khanh.source) == (DayKind.HOLIDAY, DaySource.SEED)
    assert quoc_khanh.legal_ref == service.HOLIDAY_LEGAL_REF
    make_up = await session.get(CalendarDay, date(2026, 8, 22))  # a Saturday worked for 31/8
    assert make_up is not None and make_up.kind is DayKind.WORKING_DAY


async def test_concurrent_seeding_of_a_year_does_not_fail(engine: AsyncEngine) -> None:
    # Real commits on separate connections: the rolled-back test transaction cannot show a race.
    year = 2045
    makers = [async_sessionmaker(engine, expire_on_commit=False) for _ in range(3)]

    async def seed_and_commit(maker: async_sessionmaker[AsyncSession]) -> None:
        async with maker() as s:
            await service.ensure_seeded(s, [year])
            await s.commit()

    try:
        await asyncio.gather(*(seed_and_commit(m) for m in makers))
        async with makers[0]() as s:
            days = await s.scalar(
                select(func.count()).where(func.extract("year", CalendarDay.day) == year)
            )
            assert days == len(vn_holidays([year])) + len(vn_weekend_workdays([year]))
    finally:
        async with makers[0]() as s:
            await s.execute(
                delete(CalendarDay).where(
                    CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))
                )
            )
            await s.execute(delete(CalendarSeededYear).where(CalendarSeededYear.year == year))
            await s.commit()


async def test_api_entry_wins_over_seed(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession
) -> None:
    leader = await login("leader")
    await service.ensure_seeded(session, [2026])
    # Before seeding: 2031 is seeded only after the API entry exists.
    for day in ("2026-09-02", "2031-09-02"):
        resp = await client.put(
            f"{DAYS}/{day}", headers=leader, json={"kind": "working_day", "name": "Đi làm"}
        )
        assert resp.status_code == 200
    await session.execute(delete(CalendarSeededYear).where(CalendarSeededYear.year == 2026))
    await service.ensure_seeded(session, [2026, 2031])
    for day in (date(2026, 9, 2), date(2031, 9, 2)):
        row = await session.get(CalendarDay, day, populate_existing=True)
        assert row is not None
        assert (row.kind, row.source, row.name) == (DayKind.WORKING_DAY, DaySource.API, "Đi làm")
    assert (await entries(client, leader, 2031))["2031-09-02"]["source"] == "api"


async def test_deleted_seeded_holiday_is_not_seeded_again(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession
) -> None:
    leader = await login("leader")
    assert "2026-09-02" in await entries(client, leader, 2026)
    assert (await client.delete(f"{DAYS}/2026-09-02", headers=leader)).status_code == 204
    assert "2026-09-02" not in await entries(client, leader, 2026)


async def test_list_seeds_the_year_on_first_use(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession
) -> None:
    assert await count_days(session) == 0
    resp = await client.get(DAYS, params={"year": 2026}, headers=await login("officer"))
    assert resp.status_code == 200
    body = resp.json()
    assert body["next_cursor"] is None
    dates = [item["date"] for item in body["items"]]
    assert dates == sorted(dates) and all(d.startswith("2026-") for d in dates)
    by_date = {item["date"]: item for item in body["items"]}
    assert by_date["2026-09-02"]["kind"] == "holiday"
    assert by_date["2026-09-02"]["source"] == "seed"
    assert by_date["2026-01-01"]["kind"] == "holiday"


async def test_list_defaults_to_current_year(client: httpx.AsyncClient, login: LoginFn) -> None:
    resp = await client.get(DAYS, headers=await login("viewer"))
    assert resp.status_code == 200
    year = str(datetime.now(ZONE).year)
    assert resp.json()["items"] and all(i["date"][:4] == year for i in resp.json()["items"])


@pytest.mark.parametrize("year", ["1899", "2101", "abc"])
async def test_list_rejects_bad_year(client: httpx.AsyncClient, login: LoginFn, year: str) -> None:
    assert_problem(
        await client.get(DAYS, params={"year": year}, headers=await login("viewer")), 422
    )


# ---- the calendar used for due dates -------------------------------------------------------


async def test_work_calendar_reflects_api_entries(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession
) -> None:
    leader = await login("leader")
    await client.put(f"{DAYS}/2026-03-04", headers=leader, json={"kind": "day_off", "name": "N"})
    await client.put(
        f"{DAYS}/2026-03-07", headers=leader, json={"kind": "working_day", "name": "L"}
    )
    cal = await service.work_calendar(session, date(2026, 3, 1))
    assert not cal.is_working_day(date(2026, 3, 4))
    assert cal.is_working_day(date(2026, 3, 7))
    assert cal.is_working_day(date(2026, 3, 5))
    # Seeded on the way: the national day and the make-up Saturday before it.
    assert not cal.is_working_day(date(2026, 9, 2))
    assert cal.is_working_day(date(2026, 8, 22))


@pytest.fixture
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_work_calendar_is_two_queries_once_seeded(
    session: AsyncSession, statements: list[str]
) -> None:
    await service.work_calendar(session, date(2026, 11, 1))
    statements.clear()
    cal = await service.work_calendar(session, date(2026, 11, 1))
    assert len(statements) == 2, statements
    assert not cal.is_working_day(date(2027, 1, 1))


# ---- due-date calculator -------------------------------------------------------------------


async def due(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> httpx.Response:
    return await client.get(DUE, params=params, headers=headers)


async def test_due_date_domain_example(client: httpx.AsyncClient, login: LoginFn) -> None:
    leader = await login("leader")
    for i in range(9):
        day = (date(2026, 2, 14) + timedelta(days=i)).isoformat()
        resp = await client.put(
            f"{DAYS}/{day}", headers=leader, json={"kind": "day_off", "name": "Nghỉ Tết"}
        )
        assert resp.status_code == 200
    resp = await due(
        client,
        await login("viewer"),
        received_at="2026-02-12T09:00:00+07:00",
        value=3,
        unit="working_days",
    )
    assert resp.status_code == 200, resp.text
    assert '"value":3,' in resp.text  # a JSON number, not "3" or 3.0
    assert resp.json() == {
        "received_at": "2026-02-12T09:00:00+07:00",
        "effective_start": "2026-02-12T09:00:00+07:00",
        "due_at": "2026-02-24T09:00:00+07:00",
        "value": 3,
        "unit": "working_days",
    }


@pytest.mark.parametrize(
    "received_at", ["2026-03-02T09:00:00", "2026-03-02T02:00:00Z", "2026-03-02T09:00:00+07:00"]
)
async def test_due_date_reads_naive_as_local_and_answers_in_plus_seven(
    client: httpx.AsyncClient, login: LoginFn, received_at: str
) -> None:
    resp = await due(
        client, await login("officer"), received_at=received_at, value="1.5", unit="working_hours"
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["received_at"] == "2026-03-02T09:00:00+07:00"
    assert body["due_at"] == "2026-03-02T10:30:00+07:00"
    assert body["value"] == 1.5


async def test_due_date_effective_start_after_closing(
    client: httpx.AsyncClient, login: LoginFn
) -> None:
    # Friday evening: the clock starts Monday 07:30; one working day ends Monday 17:00.
    resp = await due(
        client,
        await login("officer"),
        received_at="2026-03-06T18:00:00",
        value=1,
        unit="working_days",
    )
    assert resp.json()["effective_start"] == "2026-03-09T07:30:00+07:00"
    assert resp.json()["due_at"] == "2026-03-09T17:00:00+07:00"


@pytest.mark.parametrize(
    "received_at,due_at",
    [
        ("2026-03-02T14:59:00", "2026-03-02T17:00:00+07:00"),
        ("2026-03-02T15:00:00", "2026-03-03T17:00:00+07:00"),
        ("2026-03-02T15:30:00", "2026-03-03T17:00:00+07:00"),
        ("2026-03-06T16:00:00", "2026-03-09T17:00:00+07:00"),
    ],
)
async def test_due_date_same_day_cutoff(
    client: httpx.AsyncClient, login: LoginFn, received_at: str, due_at: str
) -> None:
    resp = await due(client, await login("officer"), received_at=received_at, unit="same_day")
    assert resp.status_code == 200, resp.text
    assert resp.json()["due_at"] == due_at
    assert resp.json()["value"] is None


async def test_due_date_calendar_days_uses_seeded_holidays(
    client: httpx.AsyncClient, login: LoginFn
) -> None:
    # 2026-02-12 + 5 days = Tue 17/2, Tết (seeded): the next working day is Mon 23/2.
    resp = await due(
        client,
        await login("officer"),
        received_at="2026-02-12T09:00:00",
        value=5,
        unit="calendar_days",
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["due_at"] == "2026-02-23T17:00:00+07:00"


MON_9 = "2026-03-02T09:00:00"


@pytest.mark.parametrize(
    "params,field",
    [
        ({"received_at": MON_9, "value": 3, "unit": "weeks"}, "unit"),
        ({"received_at": MON_9, "value": -1, "unit": "working_days"}, "value"),
        ({"received_at": MON_9, "value": "NaN", "unit": "working_days"}, "value"),
        ({"received_at": MON_9, "value": "0.001", "unit": "working_hours"}, "value"),
        ({"received_at": MON_9, "value": 100000, "unit": "working_days"}, "value"),
        ({"received_at": MON_9, "unit": "working_days"}, "value"),
        ({"received_at": MON_9, "value": "1.5", "unit": "calendar_days"}, "value"),
        ({"received_at": MON_9, "value": 0, "unit": "calendar_days"}, "value"),
        ({"received_at": "yesterday", "value": 3, "unit": "working_days"}, "received_at"),
        ({"received_at": "2026-02-30T09:00:00", "value": 3, "unit": "working_days"}, "received_at"),
        ({"received_at": "9999-12-31T23:59:59-12:00", "unit": "same_day"}, "received_at"),
        ({"received_at": "0001-01-01T00:00:00+14:00", "unit": "same_day"}, "received_at"),
        ({"value": 3, "unit": "working_days"}, "received_at"),
    ],
)
async def test_due_date_bad_input_is_422_problem(
    client: httpx.AsyncClient, login: LoginFn, params: dict[str, Any], field: str
) -> None:
    body = assert_problem(await due(client, await login("officer"), **params), 422)
    assert body["errors"][0]["loc"][-1] == field
