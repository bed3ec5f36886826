"""Runs the fault drills against the private services of deploy/local/services.sh and prints
one table: drill, sent, received/stored, lost, duplicated, verdict.

    make drills                              # or: python bench/drills/run.py [NAME ...]
    python bench/drills/run.py pg-restart    # one drill by name

Drills: pg-restart, redis-wipe, portal-down, sigkill-scan, sigkill-sync, sigkill-webhooks.
Each runs as its own process (at most 150 s); the exit status is non-zero if any drill lost or
duplicated anything or failed a check. The private PostgreSQL and Redis are left running.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.common import machine, print_table
from bench.drills.common import (
    RESULT_PREFIX,
    ROOT,
    ensure_pg_up,
    ensure_redis_up,
    guard,
)

HERE = Path(__file__).resolve().parent
DRILLS: dict[str, list[str]] = {
    "pg-restart": [str(HERE / "pg_restart.py")],
    "redis-wipe": [str(HERE / "redis_wipe.py")],
    "portal-down": [str(HERE / "portal_down.py")],
    "sigkill-scan": [str(HERE / "sigkill.py"), "scan"],
    "sigkill-sync": [str(HERE / "sigkill.py"), "sync"],
    "sigkill-webhooks": [str(HERE / "sigkill.py"), "webhooks"],
}


def run_one(name: str) -> tuple[list[object], bool, list[str]]:
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, *DRILLS[name]],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            timeout=150,
            check=False,
        )
        out = proc.stdout
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        out += "\n"
    finally:
        ensure_pg_up()
        ensure_redis_up()
    elapsed = f"{time.monotonic() - started:.0f} s"
    for line in out.splitlines():
        if line.startswith(RESULT_PREFIX):
            r = json.loads(line[len(RESULT_PREFIX) :])
            verdict = "PASS" if r["ok"] else "FAIL"
            return (
                [name, r["sent"], r["received"], r["lost"], r["duplicated"], elapsed, verdict],
                r["ok"],
                r["failures"],
            )
    return [name, "-", "-", "-", "-", elapsed, "ERROR"], False, ["no result (crash or timeout)"]


def main() -> None:
    names = sys.argv[1:] or list(DRILLS)
    unknown = [n for n in names if n not in DRILLS]
    if unknown:
        sys.exit(f"drills: unknown {unknown}; choose from {', '.join(DRILLS)}")
    guard()
    rows, failures, all_ok = [], [], True
    for name in names:
        print(f"== {name}", file=sys.stderr, flush=True)
        row, ok, why = run_one(name)
        rows.append(row)
        all_ok &= ok
        failures += [f"{name}: {w}" for w in why]
    print(f"\nmachine: {machine()}\n")
    print_table(["drill", "sent", "received/stored", "lost", "duplicated", "time", "verdict"], rows)
    for failure in failures:
        print(f"  - {failure}")
    sys.exit(0 if all_ok else 1)


if __name__ == "__main__":
    main()
