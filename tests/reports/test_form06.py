from __future__ import annotations

import csv
import io
from typing import Any

import httpx
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports import form06
from services.reports.periods import parse_period
from services.reports.scope import ReportScope
from tests.conftest import AGENCY, LoginFn
from tests.reports.data import NOW, insert_scenario

URL = "/api/v1/reports/form-06"
KEYS = [key for key, _, _ in form06.COLUMNS]
EXPECTED = {
    # received total, online, in person/postal, carried over; resolved total, before due, on
    # due, overdue; in progress total, within due, overdue.
    "chung-thuc": [2, 0, 2, 0, 2, 0, 1, 1, 0, 0, 0],
    "dat-dai": [1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0],
    "ho-tich": [4, 1, 3, 0, 2, 1, 0, 1, 2, 0, 2],
}
TOTAL = [7, 1, 5, 1, 5, 2, 1, 2, 2, 0, 2]


async def test_rows_per_sector(session: AsyncSession, procedures: Any) -> None:
    await insert_scenario(session)
    rows = await form06.rows(session, ReportScope(*parse_period("2026-Q1"), AGENCY), NOW)
    assert {r.sector_code: [getattr(r, k) for k in KEYS] for r in rows} == EXPECTED
    assert [getattr(form06.total(rows), k) for k in KEYS] == TOTAL


async def test_json_csv_and_xlsx_hold_the_same_numbers(
    client: httpx.AsyncClient, login: LoginFn, session: AsyncSession, procedures: Any
) -> None:
    await insert_scenario(session)
    leader = await login("leader")
    params = {"period": "2026-Q1"}
    assert (await client.get(URL, params=params)).status_code == 401
    resp = await client.get(URL, params=params, headers=leader)
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert data["period"] == {"from": "2025-12-15", "to": "2026-03-14"}
    json_rows = {r["sector_name"]: [r[k] for k in KEYS] for r in data["rows"]}
    assert [data["total"][k] for k in KEYS] == TOTAL

    resp = await client.get(URL, params={**params, "format": "csv"}, headers=leader)
    assert resp.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["STT", "Lĩnh vực", "Số hồ sơ nhận giải quyết - Tổng số"]
    csv_rows = {line[1]: [int(v) for v in line[2:]] for line in lines[1:-1]}
    assert csv_rows == json_rows and [int(v) for v in lines[-1][2:]] == TOTAL

    resp = await client.get(URL, params={**params, "format": "xlsx"}, headers=leader)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(resp.content)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "Biểu số 06" and "UBND xã Một" in values[2][0]
    assert values[4][:3] == ["STT", "Lĩnh vực", "Số hồ sơ nhận giải quyết"]
    assert values[5][2:5] == ["Tổng số", "Trực tuyến", "Trực tiếp và dịch vụ bưu chính"]
    xlsx_rows = {r[1]: list(r[2:]) for r in values[6:-1]}
    assert xlsx_rows == json_rows
    assert values[-1][1] == "Tổng cộng" and list(values[-1][2:]) == TOTAL

    bad = await client.get(URL, params={**params, "format": "pdf"}, headers=leader)
    assert bad.status_code == 422


def test_names_that_look_like_formulas_stay_text_in_csv_and_xlsx() -> None:
    """Found by probing: a sector named ``=cmd|'/C calc'!A0`` (procedures are written by API
    keys) became a live formula in the XLSX and a formula cell in Excel's reading of the CSV."""
    from datetime import date

    hostile = ["=cmd|'/C calc'!A0", "+SUM(1,1)", "-2+3", "@SUM(A1)", "\tx"]
    rows = [form06.Form06Row(sector_code=f"s{i}", sector_name=n) for i, n in enumerate(hostile)]
    names = [line[1] for line in csv.reader(io.StringIO(form06.as_csv(rows).decode("utf-8-sig")))]
    assert names[1:-1] == [f"'{n}" for n in hostile]
    book = load_workbook(
        io.BytesIO(form06.as_xlsx(rows, date(2026, 1, 1), date(2026, 12, 31), "=HYPERLINK(1)"))
    )
    sheet = book.active
    assert sheet is not None
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert cells and all(c.data_type != "f" for c in cells)
    assert "'=HYPERLINK(1)" in [c.value for c in cells]
