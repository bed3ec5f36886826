"""Benchmark: the KPI report (and Biểu 06) for one agency over a year, 1,000,000+ dossiers.

    make bench-kpi         # or: python bench/kpi_report.py [--per-month 40000]

Seeds 12 months of dossiers for two agencies (the one reported on, and another), then times
three runs of the report and prints the EXPLAIN of its main query. Target (issue: KPI
report): < 1 s for one agency over a year with 1,000,000 dossiers in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, print_table, recreate_database

AGENCY, OTHER, PROCEDURE = "BENCH.1", "BENCH.2", "9.000001"


async def seed(per_month: int) -> int:
    from sqlalchemy import text

    from services.core.clock import LOCAL_ZONE
    from services.core.db import get_engine
    from services.demo import insert_dossiers

    engine = get_engine()
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO agencies (id, code, name, level) VALUES "
                "(gen_random_uuid(), :a, 'Bench', 'commune'), "
                "(gen_random_uuid(), :b, 'Bench 2', 'commune')"
            ),
            {"a": AGENCY, "b": OTHER},
        )
        await conn.execute(
            text(
                "INSERT INTO procedures (code, name, name_folded, sector_code, sector_name, "
                "sector_group, time_limit_value, time_limit_unit, supplement_clock) VALUES "
                "(:p, 'T', 't', 'ho-tich', 'Hộ tịch', 'civil_status', 3, 'working_days', 'restart')"
            ),
            {"p": PROCEDURE},
        )
    total = 0
    for month in range(12):
        start = datetime(2025, 12, 20, 9, tzinfo=LOCAL_ZONE) + timedelta(days=29 * month)
        for finished, agency, count in (
            (True, AGENCY, per_month),
            (False, AGENCY, per_month // 4),
            (True, OTHER, per_month // 2),
        ):
            async with engine.begin() as conn:
                await insert_dossiers(
                    conn,
                    agency=agency,
                    procedure=PROCEDURE,
                    prefix=f"{agency}-{month:02d}{int(finished)}-",
                    first=1,
                    last=count,
                    received_at=start,
                    due_at=start + timedelta(days=3),
                    finished=finished,
                )
            total += count
            print(f"\rseeding dossiers {total:>9,}", end="", file=sys.stderr)
    print(file=sys.stderr)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE dossiers SET finished_at = received_at + "
                "interval '26 hours' WHERE finished_at IS NOT NULL"
            )
        )
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))
    return total


async def run(per_month: int) -> None:
    from sqlalchemy import event

    from services.core.clock import LOCAL_ZONE
    from services.core.db import get_engine, get_sessionmaker
    from services.core.settings import get_settings
    from services.reports import form06, kpi
    from services.reports.periods import parse_period
    from services.reports.scope import ReportScope

    total = await seed(per_month)
    scope = ReportScope(*parse_period("2026"), AGENCY)
    now = datetime.now(LOCAL_ZONE)
    rows = []
    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    event.listen(get_engine().sync_engine, "before_cursor_execute", capture)
    async with get_sessionmaker()() as session:
        for n in range(3):
            started = time.perf_counter()
            await kpi.report(session, scope, now, get_settings())
            elapsed = time.perf_counter() - started
            rows.append(
                [
                    f"KPI report, run {n + 1}",
                    f"{elapsed:.3f} s",
                    "< 1 s",
                    "yes" if elapsed < 1 else "NO",
                ]
            )
        started = time.perf_counter()
        await form06.rows(session, scope, now)
        rows.append(["Biểu 06", f"{time.perf_counter() - started:.3f} s", "-", "-"])
    event.remove(get_engine().sync_engine, "before_cursor_execute", capture)
    # The report's main query is its longest statement: explain it with its own parameters.
    queries = [i for i in statements if i[0].lstrip().upper().startswith(("SELECT", "WITH"))]
    main_sql, main_params = max(queries, key=lambda item: len(item[0]))
    async with get_engine().connect() as conn:
        await conn.exec_driver_sql("SET jit = off")
        plan = await conn.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS) " + main_sql,
            main_params,  # type: ignore[arg-type]
        )
        explain = "\n".join(str(r[0]) for r in plan)
    await get_engine().dispose()
    print(f"\nmachine: {machine()}; {total:,} dossiers, one agency's year reported\n")
    print_table(["query", "time", "target", "met"], rows)
    print("\nEXPLAIN (ANALYZE, BUFFERS) of the report's main query:\n")
    print(explain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-month", type=int, default=60_000)
    args = parser.parse_args()
    url = recreate_database("motcua_bench_kpi")
    os.environ.update(MOTCUA_DATABASE_URL=url, MOTCUA_LOG_LEVEL="WARNING")
    asyncio.run(run(args.per_month))


if __name__ == "__main__":
    main()
