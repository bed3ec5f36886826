"""Drill: PostgreSQL restarted (pg_ctl -m fast) during a steady create load on the API.

    python bench/drills/pg_restart.py [--rate 20] [--before 8] [--down 8] [--after 10]

One uvicorn worker on a scratch database; clients send POST /api/v1/dossiers at a steady rate,
one Idempotency-Key per dossier, retrying a 503 or a connection error with the same key. While
the private cluster is stopped, the API must answer 503 problem+json with Retry-After; after it
comes back, the same API process must recover. Then: every 201 exists exactly once in the
database, every key produced exactly one dossier, and the codes of the day have no gap.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.common import BENCH_SECRET, free_port, recreate_database
from bench.drills.common import (
    AGENCY,
    PROCEDURE,
    Result,
    ensure_pg_up,
    guard,
    log,
    pg_start,
    pg_stop,
    process,
    run_async,
    seed_reference,
    uvicorn,
    wait_http,
)

NAME = "pg-restart"


async def make_key() -> str:
    from services.core.cli_support import command_session
    from services.identity import service as identity_service
    from services.identity.schemas import ApiKeyCreate

    await seed_reference()
    async with command_session() as session:
        _, key = await identity_service.create_api_key(
            session,
            ApiKeyCreate(
                name="drill", agency_code=AGENCY, scopes=["dossiers:read", "dossiers:write"]
            ),
        )
    return key


class Load:
    def __init__(self, url: str, key: str, rate: float, clients: int) -> None:
        self.url, self.key, self.rate, self.clients = url, key, rate, clients
        self.stop = False
        self.outage = False
        self.created: dict[str, str] = {}  # Idempotency-Key -> code of its 201
        self.sent_keys: list[str] = []
        self.statuses: Counter[str] = Counter()
        self.outage_statuses: Counter[str] = Counter()
        self.bad_503: list[str] = []
        self.unfinished: list[str] = []
        self.first_201_after_up: float | None = None
        self.up_at: float | None = None

    async def one(self, http: httpx.AsyncClient, n: int) -> None:
        key = f"drill-{uuid.uuid4()}"
        self.sent_keys.append(key)
        body = {
            "procedure_code": PROCEDURE,
            "channel": "in_person",
            "applicant": {"full_name": f"Người Diễn Tập {n}", "phone": "0912345689"},
        }
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                r = await http.post(
                    "/api/v1/dossiers",
                    json=body,
                    headers={"X-API-Key": self.key, "Idempotency-Key": key},
                )
            except httpx.TransportError as exc:
                label = f"conn:{type(exc).__name__}"
                self.statuses[label] += 1
                if self.outage:
                    self.outage_statuses[label] += 1
                await asyncio.sleep(0.5)
                continue
            self.statuses[str(r.status_code)] += 1
            if self.outage:
                self.outage_statuses[str(r.status_code)] += 1
            if r.status_code == 201:
                self.created[key] = r.json()["code"]
                if self.up_at is not None and self.first_201_after_up is None:
                    self.first_201_after_up = time.monotonic() - self.up_at
                return
            if r.status_code == 503:
                ctype = r.headers.get("content-type", "")
                if (
                    not ctype.startswith("application/problem+json")
                    or "retry-after" not in r.headers
                    or r.json().get("status") != 503
                ):
                    self.bad_503.append(f"{ctype} {dict(r.headers)} {r.text[:200]}")
                await asyncio.sleep(0.5)  # Retry-After says 5 s; a drill is impatient
                continue
            # Anything else is unexpected: note it and retry the same key once it settles.
            await asyncio.sleep(0.5)
        self.unfinished.append(key)

    async def client(self, http: httpx.AsyncClient, index: int) -> None:
        interval = self.clients / self.rate
        n = index
        inflight: set[asyncio.Task[None]] = set()
        next_at = time.monotonic()
        while not self.stop:
            task = asyncio.create_task(self.one(http, n))
            inflight.add(task)
            task.add_done_callback(inflight.discard)
            n += self.clients
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        if inflight:
            await asyncio.gather(*inflight)

    async def run(self, before: float, down: float, after: float) -> None:
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            clients = [asyncio.create_task(self.client(http, i)) for i in range(self.clients)]
            await asyncio.sleep(before)
            log(NAME, f"{len(self.created)} created; stopping PostgreSQL (pg_ctl -m fast)")
            self.outage = True
            await asyncio.to_thread(pg_stop)
            await asyncio.sleep(down)
            log(NAME, "starting PostgreSQL again")
            await asyncio.to_thread(pg_start)
            self.outage = False
            self.up_at = time.monotonic()
            await asyncio.sleep(after)
            self.stop = True
            await asyncio.gather(*clients)


async def verify(load: Load, result: Result) -> None:
    from sqlalchemy import text

    from services.core.db import get_engine

    async with get_engine().connect() as conn:
        codes = list((await conn.execute(text("SELECT code FROM dossiers"))).scalars())
        records = dict(
            (await conn.execute(text("SELECT key, response->>'code' FROM idempotency_records")))
            .tuples()
            .all()
        )
        counters = (
            await conn.execute(
                text("SELECT agency_code, day, last_value FROM dossier_code_counters")
            )
        ).all()
    per_code = Counter(codes)
    result.received = len(codes)
    created_codes = Counter(load.created.values())
    result.lost = sum(1 for c in load.created.values() if per_code[c] == 0)
    result.duplicated = sum(n - 1 for n in per_code.values() if n > 1) + sum(
        n - 1 for n in created_codes.values() if n > 1
    )
    result.check(not load.unfinished, f"{len(load.unfinished)} keys never got a 201 in 60 s")
    mismatched = [k for k, c in load.created.items() if records.get(k) != c]
    result.check(not mismatched, f"{len(mismatched)} keys whose stored answer differs")
    orphans = set(codes) - set(load.created.values())
    result.check(not orphans, f"{len(orphans)} dossiers no 201 answered for (orphans)")
    result.check(
        len(records) == len(load.sent_keys) == len(load.created),
        f"keys sent {len(load.sent_keys)}, remembered {len(records)}, "
        f"answered 201 {len(load.created)}",
    )
    by_prefix: dict[str, list[int]] = {}
    for code in codes:
        by_prefix.setdefault(code[:-4], []).append(int(code[-4:]))
    for prefix, numbers in by_prefix.items():
        numbers.sort()
        gap_free = numbers == list(range(1, len(numbers) + 1))
        result.check(
            gap_free,
            f"codes {prefix}NNNN are not 1..{len(numbers)} "
            f"(missing {sorted(set(range(1, max(numbers) + 1)) - set(numbers))[:10]})",
        )
        result.notes.append(
            f"codes {prefix}0001..{prefix}{len(numbers):04d}: {'gap-free' if gap_free else 'GAPS'}"
        )
    total_counter = sum(int(r.last_value) for r in counters)
    result.check(
        total_counter == len(codes), f"day counters say {total_counter}, dossiers {len(codes)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=20, help="new dossiers per second")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--before", type=float, default=8)
    parser.add_argument("--down", type=float, default=8)
    parser.add_argument("--after", type=float, default=10)
    args = parser.parse_args()
    guard()
    url = recreate_database("motcua_drill_pg")
    os.environ.update(
        MOTCUA_DATABASE_URL=url, MOTCUA_SECRET_KEY=BENCH_SECRET, MOTCUA_LOG_LEVEL="WARNING"
    )
    key = run_async(make_key())
    port = free_port()
    env = {
        "MOTCUA_DATABASE_URL": url,
        "MOTCUA_SECRET_KEY": BENCH_SECRET,
        "MOTCUA_ENV": "production",
        "MOTCUA_LOG_LEVEL": "WARNING",
    }
    result = Result(NAME, 0, 0, 0, 0)
    log_path = Path(tempfile.gettempdir()) / "motcua-drill-pg-api.log"
    try:
        with process(uvicorn("services.api.main:app", port), env, log_path) as api:
            api_url = f"http://127.0.0.1:{port}"
            wait_http(f"{api_url}/docs", api)
            pid = api.pid
            load = Load(api_url, key, args.rate, args.clients)
            asyncio.run(load.run(args.before, args.down, args.after))
            result.check(
                api.poll() is None and api.pid == pid, "the API process did not survive the outage"
            )
            probe = httpx.get(f"{api_url}/readyz", timeout=5)
            result.notes.append(
                f"after the drill, same API process (pid {pid}): /readyz {probe.status_code}"
            )
    finally:
        ensure_pg_up()
    result.sent = len(load.sent_keys)
    result.notes.append(f"answers: {dict(sorted(load.statuses.items()))}")
    result.notes.append(
        f"answers while PostgreSQL was down: {dict(sorted(load.outage_statuses.items()))}"
    )
    if load.first_201_after_up is not None:
        result.notes.append(
            f"first 201 {load.first_201_after_up:.2f} s after pg_ctl start returned"
        )
    result.check(load.outage_statuses.get("503", 0) > 0, "no 503 while PostgreSQL was down")
    result.check(
        not load.bad_503,
        f"{len(load.bad_503)} 503s not problem+json with Retry-After: {load.bad_503[:1]}",
    )
    odd = {s: n for s, n in load.statuses.items() if s not in ("201", "503")}
    result.check(not odd, f"unexpected answers: {odd}")
    result.check(load.first_201_after_up is not None, "no 201 after PostgreSQL came back")
    run_async(verify(load, result))
    result.emit()


if __name__ == "__main__":
    main()
