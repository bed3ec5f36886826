"""Benchmark: the overdue scan on 1,000,000 dossiers of which 10,000 are due.

    make bench-scan        # or: python bench/overdue_scan.py [--total 1000000] [--due 10000]

Prints the time of the first scan (drafting every apology), of a second scan with nothing to
do, and the EXPLAIN of the scan's query. Targets (issue: worker): 10,000 drafts < 30 s, idle
scan < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, print_table, recreate_database

AGENCY, PROCEDURE = "000.00.31.H56", "1.004873"
CHUNK = 100_000


async def seed(total: int, due: int) -> None:
    from sqlalchemy import text

    from services.core.clock import utcnow
    from services.core.db import get_engine
    from services.demo import insert_dossiers

    now = utcnow()
    engine = get_engine()
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO agencies (id, code, name, level, signer_title, signer_name) VALUES "
                "(gen_random_uuid(), :a, 'UBND xã Bench', 'commune', 'CHỦ TỊCH', 'Trần Văn B')"
            ),
            {"a": AGENCY},
        )
        await conn.execute(
            text(
                "INSERT INTO procedures (code, name, name_folded, sector_code, sector_name, "
                "sector_group, time_limit_value, time_limit_unit, supplement_clock) VALUES (:p, "
                "'Xác nhận tình trạng hôn nhân', 'xac nhan', 'ho-tich', 'Hộ tịch', 'civil_status', "
                "3, 'working_days', 'restart')"
            ),
            {"p": PROCEDURE},
        )
    # Most dossiers are history (finished), some are open and far from due, `due` are due.
    open_far = (total - due) // 10
    plan = [
        ("H", total - due - open_far, now - timedelta(days=200), True),
        ("F", open_far, now + timedelta(days=20), False),
        ("D", due, now - timedelta(hours=3), False),
    ]
    done = 0
    for prefix, count, due_at, finished in plan:
        for first in range(1, count + 1, CHUNK):
            last = min(first + CHUNK - 1, count)
            async with engine.begin() as conn:
                await insert_dossiers(
                    conn,
                    agency=AGENCY,
                    procedure=PROCEDURE,
                    prefix=f"{prefix}-",
                    first=first,
                    last=last,
                    received_at=due_at - timedelta(days=5),
                    due_at=due_at,
                    finished=finished,
                )
            done += last - first + 1
            print(f"\rseeding dossiers {done:>9,}/{total:,}", end="", file=sys.stderr)
    print(file=sys.stderr)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))


async def explain() -> str:
    from sqlalchemy import text

    from services.apologies.repository import claim_due
    from services.core.clock import utcnow
    from services.core.db import get_engine

    captured: list[str] = []

    class Capture:
        async def scalars(self, stmt):  # type: ignore[no-untyped-def]
            captured.append(str(stmt.compile(compile_kwargs={"literal_binds": True})))
            return []

    now = utcnow()
    await claim_due(Capture(), now, now + timedelta(days=1), 500)  # type: ignore[arg-type]
    async with get_engine().connect() as conn:
        rows = await conn.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + captured[0]))
        return "\n".join(r[0] for r in rows)


async def run(total: int, due: int) -> None:
    from services.apologies.jobs import overdue_scan
    from services.core.db import get_engine

    await seed(total, due)
    started = time.perf_counter()
    first = await overdue_scan({})
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = await overdue_scan({})
    second_ms = (time.perf_counter() - started) * 1000
    plan = await explain()
    await get_engine().dispose()
    print(f"\nmachine: {machine()}; {total:,} dossiers, {due:,} due\n")
    print_table(
        ["scan", "drafted", "marked overdue", "time", "target", "met"],
        [
            [
                "first",
                first["drafted"],
                first["marked_overdue"],
                f"{first_s:.1f} s",
                "< 30 s",
                "yes" if first_s < 30 and first["drafted"] == due else "NO",
            ],
            [
                "second (idle)",
                second["drafted"],
                second["marked_overdue"],
                f"{second_ms:.0f} ms",
                "< 100 ms",
                "yes" if second_ms < 100 else "NO",
            ],
        ],
    )
    print("\nEXPLAIN (ANALYZE, BUFFERS) of the scan query, after the first scan:\n")
    print(plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    args = parser.parse_args()
    url = recreate_database("motcua_bench_scan")
    os.environ.update(MOTCUA_DATABASE_URL=url, MOTCUA_LOG_LEVEL="WARNING")
    asyncio.run(run(args.total, args.due))


if __name__ == "__main__":
    main()
