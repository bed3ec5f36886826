"""Drill: the national portal down for a while.

    python bench/drills/portal_down.py [--down 20] [--dossiers 150]

A scratch database, the mock portal and the worker (portal-sync enqueued every second, retry
back-off shortened to 0.5–2 s so that the drill fits in a minute). The mock is told to fail
every call (`POST /_admin/faults {"fail_rate": 1, "status": 503}`) for ``--down`` seconds while
dossiers are received and assigned; then the faults are cleared. Every change (dossier,
version) must reach the portal exactly once.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.drills.common import (
    Poker,
    Result,
    expected_portal_keys,
    guard,
    log,
    mock_received,
    portal_token,
    process,
    receive_dossiers,
    run_async,
    start_portal_drill,
    sync_state,
    wait_delivered,
    worker_command,
)

NAME = "portal-down"


async def attempts() -> tuple[int, int]:
    from sqlalchemy import text

    from services.core.db import get_engine

    async with get_engine().connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT count(*), count(*) FILTER (WHERE message LIKE '%503%') "
                    "FROM portal_attempts"
                )
            )
        ).one()
    return int(row[0]), int(row[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--down", type=float, default=20)
    parser.add_argument("--dossiers", type=int, default=150)
    args = parser.parse_args()
    guard()
    # 8 attempts take ~21 min with the production back-off (5 s doubling); with the drill's
    # 0.5-2 s one they would pass in 15 s and park items as `failed`.
    env, logs, mock_cm, portal = start_portal_drill(
        "motcua_drill_portal", "portal", MOTCUA_PORTAL_FAILED_AFTER_ATTEMPTS="1000"
    )
    result = Result(NAME, 0, 0, 0, 0)
    auth = {"Authorization": f"Bearer {portal_token(portal)}"}
    try:
        with (
            process(worker_command(), env, logs / "motcua-drill-portal-worker.log") as worker,
            Poker("portal_sync") as poker,
        ):
            run_async(receive_dossiers(20, assign_every=2))
            time.sleep(3)
            _, before = run_async(mock_received())
            httpx.post(
                f"{portal}/_admin/faults", json={"fail_rate": 1, "status": 503}, headers=auth
            ).raise_for_status()
            log(NAME, f"{len(before)} changes on the portal; portal DOWN for {args.down:.0f} s")
            down_at = time.monotonic()
            done = threading.Event()
            creator = threading.Thread(
                target=lambda: (
                    run_async(receive_dossiers(args.dossiers, assign_every=2, first=20)),
                    done.set(),
                )
            )
            creator.start()
            creator.join()
            time.sleep(max(0.0, args.down - (time.monotonic() - down_at)))
            _, during = run_async(mock_received())
            tried, refused = run_async(attempts())
            httpx.delete(f"{portal}/_admin/faults", headers=auth).raise_for_status()
            log(NAME, "portal back up")
            result.notes.append(
                f"while down: {len(during) - len(before)} new changes accepted "
                f"(must be 0), {refused} attempts refused with 503"
            )
            result.check(len(during) == len(before), "the mock accepted records while failing")
            result.check(refused > 0, "the worker did not try the portal while it was down")
            expected = run_async(expected_portal_keys())
            up_at = time.monotonic()
            got = wait_delivered(NAME, expected, 60, worker)
            result.notes.append(
                f"all delivered {time.monotonic() - up_at:.1f} s after the "
                f"portal came back; portal-sync enqueued {poker.enqueued}x"
            )
            result.check(worker.poll() is None, "the worker exited")
    finally:
        mock_cm.__exit__(None, None, None)
    rows, got = run_async(mock_received())
    result.sent, result.received = len(expected), rows
    result.lost = len(expected - got)
    result.duplicated = rows - len(got) + len(got - expected)
    state = run_async(sync_state())
    result.notes.append(f"sync items: {state}; portal attempts recorded: {tried}")
    result.check(set(state) == {"sent"}, f"sync items not all sent: {state}")
    result.emit()


if __name__ == "__main__":
    main()
