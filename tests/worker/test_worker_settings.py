from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from services.worker.main import WorkerSettings
from tests.conftest import TEST_REDIS_URL


def test_worker_settings_pin_timezone_and_health_check() -> None:
    assert str(WorkerSettings.timezone) == "Asia/Ho_Chi_Minh"
    assert WorkerSettings.health_check_interval > 0
    assert WorkerSettings.redis_settings.port == int(TEST_REDIS_URL.split(":")[-1].split("/")[0])


def test_real_worker_passes_arq_check() -> None:
    env = {**os.environ}
    arq = [sys.executable, "-m", "arq", "services.worker.main.WorkerSettings"]
    worker = subprocess.Popen(arq, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            check = subprocess.run([*arq, "--check"], env=env, capture_output=True, check=False)
            if check.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        worker.send_signal(signal.SIGINT)
        worker.wait(timeout=20)


def test_every_job_is_on_a_schedule() -> None:
    from services.worker.main import JOBS

    scheduled = {job.coroutine.__name__ for job in WorkerSettings.cron_jobs}
    assert scheduled == {fn.__name__ for fn in JOBS.values()}


async def test_the_workers_redis_connection_waits_out_a_restart(tmp_path: Path) -> None:
    """The redis-wipe drill in miniature: Redis goes away and comes back empty 1.5 s later; a
    command issued meanwhile (on a connection that must be opened again) succeeds."""
    import asyncio
    import dataclasses
    import shutil
    import socket

    from arq import create_pool

    from services.worker.main import redis_settings

    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [
        server,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--dir",
        str(tmp_path),
    ]

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        time.sleep(0.3)
        return proc

    first = start()
    restarted: list[subprocess.Popen[bytes]] = []
    pool = await create_pool(
        dataclasses.replace(redis_settings(), host="127.0.0.1", port=port, database=0)
    )
    try:
        assert await pool.ping()
        first.send_signal(signal.SIGKILL)
        first.wait()
        # No connection left: the command must open one, the path where the worker used to die.
        await pool.connection_pool.disconnect()
        loop = asyncio.get_running_loop()
        loop.call_later(1.5, lambda: restarted.append(start()))
        assert await pool.set("motcua:probe", "1")  # retried until Redis is back
        assert restarted, "the command should have waited for the restart"
    finally:
        await pool.aclose()
        for proc in [first, *restarted]:
            proc.kill()
            proc.wait()


async def test_the_redis_retry_gives_up_after_its_deadline() -> None:
    """Counted in time, not attempts: nested retries (a command's around its reconnection's)
    cannot multiply into minutes."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from services.worker.main import OutageRetry

    attempts = 0

    async def refused() -> None:
        nonlocal attempts
        attempts += 1
        raise RedisConnectionError("refused")

    async def noop(error: Exception) -> None:
        return None

    started = time.monotonic()
    with pytest.raises(RedisConnectionError):
        await OutageRetry(0.5).call_with_retry(refused, noop)
    assert attempts > 1
    assert time.monotonic() - started < 0.5 + 2.5  # the deadline plus at most one backoff


async def test_a_connection_lost_while_claiming_a_job_does_not_end_the_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from arq.connections import create_pool
    from arq.worker import Worker
    from redis.exceptions import WatchError

    from services.worker.main import ping, redis_settings

    pool = await create_pool(redis_settings())
    # arq's own class, as `arq services.worker.main.WorkerSettings` builds it.
    worker = Worker(functions=[ping], redis_pool=pool, max_jobs=2)
    real_pipeline = pool.pipeline

    def lost_while_watching(*args: Any, **kwargs: Any) -> Any:
        pipe = real_pipeline(*args, **kwargs)

        async def watch(*names: Any) -> None:
            raise WatchError("A ConnectionError occurred on while watching one or more keys")

        pipe.watch = watch
        return pipe

    monkeypatch.setattr(pool, "pipeline", lost_while_watching)
    free_slots = worker.sem._value
    try:
        await worker.start_jobs([b"job-1", b"job-2"])  # unpatched, arq raises WatchError
        # The slot and the count taken for the job that was not claimed are given back.
        assert worker.job_counter == 0
        assert worker.sem._value == free_slots
        assert worker.tasks == {}
    finally:
        await pool.aclose()
