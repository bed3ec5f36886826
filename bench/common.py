"""Shared plumbing of the benchmark scripts: a scratch database, processes, wrk, tables."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BENCH_SECRET = "bench-secret-key-0123456789-0123456789-abcdef"


def base_url() -> str:
    url = os.environ.get("MOTCUA_DATABASE_URL")
    if not url:
        sys.exit("bench: run through `make bench` (or export MOTCUA_DATABASE_URL/MOTCUA_REDIS_URL)")
    return url


def database_url(name: str) -> str:
    return make_url(base_url()).set(database=name).render_as_string(hide_password=False)


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def recreate_database(name: str) -> str:
    """Drops and recreates ``name`` on the configured server and migrates it; returns its URL."""

    async def run() -> None:
        conn = await asyncpg.connect(asyncpg_dsn(base_url()))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(run())
    url = database_url(name)
    subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "MOTCUA_DATABASE_URL": url},
        capture_output=True,
    )
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def uvicorn_command(app: str, port: int, workers: int = 1) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def marriage_procedure(code: str) -> Any:
    """The procedure every benchmark and drill receives dossiers for (3 working days)."""
    from decimal import Decimal

    from services.calendar.workingtime import TimeUnit
    from services.procedures.models import Procedure, SectorGroup

    return Procedure(
        code=code,
        name="Xác nhận tình trạng hôn nhân",
        name_folded="xac nhan tinh trang hon nhan",
        sector_code="ho-tich",
        sector_name="Hộ tịch",
        sector_group=SectorGroup.CIVIL_STATUS,
        time_limit_value=Decimal(3),
        time_limit_unit=TimeUnit.WORKING_DAYS,
    )


@contextmanager
def server(app: str, workers: int, env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        uvicorn_command(app, port, workers),
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/docs", timeout=1).status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"{app} did not start: {err[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0:
        print("bench: installing wrk (Debian package)...", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-q"], check=False, capture_output=True)
            subprocess.run(
                ["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True
            )
        found = shutil.which("wrk")
    if not found:
        sys.exit("bench: wrk is required (apt-get install wrk)")
    return found


def _lua(
    method: str,
    body: str | None,
    headers: dict[str, str],
    paths: Sequence[str],
    bodies: Sequence[str] = (),
    unique_header: str | None = None,
) -> str:
    lines = [f'wrk.method = "{method}"']
    if body is not None:
        lines.append(f"wrk.body = [[{body}]]")
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    if unique_header:
        # A value never sent before (an Idempotency-Key): this run's prefix and a counter.
        lines += [
            f'local run, n = "{os.urandom(6).hex()}", 0',
            "request = function()",
            "  n = n + 1",
            f'  wrk.headers["{unique_header}"] = run .. "-" .. n',
            "  return wrk.format()",
            "end",
        ]
    if bodies:
        quoted = ", ".join(f"[[{b}]]" for b in bodies)
        lines += [
            f"local bodies = {{{quoted}}}",
            "local i = 0",
            "request = function()",
            "  i = i % #bodies + 1",
            "  return wrk.format(nil, nil, nil, bodies[i])",
            "end",
        ]
    if paths:
        quoted = ", ".join(f'"{p}"' for p in paths)
        lines += [
            f"local paths = {{{quoted}}}",
            "local i = 0",
            "request = function()",
            "  i = i % #paths + 1",
            "  return wrk.format(nil, paths[i])",
            "end",
        ]
    return "\n".join(lines) + "\n"


def wrk(
    url: str,
    method: str = "GET",
    body: str | None = None,
    headers: dict[str, str] | None = None,
    paths: Sequence[str] = (),
    bodies: Sequence[str] = (),
    seconds: int = 10,
    connections: int = 32,
    unique_header: str | None = None,
) -> dict[str, float]:
    """Runs wrk and returns req/s, p50 and p99 in milliseconds, and the non-2xx count."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(method, body, headers or {}, paths, bodies, unique_header))
    try:
        out = subprocess.run(
            [
                ensure_wrk(),
                "-t1",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for n, row in enumerate(cells):
        print(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {sys.version.split()[0]}"


def reset_app_state() -> None:
    """Forget cached settings and engine: each asyncio.run() needs its own, and the
    environment may have changed since (a server's URL)."""
    from services.core import db, redis
    from services.core.settings import get_settings

    for cached in (get_settings, db.get_engine, db.get_sessionmaker, redis.get_redis):
        cached.cache_clear()
