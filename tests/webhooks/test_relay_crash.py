"""The relay killed with SIGKILL mid-batch, then run again: every event reaches the receiver,
under one stable webhook-id each (receivers de-duplicate on it)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.core.clock import utcnow
from services.core.db import get_sessionmaker
from services.core.settings import get_settings
from services.dossiers import service as dossier_service
from services.dossiers.schemas import ApplicantIn, DossierCreate
from services.identity.principal import Principal
from services.webhooks import service
from services.webhooks.schemas import SubscriptionCreate
from tests.conftest import COMMITTED_AGENCY, COMMITTED_PROCEDURE

RELAY = [sys.executable, "-m", "services.cli", "run-job", "webhook-delivery"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_relay_killed_mid_batch(
    engine: AsyncEngine, committed_agency: str, tmp_path: Path
) -> None:
    log = tmp_path / "received.log"
    port = _port()
    env = {
        **os.environ,
        "RECEIVER_LOG": str(log),
        "RECEIVER_DELAY_SECONDS": "0.02",
        "MOTCUA_LOG_LEVEL": "WARNING",
        "MOTCUA_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        "MOTCUA_WEBHOOK_CONCURRENCY": "2",
        "MOTCUA_WEBHOOK_BATCH_SIZE": "10",
    }
    receiver = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tests.webhooks.receiver:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    principal = Principal(
        kind="api_key",
        id=uuid.uuid4(),
        name="t",
        agency_code=COMMITTED_AGENCY,
        scopes=frozenset({"dossiers:write", "webhooks:manage"}),
    )
    settings = get_settings()
    settings.webhook_allow_private_urls = True
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.post(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        log.unlink(missing_ok=True)
        async with get_sessionmaker()() as session, session.begin():
            await service.create(
                session,
                principal,
                SubscriptionCreate(
                    url=f"http://127.0.0.1:{port}/hook", event_types=["dossier.received"]
                ),
                settings,
            )
            for n in range(120):
                await dossier_service.create(
                    session,
                    principal,
                    DossierCreate(
                        procedure_code=COMMITTED_PROCEDURE,
                        channel="in_person",  # type: ignore[arg-type]
                        applicant=ApplicantIn(full_name=f"Người {n}"),
                    ),
                    utcnow(),
                    settings,
                )
        relay = subprocess.Popen(
            RELAY, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        while not log.exists() or len(log.read_text().splitlines()) < 20:
            assert time.monotonic() < deadline + 30 and relay.poll() is None
            await asyncio.sleep(0.02)
        relay.send_signal(signal.SIGKILL)
        relay.wait(timeout=10)
        at_kill = len(log.read_text().splitlines())
        assert at_kill < 120, "the kill should land mid-run"
        async with engine.begin() as conn:  # the killed run's lease has expired
            await conn.execute(
                text(
                    "UPDATE webhook_deliveries SET next_attempt_at = now() WHERE state = 'pending'"
                )
            )
        rerun = subprocess.run(RELAY, env=env, capture_output=True, timeout=120, check=False)
        assert rerun.returncode == 0, rerun.stderr
    finally:
        settings.webhook_allow_private_urls = None
        receiver.terminate()
        receiver.wait(timeout=20)
    received = Counter(log.read_text().split())
    assert len(received) == 120  # every event, under its own webhook-id
    async with engine.connect() as conn:
        states = dict(
            (
                await conn.execute(
                    text("SELECT state, count(*) FROM webhook_deliveries GROUP BY state")
                )
            )
            .tuples()
            .all()
        )
    assert states == {"delivered": 120}
    # A resend can only be of a delivery whose answer was lost in the kill (at most the ones in
    # flight then), and always under the same webhook-id.
    resent = sum(n - 1 for n in received.values())
    assert resent <= 2, received.most_common(3)
