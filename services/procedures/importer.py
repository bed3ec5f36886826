"""Import a procedure catalogue from CSV (the columns of ``data/procedures-sample.csv``).

Good rows are upserted by code; bad rows are reported with their line and the reason, and never
stop the others. A file that cannot be read as such a CSV raises :class:`ImportFileError`.

An optional ``process`` column holds the procedure's internal process as the JSON list of steps
that ``PUT /procedures/{code}/process`` takes; a changed process becomes a new version.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.calendar.service import hours_per_day
from services.core.clock import utcnow
from services.core.privacy import fold
from services.identity import repository as identity_repo
from services.procedures import repository
from services.procedures.schemas import ProcedureCreate
from services.procedures.service import procedure_values
from services.processes import plan
from services.processes import service as processes
from services.processes.schemas import ProcessIn

COLUMNS = (
    "code",
    "name_vi",
    "sector_vi",
    "sector_group",
    "time_limit_value",
    "time_limit_unit",
    "same_day_after_15h_rule",
    "fee_vnd",
    "online_level",
    "source",
    "confidence",
    "notes",
    "process",
)
# The others add nothing a procedure needs: the 15:00 rule is part of the same_day unit itself.
REQUIRED_COLUMNS = (
    "code",
    "name_vi",
    "sector_vi",
    "sector_group",
    "time_limit_value",
    "time_limit_unit",
    "fee_vnd",
    "online_level",
)
BATCH_SIZE = 200

# Schema field → the CSV column a person should fix.
_COLUMN_OF = {
    "name": "name_vi",
    "sector_name": "sector_vi",
    "sector_code": "sector_vi",
    "time_limit": "time_limit_unit",
    "time_limit.value": "time_limit_value",
    "time_limit.unit": "time_limit_unit",
}

Progress = Callable[[int, int], None]


class ImportFileError(Exception):
    """The file as a whole is unusable (unreadable, not UTF-8, not CSV, columns missing)."""


@dataclass(frozen=True)
class Rejected:
    line: int
    code: str
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    processes: int = 0

    def summary(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {len(self.rejected)} rejected"
        return text + (f", {self.processes} process version(s) saved" if self.processes else "")


@dataclass(frozen=True)
class Row:
    line: int
    procedure: ProcedureCreate
    process: ProcessIn | None = None


def sector_slug(sector_vi: str) -> str:
    """``Hộ tịch`` → ``ho-tich``: the sector code when the catalogue has none."""
    return re.sub(r"[^a-z0-9]+", "-", fold(sector_vi)).strip("-")[:64]


def _fee(raw: str) -> int | None:
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]+", raw):
        raise ValueError(
            f"fee_vnd: {raw!r} is not a whole number of VND (write 5000, not 5.000); "
            "leave it empty when the fee varies or is set by the province"
        )
    return int(raw)


def _procedure_input(row: dict[str, str]) -> dict[str, Any]:
    online_level = row["online_level"]
    notes = " ".join(
        part
        for part in (
            f"Catalogue confidence: {row['confidence']}." if row.get("confidence") else "",
            row.get("notes", ""),
        )
        if part
    )
    return {
        "code": row["code"],
        "name": row["name_vi"],
        "sector_code": sector_slug(row["sector_vi"]),
        "sector_name": row["sector_vi"],
        "sector_group": row["sector_group"],
        "time_limit": {"value": row["time_limit_value"], "unit": row["time_limit_unit"]},
        "fee_vnd": _fee(row["fee_vnd"]),
        "online_level": None if online_level in ("", "unknown") else online_level,
        "source": row.get("source") or None,
        "notes": notes or None,
    }


def _reason(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        column = _COLUMN_OF.get(where, where)
        given = error.get("input")
        shown = f" (got {given!r})" if isinstance(given, str) and len(given) <= 60 else ""
        parts.append(f"{column}: {error['msg']}{shown}" if column else error["msg"])
    return "; ".join(parts)


def _misfit(steps: list[plan.StepSpec], procedure: ProcedureCreate) -> list[str]:
    """What keeps these steps from adding up to the procedure's time limit (plan.check)."""
    limit = procedure.time_limit
    return plan.check(steps, limit.amount, limit.unit, hours_per_day())


def _process(raw: str, procedure: ProcedureCreate) -> ProcessIn | None:
    """The ``process`` cell: empty, or steps whose shares fit the procedure's time limit."""
    if not raw:
        return None
    try:
        process = ProcessIn.model_validate({"steps": json.loads(raw)})
    except json.JSONDecodeError as exc:
        raise ValueError(f"process: not a JSON list of steps ({exc.msg})") from exc
    except RecursionError as exc:  # thousands of nested brackets
        raise ValueError("process: nested too deeply to be a list of steps") from exc
    except ValidationError as exc:
        raise ValueError(f"process: {_reason(exc)}") from exc
    errors = _misfit([s.spec() for s in process.steps], procedure)
    if errors:
        raise ValueError(f"process: {'; '.join(errors)}")
    return process


def parse_rows(reader: csv.DictReader[str]) -> tuple[list[Row], list[Rejected]]:
    """Valid procedures and rejected rows, in file order; no I/O beyond ``reader``."""
    header = reader.fieldnames
    if not header:
        raise ImportFileError("the file is empty: a header row is expected")
    names = [h.strip() for h in header]
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        # DictReader keeps the last of them: a row would silently take the wrong value.
        raise ImportFileError(
            f"column(s) {', '.join(repeated)} appear more than once in the header"
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in set(names)]
    if missing:
        raise ImportFileError(
            f"missing required column(s) {', '.join(missing)}; "
            f"the header must have: {','.join(COLUMNS)}"
        )
    procedures: list[Row] = []
    rejected: list[Rejected] = []
    first_line: dict[str, int] = {}
    line = reader.line_num + 1
    try:
        for raw in reader:
            row = {name.strip(): (raw.get(name) or "").strip() for name in header}
            code = row.get("code", "")
            reason = None
            if None in raw:
                reason = "more values than columns (an unquoted comma?)"
            elif any(v is None for v in raw.values()):
                reason = f"fewer values than the header's {len(header)} columns"
            elif any("\x00" in value for value in row.values()):
                reason = "contains a NUL character"
            elif not row.get("time_limit_value"):
                reason = "time limit not verified (empty)"
            elif code in first_line:
                reason = f"code {code} already given on line {first_line[code]}"
            else:
                try:
                    procedure = ProcedureCreate.model_validate(_procedure_input(row))
                    procedures.append(
                        Row(line, procedure, _process(row.get("process", ""), procedure))
                    )
                    first_line[code] = line
                except ValidationError as exc:
                    reason = _reason(exc)
                except ValueError as exc:
                    reason = str(exc)
            if reason is not None:
                rejected.append(Rejected(line, code, reason))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFileError(f"line {reader.line_num}: not valid CSV ({exc})") from exc
    return procedures, rejected


def read_catalogue(path: Path) -> tuple[list[Row], list[Rejected]]:
    """Read and check the whole file before anything is written."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"{path} is not UTF-8 text (invalid byte on line {line}); "
            "save the spreadsheet as 'CSV UTF-8'"
        ) from exc
    # Blank lines before the header are not the header; strict: an unclosed quote is an
    # error, where the lenient reader swallowed the rows after it into one cell.
    text = text.lstrip("\r\n")
    try:
        return parse_rows(csv.DictReader(io.StringIO(text, newline=""), strict=True))
    except ImportFileError as exc:
        raise ImportFileError(f"{path}: {exc}") from exc


async def _process_problems(session: AsyncSession, rows: list[Row]) -> dict[int, str]:
    """line → reason: a process naming an agency that does not exist, or a new time limit
    that the procedure's current process (left as it is by a row without one) no longer fits."""
    known: dict[str, bool] = {}
    bad: dict[int, str] = {}
    for row in rows:
        if row.process is None:
            current = await processes.current_process(session, row.procedure.code)
            errors = _misfit(list(current.steps), row.procedure) if current else []
            if errors:
                bad[row.line] = (
                    "time_limit: the procedure's internal process would no longer fit "
                    f"({'; '.join(errors)}); give the new process in the process column"
                )
        for n, step in enumerate(row.process.steps if row.process else [], start=1):
            code = step.agency_code
            if code is None:
                continue
            if code not in known:
                known[code] = await identity_repo.get_agency(session, code) is not None
            if not known[code]:
                bad.setdefault(row.line, f"process: step {n}: agency {code} does not exist")
    return bad


async def save_catalogue(
    session: AsyncSession,
    rows: list[Row],
    rejected: list[Rejected],
    progress: Progress | None = None,
) -> ImportReport:
    bad = await _process_problems(session, rows)
    report = ImportReport(rejected=list(rejected))
    report.rejected += [
        Rejected(r.line, r.procedure.code, bad[r.line]) for r in rows if r.line in bad
    ]
    report.rejected.sort(key=lambda r: r.line)
    good = [r for r in rows if r.line not in bad]
    total = len(good)
    for start in range(0, total, BATCH_SIZE):
        chunk = good[start : start + BATCH_SIZE]
        created = await repository.upsert_procedures(
            session, [procedure_values(r.procedure) for r in chunk]
        )
        report.created += created
        report.updated += len(chunk) - created
        for row in chunk:
            if row.process is not None:
                _, _, saved = await processes.put_process(
                    session,
                    row.procedure.code,
                    row.process,
                    "import",
                    utcnow(),
                    unless_unchanged=True,
                )
                report.processes += saved
        if progress is not None:
            progress(start + len(chunk), total)
    await session.flush()
    return report


async def import_procedures(
    session: AsyncSession, path: Path, progress: Progress | None = None
) -> ImportReport:
    """Upsert the catalogue in ``path``; flushes, the caller commits."""
    procedures, rejected = read_catalogue(path)
    return await save_catalogue(session, procedures, rejected, progress)
