"""Drill: Redis restarted with its data wiped while the worker runs.

    python bench/drills/redis_wipe.py [--before 120] [--after 120]

A scratch database, the mock portal and `arq services.worker.main.WorkerSettings`; portal-sync
is enqueued every second (besides the worker's own cron). Dossiers are received, Redis is shut
down without saving, its append-only files are deleted, it is started again empty (the command
of deploy/local/services.sh), more dossiers are received. Every change (dossier, version) must
reach the mock portal exactly once, and the worker must carry on without a restart.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.drills.common import (
    Poker,
    Result,
    ensure_redis_up,
    expected_portal_keys,
    guard,
    log,
    mock_received,
    process,
    receive_dossiers,
    redis_ping,
    redis_start,
    redis_stop_and_wipe,
    run_async,
    start_portal_drill,
    sync_state,
    wait_delivered,
    worker_command,
)

NAME = "redis-wipe"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=int, default=120, help="dossiers before the wipe")
    parser.add_argument("--after", type=int, default=120, help="dossiers after it")
    parser.add_argument(
        "--supervised",
        action="store_true",
        help="a worker that exits is restarted and that is not a failure",
    )
    args = parser.parse_args()
    guard()
    env, logs, mock_cm, _ = start_portal_drill("motcua_drill_redis", "redis")
    result = Result(NAME, 0, 0, 0, 0)
    try:
        with (
            process(worker_command(), env, logs / "motcua-drill-redis-worker.log") as worker,
            Poker("portal_sync") as poker,
        ):
            pid = worker.pid
            run_async(receive_dossiers(args.before, assign_every=3))
            time.sleep(2)
            _, got = run_async(mock_received())
            log(NAME, f"{len(got)} changes on the portal; SHUTDOWN NOSAVE + wipe + restart Redis")
            wiped = redis_stop_and_wipe()
            time.sleep(2)  # the worker and the poker find Redis gone
            redis_start()
            result.notes.append(f"Redis restarted empty ({wiped} append-only files deleted)")
            run_async(receive_dossiers(args.after, assign_every=3, first=args.before))
            expected = run_async(expected_portal_keys())
            got = wait_delivered(NAME, expected, 20, worker)
            alive = worker.poll() is None and worker.pid == pid
            result.notes.append(
                f"worker (pid {pid}) "
                + ("still running" if alive else f"EXITED with code {worker.returncode}")
                + " after the Redis restart"
            )
            if not alive:
                if not args.supervised:
                    result.failures.append(
                        f"the worker process exited (code {worker.returncode}) when Redis went "
                        "away; restarted it as systemd's Restart=on-failure would, to count losses"
                    )
                with process(
                    worker_command(), env, logs / "motcua-drill-redis-worker2.log"
                ) as again:
                    got = wait_delivered(NAME, expected, 60, again)
                    result.notes.append(
                        f"second worker (pid {again.pid}): "
                        f"{'running' if again.poll() is None else 'exited'}"
                    )
            result.notes.append(
                f"portal-sync enqueued {poker.enqueued}x, refused while Redis "
                f"was down {poker.refused}x"
            )
    finally:
        ensure_redis_up()
        mock_cm.__exit__(None, None, None)
    rows, got = run_async(mock_received())
    result.sent, result.received = len(expected), rows
    result.lost = len(expected - got)
    result.duplicated = rows - len(got) + len(got - expected)
    result.notes.append(f"sync items: {run_async(sync_state())}")
    result.check(redis_ping(), "Redis is not answering at the end")
    result.emit()


if __name__ == "__main__":
    main()
