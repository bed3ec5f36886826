"""Benchmark: dossier create and public lookup through the API, next to a bare FastAPI+asyncpg
insert/select measured in the same run, with 1 and 2 uvicorn workers.

    make bench-api   # or: python bench/dossier_api.py [--seconds 5] [--rounds 3] [--connections N]

Targets (issue: dossier core): create ≥ 0.6× the bare insert, lookup ≥ 0.8× the bare select.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    BENCH_SECRET,
    asyncpg_dsn,
    ensure_wrk,
    machine,
    marriage_procedure,
    print_table,
    recreate_database,
    server,
    wrk,
)

AGENCY, PROCEDURE = "000.00.31.H56", "1.004873"


SPREAD = [f"000.00.{n:02d}.H57" for n in range(20)]


async def seed(url: str, lookups: int) -> tuple[str, list[str], str]:
    """Agencies, procedure, an API key, an admin token and ``lookups`` dossiers."""
    os.environ.update(MOTCUA_DATABASE_URL=url, MOTCUA_SECRET_KEY=BENCH_SECRET)
    from services.core.cli_support import command_session
    from services.core.clock import utcnow
    from services.core.security import lookup_token
    from services.core.settings import get_settings
    from services.dossiers import service as dossier_service
    from services.dossiers.schemas import ApplicantIn, DossierCreate
    from services.identity import service as identity_service
    from services.identity.models import Agency, AgencyLevel, Role
    from services.identity.principal import Principal
    from services.identity.schemas import ApiKeyCreate, UserCreate

    async with command_session() as session:
        session.add(Agency(code=AGENCY, name="UBND xã Bench", level=AgencyLevel.COMMUNE))
        for code in SPREAD:
            session.add(Agency(code=code, name=f"UBND xã {code}", level=AgencyLevel.COMMUNE))
        session.add(marriage_procedure(PROCEDURE))
        await session.flush()
        api_key, key = await identity_service.create_api_key(
            session,
            ApiKeyCreate(
                name="bench", agency_code=AGENCY, scopes=["dossiers:read", "dossiers:write"]
            ),
        )
        admin = Principal(
            kind="user", id=api_key.id, name="bench", agency_code=AGENCY, role=Role.ADMIN
        )
        paths = []
        settings = get_settings()
        for _ in range(lookups):
            data = DossierCreate(
                procedure_code=PROCEDURE,
                channel="in_person",  # type: ignore[arg-type]
                applicant=ApplicantIn(full_name="Nguyễn Văn Bench"),
            )
            dossier, _ = await dossier_service.create(session, admin, data, utcnow(), settings)
            paths.append(
                f"/api/v1/public/dossiers/{dossier.code}?token="
                f"{lookup_token(settings, dossier.code)}"
            )
        admin = await identity_service.create_user(
            session,
            UserCreate(
                username="bench-admin",
                password="Khong-doan-duoc-2026",
                full_name="Bench",
                role=Role.ADMIN,
                agency_code=AGENCY,
            ),
        )
        token, _ = identity_service.issue_token(settings, admin)
    return key, paths, token


class ReceptionStatement:
    """The reception statement and its parameters exactly as the API hands them to asyncpg,
    captured from one reception of the seed."""

    sql = ""
    args: tuple[object, ...] = ()

    @classmethod
    def listen(cls) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        @event.listens_for(Engine, "before_cursor_execute")
        def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            if "dossier_code_counters" in statement:
                cls.sql, cls.args = statement, tuple(parameters)


async def statement_rate(
    url: str, sql: str, args: tuple[object, ...], connections: int, seconds: float
) -> float:
    """Statements per second on ``connections`` asyncpg connections in autocommit: what the
    database alone sustains, with no web framework in front."""
    import time

    import asyncpg

    pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=connections, max_size=connections)
    done = 0
    stop = time.monotonic() + seconds

    async def client() -> None:
        nonlocal done
        async with pool.acquire() as conn:
            statement = await conn.prepare(sql)
            while time.monotonic() < stop:
                await statement.fetchrow(*args)
                done += 1

    try:
        await asyncio.gather(*(client() for _ in range(connections)))
    finally:
        await pool.close()
    return done / seconds


def database_alone(url: str, seconds: float) -> list[list[object]]:
    bare = (
        "INSERT INTO bare_dossiers (procedure_code, channel, applicant_name, applicant_phone) "
        "VALUES ($1, $2, $3, $4) RETURNING id, created_at",
        (PROCEDURE, "in_person", "Nguyễn Văn Bench", "0912345689"),
    )
    # The reception statement with one document, and with a group of 16 as the API sends
    # under load (services/dossiers/numbering.py).
    one = str(ReceptionStatement.args[0])[1:-1]
    rows: list[list[object]] = []
    for name, (sql, args), size in (
        ("reception, 1 per statement", (ReceptionStatement.sql, (f"[{one}]",)), 1),
        (
            "reception, 16 per statement",
            (ReceptionStatement.sql, (f"[{','.join([one] * 16)}]",)),
            16,
        ),
        ("bare insert", bare, 1),
    ):
        for connections in (1, 4, 32):
            rate = asyncio.run(statement_rate(url, sql, args, connections, seconds))
            rows.append([name, connections, f"{rate:.0f}", f"{rate * size:.0f}"])
    return rows


async def checkpoint(url: str) -> None:
    """Flushes what earlier runs wrote, so that no run pays for another's writes (needs a
    superuser, as the project's own PostgreSQL has; otherwise skipped)."""
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("CHECKPOINT")
    except asyncpg.InsufficientPrivilegeError:
        pass
    finally:
        await conn.close()


async def create_bare_table(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS bare_dossiers (id bigint generated always as identity "
            "primary key, procedure_code text, channel text, applicant_name text, "
            "applicant_phone text, created_at timestamptz default now())"
        )
        await conn.execute(
            "INSERT INTO bare_dossiers (procedure_code, channel, applicant_name) "
            "SELECT '1.004873', 'in_person', 'x' FROM generate_series(1, 200)"
        )
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5, help="per run")
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of each request; medians are reported"
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    ensure_wrk()
    url = recreate_database("motcua_bench_api")
    asyncio.run(create_bare_table(url))
    ReceptionStatement.listen()
    key, lookup_paths, admin_token = asyncio.run(seed(url, 200))
    # The database's own ceiling, before any server runs: the gap-free per-day counter holds
    # its row lock until the reception commits, so one agency's receptions queue up there.
    alone = database_alone(url, args.seconds)
    env = {
        "MOTCUA_DATABASE_URL": url,
        "MOTCUA_SECRET_KEY": BENCH_SECRET,
        "MOTCUA_ENV": "production",
        "MOTCUA_LOG_LEVEL": "WARNING",
        # The limiter still runs (one Redis round trip per request); it just never trips.
        "MOTCUA_PUBLIC_RATE_LIMIT_PER_MINUTE": "100000000",
        "BENCH_BARE_DSN": asyncpg_dsn(url),
    }
    body = json.dumps(
        {
            "procedure_code": PROCEDURE,
            "channel": "in_person",
            "applicant": {"full_name": "Nguyễn Văn Bench", "phone": "0912345689"},
        }
    )
    json_headers = {"Content-Type": "application/json"}
    rows = []
    for workers in (int(w) for w in args.workers.split(",")):
        with (
            server("services.api.main:app", workers, env) as api,
            server("bench.bare_app:app", workers, env) as bare,
        ):
            # One second of each request first, for both apps alike: the first requests pay for
            # lazily built routes, caches and pool connections, which a long run amortises.
            for target, paths, method, send, headers in (
                (api, lookup_paths, "GET", None, {}),
                (bare, [f"/bare/dossiers/{i}" for i in range(1, 201)], "GET", None, {}),
                (f"{api}/api/v1/dossiers", [], "POST", body, {**json_headers, "X-API-Key": key}),
                (f"{bare}/bare/dossiers", [], "POST", body, json_headers),
            ):
                wrk(target, method, send, headers, paths=paths, seconds=1)
            receive = partial(
                wrk,
                f"{api}/api/v1/dossiers",
                "POST",
                body,
                {**json_headers, "X-API-Key": key},
                seconds=args.seconds,
                connections=args.connections,
            )
            runs: dict[tuple[str, str], Callable[[], dict[str, float]]] = {
                ("create", "api"): receive,
                ("create", "bare"): lambda: wrk(
                    f"{bare}/bare/dossiers",
                    "POST",
                    body,
                    json_headers,
                    seconds=args.seconds,
                    connections=args.connections,
                ),
                # Each with its own Idempotency-Key, as integrators send them.
                ("create-key", "api"): partial(receive, unique_header="Idempotency-Key"),
                # Receptions spread over 20 agencies, as a province's are: the per-day counter
                # that keeps codes gap-free only serialises receptions of the same agency.
                ("create-20", "api"): lambda: wrk(
                    f"{api}/api/v1/dossiers",
                    "POST",
                    None,
                    {**json_headers, "Authorization": f"Bearer {admin_token}"},
                    bodies=[
                        json.dumps({**json.loads(body), "receiving_agency_code": code})
                        for code in SPREAD
                    ],
                    seconds=args.seconds,
                    connections=args.connections,
                ),
                ("lookup", "api"): lambda: wrk(
                    api, paths=lookup_paths, seconds=args.seconds, connections=args.connections
                ),
                ("lookup", "bare"): lambda: wrk(
                    bare,
                    paths=[f"/bare/dossiers/{i}" for i in range(1, 201)],
                    seconds=args.seconds,
                    connections=args.connections,
                ),
            }
            # Rounds of every run, ours and the bare app's one after the other: a machine that
            # slows down or speeds up during the benchmark shifts both sides of a round alike.
            # Each round starts from a checkpoint with the reads, and the pair's order swaps
            # every round: the creates' writes are flushed in the background for a while after
            # them, and whichever side ran first in that wake lost up to a fifth of its req/s.
            measured: dict[tuple[str, str], list[dict[str, float]]] = {k: [] for k in runs}
            for n in range(args.rounds):
                asyncio.run(checkpoint(url))
                for op in ("lookup", "create", "create-key", "create-20"):
                    sides = [side for side in ("api", "bare") if (op, side) in runs]
                    for side in sides if n % 2 == 0 else sides[::-1]:
                        measured[(op, side)].append(runs[(op, side)]())
        for op, target in (
            ("create", 0.6),
            ("create-key", 0.6),
            ("create-20", 0.6),
            ("lookup", 0.8),
        ):
            ours = measured[(op, "api")]
            base = measured[("create" if op.startswith("create") else op, "bare")]
            ratio = median(o["rps"] / b["rps"] for o, b in zip(ours, base, strict=True))
            rows.append(
                [
                    op,
                    workers,
                    f"{median(o['rps'] for o in ours):.0f}",
                    f"{median(b['rps'] for b in base):.0f}",
                    f"{ratio:.2f}",
                    f"≥ {target}",
                    "yes" if ratio >= target else "NO",
                    f"{median(o['p50'] for o in ours):.1f}/{median(o['p99'] for o in ours):.1f}",
                    f"{median(b['p50'] for b in base):.1f}/{median(b['p99'] for b in base):.1f}",
                    int(sum(o["errors"] for o in ours) + sum(b["errors"] for b in base)),
                ]
            )
    print(
        f"\nmachine: {machine()}; wrk 1 thread, {args.connections} connections, "
        f"{args.rounds} rounds of {args.seconds} s per run, medians\n"
    )
    print_table(
        [
            "operation",
            "workers",
            "api req/s",
            "bare req/s",
            "ratio",
            "target",
            "met",
            "api p50/p99 ms",
            "bare p50/p99 ms",
            "non-2xx",
        ],
        rows,
    )
    print(f"\nThe database alone (asyncpg, autocommit, {args.seconds} s per row):\n")
    print_table(["statement", "connections", "statements/s", "rows/s"], alone)


if __name__ == "__main__":
    main()
