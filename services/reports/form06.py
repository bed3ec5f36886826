"""Biểu 06 (Circular 01/2020/TT-VPCP): dossiers per sector — received, resolved, in progress
(domain.md §7) — aggregated in one SQL statement, exported as JSON, CSV or XLSX."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.reports.indicators import on_time_sql
from services.reports.scope import ReportScope

# Column keys in the form's order, with the Vietnamese headers of the circular: the group
# header (merged over its columns in the spreadsheet) and the column's own header.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("received_total", "Số hồ sơ nhận giải quyết", "Tổng số"),
    ("received_online", "Số hồ sơ nhận giải quyết", "Trực tuyến"),
    ("received_in_person_or_postal", "Số hồ sơ nhận giải quyết", "Trực tiếp và dịch vụ bưu chính"),
    ("carried_over", "Số hồ sơ nhận giải quyết", "Từ kỳ trước chuyển qua"),
    ("resolved_total", "Số hồ sơ đã giải quyết", "Tổng số"),
    ("resolved_before_due", "Số hồ sơ đã giải quyết", "Trước hạn"),
    ("resolved_on_due", "Số hồ sơ đã giải quyết", "Đúng hạn"),
    ("resolved_overdue", "Số hồ sơ đã giải quyết", "Quá hạn"),
    ("in_progress_total", "Số hồ sơ đang giải quyết", "Tổng số"),
    ("in_progress_within_due", "Số hồ sơ đang giải quyết", "Trong hạn"),
    ("in_progress_overdue", "Số hồ sơ đang giải quyết", "Quá hạn"),
)
TITLE = "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
FORM = "Biểu số 06"


@dataclass
class Form06Row:
    sector_code: str
    sector_name: str
    received_total: int = 0
    received_online: int = 0
    received_in_person_or_postal: int = 0
    carried_over: int = 0
    resolved_total: int = 0
    resolved_before_due: int = 0
    resolved_on_due: int = 0
    resolved_overdue: int = 0
    in_progress_total: int = 0
    in_progress_within_due: int = 0
    in_progress_overdue: int = 0


def _sql(scope: ReportScope) -> str:
    local = "(timezone('Asia/Ho_Chi_Minh', {}))::date"
    on_time = on_time_sql("d")
    resolved = (
        "(d.finished_at >= :lo AND d.finished_at < :hi AND d.status IN ('resolved', 'returned'))"
    )
    new = "(d.received_at >= :lo AND d.received_at < :hi)"
    open_at_end = "(d.received_at < :end AND (d.finished_at IS NULL OR d.finished_at >= :end))"
    same_day = f"{local.format('d.finished_at')} >= {local.format('d.due_at')}"
    # Only fixed fragments are interpolated; every value is a bound parameter.
    return f"""
    SELECT d.sector_code, min(d.sector_name) AS sector_name,
        count(*) FILTER (WHERE d.received_at < :lo) AS carried_over,
        count(*) FILTER (WHERE {new} AND d.channel = 'online') AS received_online,
        count(*) FILTER (WHERE {new} AND d.channel <> 'online') AS received_in_person_or_postal,
        count(*) FILTER (WHERE {resolved}) AS resolved_total,
        count(*) FILTER (WHERE {resolved} AND {on_time} AND NOT {same_day})
            AS resolved_before_due,
        count(*) FILTER (WHERE {resolved} AND {on_time} AND {same_day}) AS resolved_on_due,
        count(*) FILTER (WHERE {resolved} AND NOT {on_time}) AS resolved_overdue,
        count(*) FILTER (WHERE {open_at_end}) AS in_progress_total,
        count(*) FILTER (WHERE {open_at_end} AND NOT d.due_at < :end) AS in_progress_within_due,
        count(*) FILTER (WHERE {open_at_end} AND d.due_at < :end) AS in_progress_overdue
    FROM dossiers d
    WHERE {scope.dossier_filter()}
      AND d.received_at < :hi AND (d.finished_at IS NULL OR d.finished_at >= :lo)
    GROUP BY d.sector_code
    ORDER BY d.sector_code
    """  # noqa: S608


async def rows(session: AsyncSession, scope: ReportScope, now: datetime) -> list[Form06Row]:
    """One row per sector with dossiers in the period. "In progress" is counted at the end of
    the period, or now for a period not over yet."""
    params = {**scope.params(), "end": min(scope.hi, now)}
    result = []
    for record in (await session.execute(text(_sql(scope)), params)).mappings():
        row = Form06Row(**dict(record))
        row.received_total = (
            row.carried_over + row.received_online + row.received_in_person_or_postal
        )
        result.append(row)
    return result


def total(rows: list[Form06Row]) -> Form06Row:
    out = Form06Row(sector_code="", sector_name="Tổng cộng")
    for key, _, _ in COLUMNS:
        setattr(out, key, sum(getattr(r, key) for r in rows))
    return out


def as_json(rows: list[Form06Row], first: date, last: date) -> dict[str, Any]:
    return {
        "period": {"from": first.isoformat(), "to": last.isoformat()},
        "rows": [asdict(r) for r in rows],
        "total": asdict(total(rows)),
    }


def _header() -> list[str]:
    return ["STT", "Lĩnh vực", *(f"{group} - {name}" for _, group, name in COLUMNS)]


def _cell_text(value: str) -> str:
    """Text a spreadsheet shows as text: one starting like a formula (``= + - @``, tab, CR)
    gets a leading apostrophe (OWASP CSV injection), since names come from API callers."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _line(index: int | str, row: Form06Row) -> list[Any]:
    return [index, _cell_text(row.sector_name), *(getattr(row, key) for key, _, _ in COLUMNS)]


def as_csv(rows: list[Form06Row]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_header())
    for index, row in enumerate(rows, 1):
        writer.writerow(_line(index, row))
    writer.writerow(_line("", total(rows)))
    # The BOM makes Excel read the Vietnamese headers as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode()


def as_xlsx(rows: list[Form06Row], first: date, last: date, agency_name: str | None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "Bieu 06"
    width = 2 + len(COLUMNS)
    last_col = get_column_letter(width)
    sheet.append([FORM])
    sheet.append([TITLE])
    sheet.append([_cell_text(agency_name or "Tất cả cơ quan")])
    sheet.append([f"Kỳ báo cáo: từ ngày {first:%d/%m/%Y} đến ngày {last:%d/%m/%Y}"])
    for line in range(2, 5):
        sheet.merge_cells(f"A{line}:{last_col}{line}")
        sheet[f"A{line}"].alignment = Alignment(horizontal="center")
    sheet["A2"].font = Font(bold=True, size=13)

    groups = ["STT", "Lĩnh vực", *(group for _, group, _ in COLUMNS)]
    names = ["", "", *(name for _, _, name in COLUMNS)]
    sheet.append(groups)
    sheet.append(names)
    top, sub = 5, 6
    sheet.merge_cells(f"A{top}:A{sub}")
    sheet.merge_cells(f"B{top}:B{sub}")
    start = 3
    while start <= width:
        end = start
        while end + 1 <= width and groups[end] == groups[start - 1]:
            end += 1
        sheet.merge_cells(f"{get_column_letter(start)}{top}:{get_column_letter(end)}{top}")
        start = end + 1
    for line in (top, sub):
        for cell in sheet[line]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for index, row in enumerate(rows, 1):
        sheet.append(_line(index, row))
    sheet.append(_line("", total(rows)))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["B"].width = 36
    for col in range(3, width + 1):
        sheet.column_dimensions[get_column_letter(col)].width = 14
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
