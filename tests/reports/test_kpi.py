from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.settings import get_settings
from services.reports import kpi
from services.reports.indicators import INDICATORS
from services.reports.periods import parse_period
from services.reports.scope import ReportScope
from tests.conftest import AGENCY, OTHER_AGENCY, LoginFn
from tests.dossiers.conftest import LAND
from tests.reports.data import NOW, insert_scenario

URL = "/api/v1/reports/kpi"

# key → (numerator, denominator, value, met) on the scenario of data.py.
EXPECTED: dict[str, tuple[str, str, str | None, bool | None]] = {
    "on_time": ("3", "5", "60.00", False),
    "online_receipt": ("1", "6", "16.67", False),
    "full_online": ("1", "2", "50.00", False),
    "online_payment": ("1", "2", "50.00", False),
    "digitization": ("2", "6", "33.33", False),
    "electronic_result": ("2", "5", "40.00", False),
    "electronic_certified_copy": ("1", "2", "50.00", False),
    "portal_sync": ("1", "6", "16.67", False),
    "data_reuse": ("1", "6", "16.67", False),
    "satisfaction": ("2", "3", "66.67", False),
    "satisfaction_land_construction_investment": ("1", "1", "100.00", True),
    "apology_compliance": ("1", "3", "33.33", False),
    "feedback_on_time": ("1", "3", "33.33", False),
    "processing_time_ratio": ("105", "158.5", "0.66", False),
    "boundary_free_procedures": ("1", "3", "33.33", False),
}


async def _scenario(session: AsyncSession, procedures: Any) -> None:
    procedures[LAND].boundary_free = True
    await insert_scenario(session)


async def _report(session: AsyncSession, scope: ReportScope) -> dict[str, Any]:
    return {r.key: r for r in await kpi.report(session, scope, NOW, get_settings())}


async def test_every_indicator_on_hand_computed_data(
    session: AsyncSession, procedures: Any
) -> None:
    await _scenario(session, procedures)
    first, last = parse_period("2026-Q1")
    results = await _report(session, ReportScope(first, last, AGENCY))
    assert list(results) == [i.key for i in INDICATORS]
    for key, (numerator, denominator, value, met) in EXPECTED.items():
        r = results[key]
        got = (r.numerator, r.denominator, r.value, r.met)
        want = (
            Decimal(numerator),
            Decimal(denominator),
            None if value is None else Decimal(value),
            met,
        )
        assert got == want, key
    assert results["processing_time_ratio"].target == Decimal("0.5")
    assert results["online_receipt"].target == Decimal(95)


async def test_filters_and_empty_denominators(session: AsyncSession, procedures: Any) -> None:
    await _scenario(session, procedures)
    first, last = parse_period("2026-Q1")
    cert = await _report(session, ReportScope(first, last, AGENCY, "certification"))
    assert (cert["on_time"].numerator, cert["on_time"].denominator) == (1, 2)
    assert cert["satisfaction"].denominator == 1 and cert["satisfaction"].value == 0
    # No rating in the land group among certification dossiers: no value, no verdict.
    lci = cert["satisfaction_land_construction_investment"]
    assert (lci.denominator, lci.value, lci.met) == (0, None, None)

    other = await _report(session, ReportScope(first, last, OTHER_AGENCY))
    assert (other["online_receipt"].numerator, other["online_receipt"].denominator) == (1, 1)

    empty = await _report(session, ReportScope(*parse_period("2024"), AGENCY))
    for key, result in empty.items():
        if key == "boundary_free_procedures":
            continue
        assert (result.denominator, result.value, result.met) == (0, None, None), key


async def test_api_shape_authorization_and_targets(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession, procedures: Any
) -> None:
    await _scenario(session, procedures)
    assert (await client.get(URL, params={"period": "2026-Q1"})).status_code == 401
    viewer = await login("viewer")
    resp = await client.get(URL, params={"period": "2026-Q1"}, headers=viewer)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["period"] == {"from": "2025-12-15", "to": "2026-03-14"}
    assert body["agency_code"] == AGENCY
    by_key = {i["key"]: i for i in body["indicators"]}
    assert set(by_key) == set(EXPECTED)
    assert by_key["on_time"] == {
        "key": "on_time",
        "label_vi": "Tỷ lệ hồ sơ giải quyết đúng hạn",
        "unit": "percent",
        "numerator": 3,
        "denominator": 5,
        "value": 60.0,
        "target": 100,
        "target_kind": "min",
        "met": False,
    }
    assert by_key["processing_time_ratio"]["value"] == 0.66
    assert by_key["processing_time_ratio"]["target_kind"] == "max"

    other = await client.get(
        URL, params={"period": "2026-Q1", "agency_code": OTHER_AGENCY}, headers=viewer
    )
    assert other.status_code == 403
    # An admin asking for an agency that does not exist: not all zeros, a 422.
    for path in (URL, "/api/v1/reports/form-06"):
        unknown = await client.get(
            path,
            params={"period": "2026-Q1", "agency_code": "000.99.99.H99"},
            headers=await login("admin"),
        )
        assert unknown.status_code == 422 and "does not exist" in unknown.json()["detail"]
    admin = await login("admin")
    resp = await client.get(
        URL, params={"period": "2026-Q1", "agency_code": OTHER_AGENCY}, headers=admin
    )
    assert resp.status_code == 200 and resp.json()["agency_code"] == OTHER_AGENCY
    custom = await client.get(
        URL, params={"from": "2026-01-01", "to": "2026-01-31"}, headers=viewer
    )
    assert custom.json()["period"] == {"from": "2026-01-01", "to": "2026-01-31"}
    for bad in ({"period": "2026-Q5"}, {"period": "2026", "from": "2026-01-01"}, {}):
        resp = await client.get(URL, params=bad, headers=viewer)
        assert resp.status_code == 422, bad
        assert resp.headers["content-type"] == "application/problem+json"

    targets = {"targets": [{"key": "on_time", "target": 60}]}
    put = "/api/v1/reports/kpi-targets/2026"
    assert (await client.put(put, json=targets, headers=viewer)).status_code == 403
    assert (
        await client.put(put, json={"targets": [{"key": "nope", "target": 1}]}, headers=admin)
    ).status_code == 422
    resp = await client.put(put, json={**targets, "agency_code": AGENCY}, headers=admin)
    assert resp.status_code == 200, resp.text
    on_time = {t["key"]: t for t in resp.json()["targets"]}["on_time"]
    assert (on_time["target"], on_time["source"]) == (60, "agency")
    resp = await client.put(
        put, json={"targets": [{"key": "on_time", "target": 70}]}, headers=admin
    )
    assert resp.status_code == 200
    again = await client.put(
        put, json={"targets": [{"key": "on_time", "target": 75}]}, headers=admin
    )
    assert {t["key"]: t for t in again.json()["targets"]}["on_time"]["target"] == 75

    mine = (await client.get(URL, params={"period": "2026-Q1"}, headers=viewer)).json()
    on_time = {i["key"]: i for i in mine["indicators"]}["on_time"]
    assert (on_time["target"], on_time["met"]) == (60, True)
    theirs = await client.get(
        "/api/v1/reports/kpi-targets",
        params={"year": 2026, "agency_code": OTHER_AGENCY},
        headers=admin,
    )
    assert {t["key"]: t for t in theirs.json()["targets"]}["on_time"]["source"] == "year"
    defaults = await client.get(
        "/api/v1/reports/kpi-targets", params={"year": 2027}, headers=viewer
    )
    assert {t["source"] for t in defaults.json()["targets"]} == {"default"}


async def test_working_time_in_sql_matches_the_calendar_module(
    session: AsyncSession, procedures: Any
) -> None:
    from datetime import timedelta

    from services.calendar import service as calendar_service
    from tests.reports.data import at, dossier

    # Across Tết (16–20/2/2026): the domain's example, 3 working days = 24 h exactly; and one
    # received long before the period, which makes the report widen its calendar window.
    session.add_all(
        [
            dossier("T1", received_at=at(2, 12), due_at=at(2, 24), finished_at=at(2, 24)),
            dossier(
                "T2",
                received_at=at(6, 3, 14, 20, year=2024),
                due_at=at(6, 6, year=2024),
                finished_at=at(3, 2, 10, 45),
            ),
        ]
    )
    await session.commit()
    first, last = parse_period("2026-03")
    result = (await _report(session, ReportScope(first, last, AGENCY)))["processing_time_ratio"]
    calendar = await calendar_service.work_calendar(session, at(6, 3, year=2024).date(), 700)
    expected = calendar.working_time_between(at(2, 12), at(2, 24)) + (
        calendar.working_time_between(at(6, 3, 14, 20, year=2024), at(3, 2, 10, 45))
    )
    assert calendar.working_time_between(at(2, 12), at(2, 24)) == timedelta(hours=24)
    assert abs(result.numerator - Decimal(expected.total_seconds()) / 3600) < Decimal("1e-6")
    assert result.denominator == 48


async def test_a_legal_time_ending_long_after_the_period_still_counts(
    session: AsyncSession, procedures: Any
) -> None:
    """Found by probing: a 600-calendar-day procedure resolved in the period is due more than
    400 days after it, past the report's calendar window; its used time counted, its legal
    time did not (denominator 0, value null)."""
    from services.calendar import service as calendar_service
    from services.calendar.workingtime import TimeUnit
    from tests.reports.data import at, dossier

    session.add(
        dossier(
            "L1",
            time_limit_value=Decimal(600),
            time_limit_unit=TimeUnit.CALENDAR_DAYS,
            received_at=at(3, 2),
            due_at=at(10, 24, 17, year=2027),
            finished_at=at(3, 5),
        )
    )
    await session.commit()
    first, last = parse_period("2026-03")
    result = (await _report(session, ReportScope(first, last, AGENCY)))["processing_time_ratio"]
    calendar = await calendar_service.work_calendar(session, at(3, 2).date(), 700)
    legal = calendar.working_time_between(at(3, 2), at(10, 24, 17, year=2027))
    assert abs(result.denominator - Decimal(legal.total_seconds()) / 3600) < Decimal("1e-6")
    assert result.denominator > 2000 and result.value is not None
