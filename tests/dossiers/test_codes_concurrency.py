"""Dossier codes stay unique and gap-free when two API processes receive at the same time."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import COMMITTED_OFFICER, COMMITTED_PROCEDURE, PASSWORD


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def api_processes(migrated_database: str) -> Iterator[list[str]]:
    urls, procs = [], []
    for _ in range(2):
        port = _free_port()
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "services.api.main:app",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                ],
                env={**os.environ, "MOTCUA_LOG_LEVEL": "WARNING"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30
        for url in urls:
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "API process did not start"
                time.sleep(0.2)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=20)


async def test_fifty_concurrent_creates_from_two_processes_get_consecutive_codes(
    api_processes: list[str], committed_agency: str
) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        token = await client.post(
            f"{api_processes[0]}/api/v1/auth/token",
            data={"username": COMMITTED_OFFICER, "password": PASSWORD},
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        body = {
            "procedure_code": COMMITTED_PROCEDURE,
            "channel": "in_person",
            "applicant": {"full_name": "Nguyễn Văn Song Song"},
        }
        responses = await asyncio.gather(
            *(
                client.post(f"{api_processes[i % 2]}/api/v1/dossiers", headers=headers, json=body)
                for i in range(50)
            )
        )
    assert [r.status_code for r in responses] == [201] * 50, [r.text for r in responses][:3]
    codes = sorted(r.json()["code"] for r in responses)
    prefix = codes[0].rsplit("-", 1)[0]
    assert codes == [f"{prefix}-{n:04d}" for n in range(1, 51)]
