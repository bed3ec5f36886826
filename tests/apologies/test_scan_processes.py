"""Exactly one apology per dossier with real worker processes: two at once, one killed with
SIGKILL mid-batch and run again, and the same job delivered twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.apologies.jobs import overdue_scan
from services.core.clock import utcnow
from tests.apologies.conftest import insert_dossiers
from tests.conftest import COMMITTED_PROCEDURE

SCAN = [sys.executable, "-m", "services.cli", "run-job", "overdue-scan"]


async def _seed(engine: AsyncEngine, agency: str, count: int) -> None:
    now = utcnow()
    async with engine.begin() as conn:
        await insert_dossiers(
            conn,
            agency=agency,
            procedure=COMMITTED_PROCEDURE,
            prefix=f"{agency}-P-",
            first=1,
            last=count,
            received_at=now - timedelta(days=9),
            due_at=now - timedelta(hours=2),
        )


async def _counts(engine: AsyncEngine, agency: str) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT 'apologies', count(*), count(DISTINCT dossier_id) FROM apologies "
                "WHERE agency_code = :a UNION ALL "
                "SELECT event_type, count(*), count(DISTINCT subject) FROM outbox_events "
                "WHERE :a = ANY(agency_codes) GROUP BY event_type"
            ),
            {"a": agency},
        )
        counts: dict[str, int] = {}
        for kind, total, distinct in rows:
            assert total == distinct, f"{kind}: {total} rows for {distinct} dossiers"
            counts[kind] = total
        return counts


def _env(batch: int) -> dict[str, str]:
    return {
        **os.environ,
        "MOTCUA_OVERDUE_SCAN_BATCH_SIZE": str(batch),
        "MOTCUA_LOG_LEVEL": "WARNING",
    }


async def test_two_workers_at_once(engine: AsyncEngine, committed_agency: str) -> None:
    await _seed(engine, committed_agency, 400)
    workers = [
        subprocess.Popen(SCAN, env=_env(25), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    drafted = [int(out.decode().split("drafted=")[1].split(",")[0]) for out, _ in outputs]
    assert sum(drafted) == 400
    assert await _counts(engine, committed_agency) == {
        "apologies": 400,
        "apology.drafted": 400,
        "dossier.overdue": 400,
    }


async def test_sigkill_mid_batch_then_rerun(engine: AsyncEngine, committed_agency: str) -> None:
    total = 1500
    await _seed(engine, committed_agency, total)
    worker = subprocess.Popen(
        SCAN, env=_env(5), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while (await _counts(engine, committed_agency)).get("apologies", 0) < 50:
        assert time.monotonic() < deadline and worker.poll() is None
        await asyncio.sleep(0.02)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    at_kill = (await _counts(engine, committed_agency))["apologies"]
    assert 0 < at_kill < total, "the kill should land mid-scan"
    rerun = subprocess.run(SCAN, env=_env(200), capture_output=True, timeout=120, check=False)
    assert rerun.returncode == 0, rerun.stderr
    assert await _counts(engine, committed_agency) == {
        "apologies": total,
        "apology.drafted": total,
        "dossier.overdue": total,
    }


async def test_same_job_delivered_twice(engine: AsyncEngine, committed_agency: str) -> None:
    from services.core.settings import get_settings

    settings = get_settings()
    settings.overdue_scan_batch_size = 20
    try:
        await _seed(engine, committed_agency, 200)
        first, second = await asyncio.gather(overdue_scan({}), overdue_scan({}))
    finally:
        settings.overdue_scan_batch_size = 500
    assert first["drafted"] + second["drafted"] == 200
    assert await _counts(engine, committed_agency) == {
        "apologies": 200,
        "apology.drafted": 200,
        "dossier.overdue": 200,
    }
