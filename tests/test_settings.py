from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from services.core.settings import DEV_SECRET_KEY, Environment, Settings


def test_default_secret_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="MOTCUA_SECRET_KEY"):
        Settings(env=Environment.PRODUCTION, secret_key=DEV_SECRET_KEY)  # type: ignore[arg-type]
    assert Settings(env=Environment.DEVELOPMENT).env is Environment.DEVELOPMENT


def test_a_webhook_lease_shorter_than_three_timeouts_is_refused() -> None:
    with pytest.raises(ValidationError, match="at least 3"):
        Settings(webhook_timeout_seconds=30, webhook_lease_seconds=60)
    assert (
        Settings(webhook_timeout_seconds=20, webhook_lease_seconds=60).webhook_lease_seconds == 60
    )


@pytest.mark.parametrize("algorithm", ["none", "RS256", "ES256", "hs256"])
def test_the_token_algorithm_is_pinned_to_hmac(algorithm: str) -> None:
    with pytest.raises(ValidationError, match="jwt_algorithm"):
        Settings(jwt_algorithm=algorithm)
    assert Settings(jwt_algorithm="HS512").jwt_algorithm == "HS512"


def test_cors_origins_from_comma_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTCUA_CORS_ORIGINS", "https://a.example, https://b.example")
    assert Settings().cors_origins == ["https://a.example", "https://b.example"]


def _run_api(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    import os

    full = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "uvicorn", "services.api.main:app", "--port", "0"],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_secret_in_production_stops_with_one_line() -> None:
    result = _run_api({"MOTCUA_ENV": "production"})
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and "MOTCUA_SECRET_KEY" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_stops_with_clear_line() -> None:
    result = _run_api(
        {
            "MOTCUA_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none",
            "MOTCUA_LOG_LEVEL": "WARNING",
        }
    )
    assert result.returncode != 0
    assert "cannot reach the database at 127.0.0.1:1/none" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_api_process_keeps_the_collector_off_its_start_up_heap() -> None:
    import os

    probe = (
        "import gc, services.api.main; "
        "print(gc.get_threshold()[0], gc.get_freeze_count() > 100_000)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "MOTCUA_LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.split() == ["50000", "True"], result.stderr
