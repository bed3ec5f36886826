"""Benchmark: 100,000 pending dossier changes synced to the mock portal.

    make bench-portal      # or: python bench/portal_sync.py [--changes 100000]

The mock runs as its own uvicorn process on the same machine and stores every record it
accepts. Prints records/s for the whole pass (fan-out of the outbox, batching, HTTP, recording)
and checks on the mock's side that each change was accepted exactly once.
Target (issue: national portal): ≥ 2,000 records/s.
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

from bench.common import (
    machine,
    print_table,
    recreate_database,
    reset_app_state,
    server,
)

AGENCY, PROCEDURE = "000.00.31.H56", "1.004873"

EVENTS_SQL = """
INSERT INTO outbox_events (event_type, subject, agency_codes, payload)
SELECT 'dossier.received', d.code, ARRAY[d.receiving_agency_code],
       jsonb_build_object('dossier', jsonb_build_object(
           'code', d.code, 'status', d.status, 'procedure_code', d.procedure_code,
           'procedure_name', d.procedure_name, 'channel', d.channel,
           'applicant', jsonb_build_object('full_name', d.applicant_full_name,
                                           'phone', d.applicant_phone, 'kind', d.applicant_kind),
           'received_at', d.received_at, 'due_at', d.due_at, 'version', d.version,
           'resolving_agency_code', d.resolving_agency_code, 'digitized', d.digitized))
FROM dossiers d ORDER BY d.id
"""


async def seed(changes: int) -> None:
    from sqlalchemy import text

    from services.core.clock import utcnow
    from services.core.db import get_engine
    from services.demo import insert_dossiers

    now = utcnow()
    async with get_engine().begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO agencies (id, code, name, level) VALUES "
                "(gen_random_uuid(), :a, 'UBND xã Bench', 'commune')"
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
        await insert_dossiers(
            conn,
            agency=AGENCY,
            procedure=PROCEDURE,
            prefix="S-",
            first=1,
            last=changes,
            received_at=now - timedelta(days=1),
            due_at=now + timedelta(days=2),
        )
        await conn.execute(text(EVENTS_SQL))
    async with get_engine().connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))
    await get_engine().dispose()


async def accepted_on_the_mock() -> tuple[int, int]:
    from sqlalchemy import text

    from services.core.db import get_engine

    async with get_engine().connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT count(*), count(DISTINCT idempotency_key) FROM portal_mock_received "
                    "WHERE kind = 'dossier'"
                )
            )
        ).one()
    return int(row[0]), int(row[1])


async def run(changes: int) -> tuple[dict[str, int], float, tuple[int, int]]:
    from services.core.db import get_engine
    from services.portal.jobs import portal_sync

    reset_app_state()
    started = time.perf_counter()
    result = await portal_sync({})
    elapsed = time.perf_counter() - started
    counts = await accepted_on_the_mock()
    await get_engine().dispose()
    return result, elapsed, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changes", type=int, default=100_000)
    args = parser.parse_args()
    url = recreate_database("motcua_bench_portal")
    os.environ.update(MOTCUA_DATABASE_URL=url, MOTCUA_LOG_LEVEL="WARNING")
    print(f"seeding {args.changes:,} dossiers and their outbox events...", file=sys.stderr)
    asyncio.run(seed(args.changes))
    env = {"MOTCUA_DATABASE_URL": url, "MOTCUA_LOG_LEVEL": "WARNING"}
    with server("services.portal_mock.main:app", 1, env) as portal:
        os.environ["MOTCUA_PORTAL_URL"] = portal
        result, elapsed, (stored, distinct) = asyncio.run(run(args.changes))
    rate = result["sent"] / elapsed if elapsed else 0.0
    print(f"\nmachine: {machine()}; mock portal: 1 uvicorn worker on the same machine\n")
    print_table(
        [
            "changes",
            "sent",
            "time",
            "records/s",
            "target",
            "met",
            "stored on mock",
            "distinct keys",
        ],
        [
            [
                args.changes,
                result["sent"],
                f"{elapsed:.1f} s",
                f"{rate:.0f}",
                "≥ 2000",
                "yes" if rate >= 2000 else "NO",
                stored,
                distinct,
            ]
        ],
    )


if __name__ == "__main__":
    main()
