"""Plumbing shared by the fault drills: the safety guard, restarting the private PostgreSQL and
Redis the way deploy/local/services.sh runs them, seeding, and the result line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    free_port,
    marriage_procedure,
    recreate_database,
    uvicorn_command,
)

LOCAL_DIR = Path(os.environ.get("MOTCUA_LOCAL_DIR", ROOT / ".local"))
PG_DATA = LOCAL_DIR / "pg" / "data"
PG_LOGFILE = LOCAL_DIR / "pg" / "log" / "postgresql.log"
REDIS_DIR = LOCAL_DIR / "redis"
PG_PORT = int(os.environ.get("MOTCUA_LOCAL_PG_PORT", "55432"))
REDIS_PORT = int(os.environ.get("MOTCUA_LOCAL_REDIS_PORT", "56379"))
RESULT_PREFIX = "DRILL-RESULT "
AGENCY, PROCEDURE = "000.00.31.H56", "1.004873"


@dataclass
class Result:
    drill: str
    sent: int
    received: int
    lost: int
    duplicated: int
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and not self.failures

    def check(self, condition: bool, failure: str) -> None:
        if not condition:
            self.failures.append(failure)

    def emit(self) -> None:
        """Human lines on stderr, one machine line on stdout (read by run.py); exit status."""
        print(
            f"\n[{self.drill}] sent={self.sent} received/stored={self.received} "
            f"lost={self.lost} duplicated={self.duplicated}",
            file=sys.stderr,
        )
        for note in self.notes:
            print(f"[{self.drill}]   {note}", file=sys.stderr)
        for failure in self.failures:
            print(f"[{self.drill}]   FAIL: {failure}", file=sys.stderr)
        print(f"[{self.drill}] verdict: {'PASS' if self.ok else 'FAIL'}", file=sys.stderr)
        print(RESULT_PREFIX + json.dumps({**asdict(self), "ok": self.ok}), flush=True)
        sys.exit(0 if self.ok else 1)


def log(drill: str, message: str) -> None:
    print(f"[{drill}] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ the guard
def guard() -> None:
    """Refuses to run unless both URLs point at the private services of services.sh."""
    db = os.environ.get("MOTCUA_DATABASE_URL", "")
    rd = os.environ.get("MOTCUA_REDIS_URL", "")
    if not db or not rd:
        sys.exit(
            'drills: export the private services first: eval "$(deploy/local/services.sh env)"'
        )
    url = make_url(db)
    if url.host != "127.0.0.1" or url.port != PG_PORT:
        sys.exit(
            f"drills: refusing to run: MOTCUA_DATABASE_URL is {url.host}:{url.port}, not the "
            f"private cluster 127.0.0.1:{PG_PORT} of deploy/local/services.sh "
            "(the drills stop and restart PostgreSQL)"
        )
    r = urlsplit(rd)
    if r.hostname != "127.0.0.1" or r.port != REDIS_PORT:
        sys.exit(
            f"drills: refusing to run: MOTCUA_REDIS_URL is {r.hostname}:{r.port}, not the "
            f"private Redis 127.0.0.1:{REDIS_PORT} (the drills wipe and restart Redis)"
        )
    if PG_PORT in (5432,) or REDIS_PORT in (6379,):
        sys.exit("drills: refusing to run against the default system ports 5432/6379")
    pid_file = PG_DATA / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except OSError:
        sys.exit(f"drills: refusing to run: no running private cluster ({pid_file} missing)")
    if len(lines) < 4 or lines[3].strip() != str(PG_PORT):
        sys.exit(f"drills: refusing to run: the cluster in {PG_DATA} does not listen on {PG_PORT}")
    if not (REDIS_DIR / "redis.pid").exists():
        sys.exit(f"drills: refusing to run: no private Redis ({REDIS_DIR}/redis.pid missing)")


# --------------------------------------------------------------- PostgreSQL
def _pg_bin() -> Path:
    version = (PG_DATA / "PG_VERSION").read_text().strip()
    candidate = Path(f"/usr/lib/postgresql/{version}/bin")
    if (candidate / "pg_ctl").exists():
        return candidate
    found = shutil.which("pg_ctl")
    if not found:
        sys.exit("drills: pg_ctl not found")
    return Path(found).parent


def _as_pg(args: list[str]) -> list[str]:
    """As services.sh's as_pg: PostgreSQL runs as the owner of its data dir when we are root."""
    if os.geteuid() != 0:
        return args
    owner = pwd.getpwuid(PG_DATA.stat().st_uid).pw_name
    if shutil.which("runuser"):
        return ["runuser", "-u", owner, "--", *args]
    return ["setpriv", f"--reuid={owner}", f"--regid={owner}", "--init-groups", "--", *args]


def pg_stop() -> None:
    subprocess.run(
        _as_pg(
            [str(_pg_bin() / "pg_ctl"), "-D", str(PG_DATA), "-m", "fast", "-w", "-t", "60", "stop"]
        ),
        check=True,
        cwd=PG_DATA.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def pg_start() -> None:
    subprocess.run(
        _as_pg(
            [
                str(_pg_bin() / "pg_ctl"),
                "-D",
                str(PG_DATA),
                "-l",
                str(PG_LOGFILE),
                "-w",
                "-t",
                "60",
                "start",
            ]
        ),
        check=True,
        cwd=PG_DATA.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def pg_running() -> bool:
    isready = _pg_bin() / "pg_isready"
    return (
        subprocess.run(
            [
                str(isready),
                "-q",
                "-h",
                "127.0.0.1",
                "-p",
                str(PG_PORT),
                "-U",
                "motcua",
                "-d",
                "postgres",
            ],
            check=False,
        ).returncode
        == 0
    )


def ensure_pg_up() -> None:
    if not pg_running():
        with contextlib.suppress(subprocess.CalledProcessError):
            pg_start()
    for _ in range(150):
        if pg_running():
            return
        time.sleep(0.2)
    raise RuntimeError("private PostgreSQL did not come back")


# -------------------------------------------------------------------- Redis
def redis_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(REDIS_PORT), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def redis_ping() -> bool:
    return redis_cli("ping").stdout.strip() == "PONG"


def redis_start() -> None:
    """The very command of services.sh's redis_up."""
    subprocess.run(
        [
            "redis-server",
            "--port",
            str(REDIS_PORT),
            "--bind",
            "127.0.0.1",
            "--protected-mode",
            "yes",
            "--daemonize",
            "yes",
            "--dir",
            str(REDIS_DIR),
            "--pidfile",
            str(REDIS_DIR / "redis.pid"),
            "--logfile",
            str(REDIS_DIR / "redis.log"),
            "--save",
            "",
            "--appendonly",
            "yes",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (REDIS_DIR / "redis.port").write_text(f"{REDIS_PORT}\n")
    for _ in range(100):
        if redis_ping():
            return
        time.sleep(0.1)
    raise RuntimeError("private Redis did not come back")


def redis_stop_and_wipe() -> int:
    """SHUTDOWN NOSAVE, then delete the append-only files: returns how many were deleted."""
    pid_file = REDIS_DIR / "redis.pid"
    pid = int(pid_file.read_text().strip()) if pid_file.exists() else 0
    redis_cli("SHUTDOWN", "NOSAVE")
    for _ in range(150):
        if not pid or not Path(f"/proc/{pid}").exists():
            break
        time.sleep(0.1)
    wiped = 0
    aof = REDIS_DIR / "appendonlydir"
    if aof.is_dir():
        for f in aof.iterdir():
            f.unlink()
            wiped += 1
    for name in ("dump.rdb", "appendonly.aof"):
        if (REDIS_DIR / name).exists():
            (REDIS_DIR / name).unlink()
            wiped += 1
    pid_file.unlink(missing_ok=True)
    return wiped


def ensure_redis_up() -> None:
    if not redis_ping():
        redis_start()


# --------------------------------------------------------------- processes
@contextmanager
def process(
    args: list[str], env: dict[str, str], log_path: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    out = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(
        args, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if log_path:
            out.close()  # type: ignore[union-attr]


def uvicorn(app: str, port: int) -> list[str]:
    return uvicorn_command(app, port)


def wait_http(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def start_portal_mock(env: dict[str, str], log_path: Path | None = None) -> tuple[Any, str]:
    port = free_port()
    cm = process(uvicorn("services.portal_mock.main:app", port), env, log_path)
    proc = cm.__enter__()
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/healthz", proc)
    return cm, url


def start_portal_drill(
    database: str, name: str, **settings: str
) -> tuple[dict[str, str], Path, Any, str]:
    """A scratch database with the drill's agency and procedure, a mock portal, and the
    settings its worker runs with (portal back-off 0.5–2 s, plus ``settings``).

    Returns (env, the log folder, the mock's process, the mock's URL).
    """
    env = {
        "MOTCUA_DATABASE_URL": recreate_database(database),
        "MOTCUA_LOG_LEVEL": "WARNING",
        "MOTCUA_PORTAL_RETRY_BASE_SECONDS": "0.5",
        "MOTCUA_PORTAL_RETRY_MAX_SECONDS": "2",
        **settings,
    }
    os.environ.update(env)
    run_async(seed_reference())
    logs = Path(tempfile.gettempdir())
    mock_cm, portal = start_portal_mock(env, logs / f"motcua-drill-{name}-mock.log")
    env["MOTCUA_PORTAL_URL"] = portal
    os.environ["MOTCUA_PORTAL_URL"] = portal
    return env, logs, mock_cm, portal


def portal_token(url: str) -> str:
    from services.core.settings import get_settings

    s = get_settings()
    r = httpx.post(
        f"{url}/api/auth/token",
        json={"username": s.portal_username, "password": s.portal_password.get_secret_value()},
    )
    r.raise_for_status()
    return str(r.json()["session"])


# ---------------------------------------------------------------- seeding
async def seed_reference() -> None:
    """The drill agency and procedure (as bench/dossier_api.py's seed, without a key)."""
    from services.core.cli_support import command_session
    from services.identity.models import Agency, AgencyLevel

    async with command_session() as session:
        session.add(Agency(code=AGENCY, name="UBND xã Drill", level=AgencyLevel.COMMUNE))
        session.add(marriage_procedure(PROCEDURE))


def principal() -> Any:
    from services.identity.principal import Principal

    return Principal(
        kind="api_key",
        id=uuid.uuid4(),
        name="drill",
        agency_code=AGENCY,
        scopes=frozenset({"dossiers:write", "dossiers:read", "webhooks:manage"}),
    )


async def receive_dossiers(count: int, assign_every: int = 0, first: int = 0) -> int:
    """Receives ``count`` dossiers in-process (committed one by one, as the API would), every
    ``assign_every``-th one also assigned (a second version). Returns the changes made."""
    from services.core.clock import utcnow
    from services.core.db import get_sessionmaker
    from services.core.settings import get_settings
    from services.dossiers import service as dossier_service
    from services.dossiers.schemas import ApplicantIn, AssignIn, DossierCreate
    from services.dossiers.workflow import Action

    who = principal()
    changes = 0
    for n in range(first, first + count):
        async with get_sessionmaker()() as session, session.begin():
            dossier, _ = await dossier_service.create(
                session,
                who,
                DossierCreate(
                    procedure_code=PROCEDURE,
                    channel="in_person",  # type: ignore[arg-type]
                    applicant=ApplicantIn(full_name=f"Người Diễn Tập {n}"),
                ),
                utcnow(),
                get_settings(),
            )
            changes += 1
            if assign_every and n % assign_every == 0:
                await dossier_service.perform(
                    session, who, dossier, Action.ASSIGN, AssignIn(), utcnow(), get_settings()
                )
                changes += 1
    return changes


async def expected_portal_keys() -> set[str]:
    """One portal record per (dossier, version) ever written: code:vN for N in 1..version."""
    from sqlalchemy import text

    from services.core.db import get_engine

    async with get_engine().connect() as conn:
        rows = (await conn.execute(text("SELECT code, version FROM dossiers"))).all()
    return {f"{code}:v{v}" for code, version in rows for v in range(1, version + 1)}


async def mock_received() -> tuple[int, set[str]]:
    """(rows, distinct keys) of dossier records the mock portal stored."""
    from sqlalchemy import text

    from services.core.db import get_engine

    async with get_engine().connect() as conn:
        keys = (
            await conn.execute(
                text("SELECT idempotency_key FROM portal_mock_received WHERE kind = 'dossier'")
            )
        ).scalars()
        keys = list(keys)
    return len(keys), set(keys)


async def sync_state() -> dict[str, int]:
    from sqlalchemy import text

    from services.core.db import get_engine

    async with get_engine().connect() as conn:
        rows = await conn.execute(
            text("SELECT status::text, count(*) FROM portal_sync_items GROUP BY 1")
        )
        return {str(k): int(v) for k, v in rows.tuples().all()}


def run_async(coro: Any) -> Any:
    from bench.common import reset_app_state

    reset_app_state()

    async def wrapped() -> Any:
        from services.core.db import get_engine

        try:
            return await coro
        finally:
            await get_engine().dispose()

    return asyncio.run(wrapped())


# ------------------------------------------------------- worker + mock portal
class Poker:
    """Enqueues a job on the worker every ``interval`` seconds through arq (the cron ticks at
    :00 and :30 only), riding out a Redis that is down. Runs in its own thread."""

    def __init__(self, job: str, interval: float = 1.0) -> None:
        import threading

        self.job, self.interval = job, interval
        self.enqueued = self.refused = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        from arq import create_pool
        from arq.connections import RedisSettings

        settings = RedisSettings.from_dsn(os.environ["MOTCUA_REDIS_URL"])
        settings.conn_retries = 0
        pool = None
        while not self._stop.is_set():
            try:
                if pool is None:
                    pool = await create_pool(settings)
                await pool.enqueue_job(self.job)
                self.enqueued += 1
            except Exception:
                self.refused += 1
                if pool is not None:
                    with contextlib.suppress(Exception):
                        await pool.aclose()
                pool = None
            await asyncio.sleep(self.interval)
        if pool is not None:
            await pool.aclose()

    def __enter__(self) -> Poker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def worker_command() -> list[str]:
    return [str(Path(sys.executable).parent / "arq"), "services.worker.main.WorkerSettings"]


def wait_delivered(drill: str, expected: set[str], seconds: float, alive: Any = None) -> set[str]:
    deadline = time.monotonic() + seconds
    got: set[str] = set()
    while time.monotonic() < deadline:
        _, got = run_async(mock_received())
        if expected <= got:
            break
        if alive is not None and alive.poll() is not None:
            log(drill, f"the worker exited with {alive.returncode}")
            break
        time.sleep(1)
    return got
