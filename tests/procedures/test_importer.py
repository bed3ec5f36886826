from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.cli import main
from services.demo import seed_identity, seed_procedures, seed_processes
from services.procedures.importer import (
    COLUMNS,
    ImportFileError,
    import_procedures,
    parse_rows,
    read_catalogue,
    sector_slug,
)
from services.procedures.models import Procedure

SAMPLE = Path(__file__).parents[2] / "services" / "procedures" / "data" / "procedures-sample.csv"
UNVERIFIED = {
    "2.001263",
    "1.012783",
    "1.012786",
    "1.013992",
    "1.001776",
    "1.001731",
    "1.001699",
    "1.010803",
    "1.010833",
    "1.003622",
    "1.001622",
}
HEADER = ",".join(COLUMNS)


def row(code: str, value: str = "3", unit: str = "working_days", **kw: str) -> str:
    fields = {
        "code": code,
        "name_vi": "Thủ tục thử",
        "sector_vi": "Hộ tịch",
        "sector_group": "civil_status",
        "time_limit_value": value,
        "time_limit_unit": unit,
        "same_day_after_15h_rule": "false",
        "fee_vnd": "",
        "online_level": "unknown",
        "source": "test",
        "confidence": "confirmed",
        "notes": "",
        "process": "",
        **kw,
    }
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([fields[c] for c in COLUMNS])
    return out.getvalue()


def parse(text: str) -> tuple[list[str], dict[int, tuple[str, str]]]:
    good, bad = parse_rows(csv.DictReader(io.StringIO(text, newline="")))
    return [p.procedure.code for p in good], {r.line: (r.code, r.reason) for r in bad}


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Procedure)) or 0)


def test_sector_slug() -> None:
    assert sector_slug("Hộ tịch") == "ho-tich"
    assert sector_slug("Giáo dục và Đào tạo") == "giao-duc-va-dao-tao"
    assert sector_slug(" Thủy sản và kiểm ngư ") == "thuy-san-va-kiem-ngu"


async def test_bundled_sample_imports_then_reimports_as_updates(session: AsyncSession) -> None:
    calls: list[tuple[int, int]] = []
    report = await import_procedures(session, SAMPLE, progress=lambda d, t: calls.append((d, t)))
    assert (report.created, report.updated) == (28, 0)
    assert {r.code for r in report.rejected} == UNVERIFIED
    assert {r.reason for r in report.rejected} == {"time limit not verified (empty)"}
    assert min(r.line for r in report.rejected) == 16  # 2.001263, the 15th row after the header
    assert calls == [(28, 28)]
    assert await count(session) == 28

    birth = await session.get(Procedure, "1.001193")
    assert birth is not None
    assert (birth.time_limit_value, birth.time_limit_unit) == (0, "same_day")
    assert (birth.sector_code, birth.sector_name, birth.online_level) == (
        "ho-tich",
        "Hộ tịch",
        "full",
    )
    assert birth.fee_vnd == 0 and birth.name_folded == "thu tuc dang ky khai sinh"
    assert birth.notes is not None and birth.notes.startswith("Catalogue confidence: confirmed.")
    fisheries = await session.get(Procedure, "1.004656")
    assert fisheries is not None
    assert fisheries.time_limit_value == Decimal("2.5") and fisheries.fee_vnd is None
    assert fisheries.online_level is None
    permit = await session.get(Procedure, "1.013225")
    assert permit is not None and permit.time_limit_unit == "calendar_days"

    # A local decision survives a re-import; catalogue fields come back from the file.
    birth.boundary_free, birth.name = True, "Sửa tay"
    await session.flush()
    again = await import_procedures(session, SAMPLE)
    assert (again.created, again.updated, len(again.rejected)) == (0, 28, 11)
    assert await count(session) == 28
    await session.refresh(birth)
    assert birth.boundary_free is True and birth.name == "Thủ tục đăng ký khai sinh"


async def test_seed_demo_catalogue_is_idempotent(session: AsyncSession) -> None:
    first = await seed_procedures(session)
    second = await seed_procedures(session)
    assert (first.created, second.created, second.updated) == (28, 0, 28)
    assert await count(session) == 28
    # The demo's liên thông process: one version however often the demo is seeded.
    await seed_identity(session)
    assert (await seed_processes(session)).endswith("(saved), step 2 at 000.01.31.H56")
    assert "version 1 (unchanged)" in await seed_processes(session)


def test_bad_rows_are_rejected_with_line_and_reason() -> None:
    text = (
        HEADER
        + "\n"
        + row("1.000001", notes="two\nlines")  # lines 2-3
        + row("1.00002")  # 4
        + row("1.000003", fee_vnd="5.000")  # 5
        + row("1.000004", value="1", unit="same_day")  # 6
        + row("1.000005", value="2.5", unit="calendar_days")  # 7
        + row("1.000001")  # 8
        + row("1.000007", sector_group="health")  # 9
        + row("1.000008", value="", unit="")  # 10
        + row("1.000009", unit="")  # 11
        + row("1.000010", value="2,5")  # 12
        + row("1.000011", online_level="toàn trình")  # 13
        + row("1.000012").rstrip("\n")
        + ",extra\n"  # 14
        + row("1.000013", value="0", unit="same_day", fee_vnd="10000", online_level="full")
    )
    good, bad = parse(text)
    assert good == ["1.000001", "1.000013"]
    reasons = {line: reason for line, (_, reason) in bad.items()}
    assert sorted(reasons) == list(range(4, 15))
    assert bad[4][0] == "1.00002" and reasons[4].startswith("code: String should match pattern")
    assert "fee_vnd: '5.000' is not a whole number of VND" in reasons[5]
    assert reasons[6].startswith("time_limit_value: Value error, must be 0")
    assert "whole number of days" in reasons[7]
    assert reasons[8] == "code 1.000001 already given on line 2"
    assert reasons[9].startswith("sector_group: Input should be")
    assert reasons[10] == "time limit not verified (empty)"
    assert reasons[11].startswith("time_limit_unit: Input should be")
    assert reasons[12].startswith("time_limit_value: Input should be a valid decimal")
    assert reasons[13].startswith("online_level: Input should be")
    assert reasons[14] == "more values than columns (an unquoted comma?)"


def test_missing_column_is_a_file_error() -> None:
    header = HEADER.replace(",fee_vnd", "")
    with pytest.raises(ImportFileError, match="missing required column"):
        parse(header + "\n")
    with pytest.raises(ImportFileError, match="empty"):
        parse("")


def test_cli_refuses_unusable_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(
        (HEADER + "\n" + row("1.000001", name_vi="Hoà", sector_vi="Khác")).encode("latin-1")
    )
    no_fee = tmp_path / "no-fee.csv"
    no_fee.write_text(HEADER.replace(",fee_vnd", "") + "\n", encoding="utf-8")

    assert main(["import-procedures", str(latin1)]) == 2
    assert "is not UTF-8 text (invalid byte on line 2)" in capsys.readouterr().err
    assert main(["import-procedures", str(no_fee)]) == 2
    err = capsys.readouterr().err
    assert "missing required column(s) fee_vnd" in err and "Traceback" not in err
    assert main(["import-procedures", str(tmp_path / "absent.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err


async def test_cli_imports_and_reports(tmp_path: Path, engine: AsyncEngine) -> None:
    # The CLI commits with its own engine, so it runs in a subprocess and its rows are removed.
    path = tmp_path / "catalogue.csv"
    path.write_text(
        HEADER + "\n" + row("8.000001") + row("8.000002", value="") + row("8.000003"),
        encoding="utf-8",
    )
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.cli",
            "import-procedures",
            str(path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=dict(os.environ),
        )
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        lines = out.decode().splitlines()
        assert lines[0] == f"{path}: 2 created, 0 updated, 1 rejected"
        assert lines[1] == "  line 3: 8.000002: time limit not verified (empty)"
        assert "procedures [" in err.decode() and "2/2" in err.decode()
    finally:
        async with engine.begin() as conn:
            await conn.execute(delete(Procedure).where(Procedure.code.like("8.%")))


def _steps(*shares: tuple[float, str], agency: str | None = None) -> str:
    return json.dumps(
        [
            {
                "name": f"Bước {i}",
                "role": "officer",
                "agency_code": agency,
                "share": {"value": v, "unit": u},
            }
            for i, (v, u) in enumerate(shares, start=1)
        ]
    )


async def test_process_column_imports_versions_once(
    session: AsyncSession, seed: Any, tmp_path: Path
) -> None:
    from services.processes.models import ProcedureProcess
    from tests.conftest import OTHER_AGENCY

    text = "\n".join(
        [
            HEADER,
            row("1.000001", process=_steps((1, "working_days"), (2, "working_days"))).strip(),
            row("1.000002", process=_steps((1, "working_days"))).strip(),  # 8 h of 24
            row("1.000003", process="[{not json").strip(),
            row("1.000004", process=_steps((3, "working_days"), agency="NO.SUCH")).strip(),
            row(
                "1.000005",
                process=_steps((0.5, "fraction"), (0.5, "fraction"), agency=OTHER_AGENCY),
            ).strip(),
        ]
    )
    path = tmp_path / "catalogue.csv"
    path.write_text(text + "\n", encoding="utf-8")
    report = await import_procedures(session, path)
    again = await import_procedures(session, path)
    reasons = {r.code: r.reason for r in report.rejected}
    assert set(reasons) == {"1.000002", "1.000003", "1.000004"}
    assert "8 working hours" in reasons["1.000002"]
    assert reasons["1.000003"].startswith("process: not a JSON list")
    assert reasons["1.000004"] == "process: step 1: agency NO.SUCH does not exist"
    assert (report.created, report.processes) == (2, 2)
    assert (again.updated, again.processes) == (2, 0)
    assert await session.get(Procedure, "1.000004") is None
    versions = list(await session.scalars(select(ProcedureProcess.procedure_code)))
    assert sorted(versions) == ["1.000001", "1.000005"]
    # A new limit without a new process would break the one in force: the row is refused.
    path.write_text(HEADER + "\n" + row("1.000001", value="5"), encoding="utf-8")
    longer = await import_procedures(session, path)
    assert [r.code for r in longer.rejected] == ["1.000001"]
    assert "would no longer fit" in longer.rejected[0].reason
    kept = await session.get(Procedure, "1.000001")
    assert kept is not None and kept.time_limit_value == 3


def test_files_that_used_to_crash_or_lose_rows(tmp_path: Path) -> None:
    """Found by probing the CLI: a NUL or thousands of nested brackets ended in a traceback, an
    unclosed quote swallowed the rows after it, a repeated column took the wrong value."""

    def read(name: str, text: str) -> tuple[list[str], dict[int, str]]:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        good, bad = read_catalogue(path)
        return [p.procedure.code for p in good], {r.line: r.reason for r in bad}

    good, bad = read(
        "odd.csv",
        "\n\n"  # blank lines before the header
        + HEADER
        + "\n"
        + row("1.000001", name_vi="Tên\x00lỗi")
        + row("1.000002", process="[" * 5000 + "]" * 5000)
        + "1.000003,Tên,Hộ tịch\n"
        + row("1.000004", value="1001")
        + row("1.000005"),
    )
    assert good == ["1.000005"]
    assert bad[2] == "contains a NUL character"
    assert bad[3] == "process: nested too deeply to be a list of steps"
    assert bad[4].startswith("fewer values than the header's")
    assert bad[5].startswith("time_limit_value: Input should be less than or equal to 1000")
    with pytest.raises(ImportFileError, match="not valid CSV"):
        unclosed = row("1.000001").rstrip("\n").rsplit(",", 2)[0] + ',"oops,\n'
        read("quote.csv", HEADER + "\n" + unclosed + row("1.000002"))
    with pytest.raises(ImportFileError, match="code appear more than once"):
        read("twice.csv", HEADER + ",code\n")
