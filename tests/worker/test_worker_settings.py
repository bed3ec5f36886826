from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

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
