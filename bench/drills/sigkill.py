"""Drills: SIGKILL of a worker process in the middle of the overdue scan, the portal sync and
the webhook relay, then the job run again — the scenarios of tests/apologies/
test_scan_processes.py, tests/portal/test_sync.py and tests/webhooks/test_relay_crash.py at a
larger size.

    python bench/drills/sigkill.py scan|sync|webhooks [--size N]

Each runs `python -m services.cli run-job …` (what the worker runs) as a separate process,
kills it with SIGKILL once part of the work is visible, expires the killed run's lease, runs
the job again to the end, and counts.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.common import free_port, recreate_database
from bench.drills.common import (
    AGENCY,
    PROCEDURE,
    Result,
    expected_portal_keys,
    guard,
    log,
    mock_received,
    portal_token,
    process,
    run_async,
    seed_reference,
    start_portal_mock,
    sync_state,
    uvicorn,
    wait_http,
)


def job(name: str) -> list[str]:
    return [sys.executable, "-m", "services.cli", "run-job", name]


def kill_midway(
    drill: str,
    name: str,
    env: dict[str, str],
    progress: Callable[[], int],
    at: int,
    total: int,
    result: Result,
) -> None:
    run = subprocess.Popen(
        job(name), env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while progress() < at:
        if run.poll() is not None:
            raise RuntimeError(f"{name} ended before the kill: {run.stderr.read().decode()[-800:]}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            run.kill()
            raise RuntimeError(f"{name} made no progress in 60 s")
        time.sleep(0.02)
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=10)
    at_kill = progress()
    log(drill, f"SIGKILL at {at_kill}/{total}")
    result.notes.append(f"SIGKILL of `run-job {name}` with {at_kill}/{total} done")
    result.check(0 < at_kill < total, "the kill did not land mid-run")


def rerun(name: str, env: dict[str, str], result: Result) -> None:
    again = subprocess.run(
        job(name),
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    result.check(again.returncode == 0, f"the rerun failed: {again.stderr[-800:]}")
    result.notes.append(f"rerun: {again.stdout.strip()[-200:]}")


async def sql_scalar(sql: str) -> int:
    from sqlalchemy import text

    from services.core.db import get_engine

    async with get_engine().begin() as conn:
        return int((await conn.execute(text(sql))).scalar() or 0)


# --------------------------------------------------------------- overdue scan
async def seed_overdue(count: int) -> None:
    from services.core.clock import utcnow
    from services.core.db import get_engine
    from services.demo import insert_dossiers

    await seed_reference()
    now = utcnow()
    async with get_engine().begin() as conn:
        await insert_dossiers(
            conn,
            agency=AGENCY,
            procedure=PROCEDURE,
            prefix="K-",
            first=1,
            last=count,
            received_at=now - timedelta(days=9),
            due_at=now - timedelta(hours=2),
        )


async def scan_counts() -> dict[str, tuple[int, int]]:
    from sqlalchemy import text

    from services.core.db import get_engine

    async with get_engine().connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT 'apologies', count(*), count(DISTINCT dossier_id) FROM apologies UNION ALL "
                "SELECT event_type, count(*), count(DISTINCT subject) FROM outbox_events "
                "WHERE event_type IN ('apology.drafted', 'dossier.overdue') GROUP BY event_type"
            )
        )
        return {str(k): (int(t), int(d)) for k, t, d in rows}


def drill_scan(size: int) -> Result:
    name = "sigkill-scan"
    result = Result(name, size, 0, 0, 0)
    url = recreate_database("motcua_drill_scan")
    os.environ.update(MOTCUA_DATABASE_URL=url, MOTCUA_LOG_LEVEL="WARNING")
    log(name, f"seeding {size:,} overdue dossiers")
    run_async(seed_overdue(size))
    kill_midway(
        name,
        "overdue-scan",
        {"MOTCUA_OVERDUE_SCAN_BATCH_SIZE": "50"},
        lambda: run_async(sql_scalar("SELECT count(*) FROM apologies")),
        size // 10,
        size,
        result,
    )
    rerun("overdue-scan", {"MOTCUA_OVERDUE_SCAN_BATCH_SIZE": "500"}, result)
    counts = run_async(scan_counts())
    total, distinct = counts.get("apologies", (0, 0))
    result.received = total
    result.lost = size - distinct
    result.duplicated = sum(t - d for t, d in counts.values())
    for kind in ("apology.drafted", "dossier.overdue"):
        t, d = counts.get(kind, (0, 0))
        result.notes.append(f"{kind} events: {t} for {d} dossiers")
        result.check(d == size, f"{kind}: {d} dossiers of {size}")
    return result


# --------------------------------------------------------------- portal sync
def drill_sync(size: int) -> Result:
    from bench.portal_sync import seed as seed_changes

    name = "sigkill-sync"
    result = Result(name, size, 0, 0, 0)
    url = recreate_database("motcua_drill_sync")
    env = {"MOTCUA_DATABASE_URL": url, "MOTCUA_LOG_LEVEL": "WARNING"}
    os.environ.update(env)
    run_async(seed_changes(size))
    mock_cm, portal = start_portal_mock(
        env, Path(tempfile.gettempdir()) / "motcua-drill-sync-mock.log"
    )
    try:
        env.update(MOTCUA_PORTAL_URL=portal, MOTCUA_PORTAL_SYNC_BATCH_SIZE="20")
        auth = {"Authorization": f"Bearer {portal_token(portal)}"}
        httpx.post(
            f"{portal}/_admin/faults", json={"fail_rate": 0, "latency_ms": 100}, headers=auth
        ).raise_for_status()
        kill_midway(
            name,
            "portal-sync",
            env,
            lambda: run_async(mock_received())[0],
            size // 10,
            size,
            result,
        )
        httpx.delete(f"{portal}/_admin/faults", headers=auth).raise_for_status()
        run_async(
            sql_scalar(  # the killed run's lease has expired
                "WITH u AS (UPDATE portal_sync_items SET next_attempt_at = now() "
                "WHERE status = 'pending' RETURNING 1) SELECT count(*) FROM u"
            )
        )
        rerun("portal-sync", env, result)
    finally:
        mock_cm.__exit__(None, None, None)
    expected = run_async(expected_portal_keys())
    rows, got = run_async(mock_received())
    result.sent, result.received = len(expected), rows
    result.lost = len(expected - got)
    result.duplicated = rows - len(got) + len(got - expected)
    state = run_async(sync_state())
    result.notes.append(f"sync items: {state}")
    result.check(set(state) == {"sent"}, f"sync items not all sent: {state}")
    return result


# ------------------------------------------------------------- webhook relay
def drill_webhooks(size: int) -> Result:
    from bench.portal_sync import seed as seed_changes
    from bench.webhook_delivery import subscribe

    name = "sigkill-webhooks"
    concurrency = 4
    result = Result(name, size, 0, 0, 0)
    url = recreate_database("motcua_drill_webhooks")
    received_log = Path(tempfile.gettempdir()) / "motcua-drill-webhooks-received.log"
    received_log.unlink(missing_ok=True)
    env = {
        "MOTCUA_DATABASE_URL": url,
        "MOTCUA_LOG_LEVEL": "WARNING",
        "MOTCUA_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        "MOTCUA_WEBHOOK_CONCURRENCY": str(concurrency),
        "MOTCUA_WEBHOOK_BATCH_SIZE": "20",
        "RECEIVER_LOG": str(received_log),
        "RECEIVER_DELAY_SECONDS": "0.02",
    }
    os.environ.update(env)
    run_async(seed_changes(size))
    port = free_port()
    with process(uvicorn("tests.webhooks.receiver:app", port), env) as receiver:
        wait_http(f"http://127.0.0.1:{port}/healthz", receiver)
        received_log.unlink(missing_ok=True)  # the readiness probe's line
        run_async(subscribe(f"http://127.0.0.1:{port}/hook"))

        def lines() -> int:
            return len(received_log.read_text().split()) if received_log.exists() else 0

        kill_midway(name, "webhook-delivery", env, lines, size // 10, size, result)
        run_async(
            sql_scalar(
                "WITH u AS (UPDATE webhook_deliveries SET next_attempt_at = now() "
                "WHERE state = 'pending' RETURNING 1) SELECT count(*) FROM u"
            )
        )
        rerun("webhook-delivery", env, result)
    ids = Counter(received_log.read_text().split())
    resent = sum(n - 1 for n in ids.values())
    result.received = sum(ids.values())
    result.lost = size - len(ids)
    # At-least-once under one webhook-id: a delivery in flight at the kill (its answer lost)
    # is sent again with the same id, and receivers de-duplicate on it. More than the
    # in-flight deliveries, or a second id for one event, would be a duplicate.
    result.duplicated = max(0, resent - concurrency)
    delivered = run_async(
        sql_scalar("SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'")
    )
    deliveries = run_async(sql_scalar("SELECT count(*) FROM webhook_deliveries"))
    result.notes.append(
        f"{len(ids)} distinct webhook-ids; {resent} resent under the same id "
        f"(in flight at the kill, ≤ {concurrency}); deliveries "
        f"{delivered}/{deliveries} delivered"
    )
    result.check(
        deliveries == size and delivered == size,
        f"{deliveries} deliveries, {delivered} delivered, for {size} events",
    )
    return result


DRILLS = {
    "scan": (drill_scan, 20_000),
    "sync": (drill_sync, 2_000),
    "webhooks": (drill_webhooks, 1_000),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("which", choices=sorted(DRILLS))
    parser.add_argument("--size", type=int)
    args = parser.parse_args()
    guard()
    drill, size = DRILLS[args.which]
    drill(args.size or size).emit()


if __name__ == "__main__":
    main()
