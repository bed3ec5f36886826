"""Dossier codes stay unique and gap-free when two API processes receive at the same time."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.calendar.workingtime import TimeUnit
from services.core.security import hash_password
from services.identity.models import Agency, AgencyLevel, Role, User
from services.procedures.models import Procedure, SectorGroup
from tests.conftest import PASSWORD

AGENCY = "CONC.01"
PROCEDURE = "9.000050"


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


@pytest_asyncio.fixture
async def committed_agency(engine: AsyncEngine) -> AsyncIterator[None]:
    from sqlalchemy.ext.asyncio import AsyncSession

    async with engine.connect() as conn:
        seeded_before = set(
            (await conn.execute(text("SELECT year FROM calendar_seeded_years"))).scalars()
        )
    async with AsyncSession(engine) as session:
        session.add(Agency(code=AGENCY, name="Xã Đồng Thời", level=AgencyLevel.COMMUNE))
        await session.flush()
        session.add(
            User(
                username="conc-officer",
                password_hash=hash_password(PASSWORD),
                full_name="Cán bộ",
                role=Role.OFFICER,
                agency_code=AGENCY,
            )
        )
        session.add(
            Procedure(
                code=PROCEDURE,
                name="Thủ tục thử",
                name_folded="thu tuc thu",
                sector_code="x",
                sector_name="X",
                sector_group=SectorGroup.OTHER,
                time_limit_value=Decimal(1),
                time_limit_unit=TimeUnit.WORKING_DAYS,
            )
        )
        await session.commit()
    yield
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "DELETE FROM dossier_history WHERE dossier_id IN "
                "(SELECT id FROM dossiers WHERE receiving_agency_code = :a)"
            ),
            {"a": AGENCY},
        )
        await conn.execute(
            text("DELETE FROM outbox_events WHERE :a = ANY(agency_codes)"), {"a": AGENCY}
        )
        await conn.execute(
            text("DELETE FROM dossiers WHERE receiving_agency_code = :a"), {"a": AGENCY}
        )
        await conn.execute(
            text("DELETE FROM dossier_code_counters WHERE agency_code = :a"), {"a": AGENCY}
        )
        await conn.execute(delete(User).where(User.agency_code == AGENCY))
        await conn.execute(delete(Procedure).where(Procedure.code == PROCEDURE))
        await conn.execute(delete(Agency).where(Agency.code == AGENCY))
        # The API processes committed the calendar seed of this year: leave the database as found.
        years = set((await conn.execute(text("SELECT year FROM calendar_seeded_years"))).scalars())
        for year in years - seeded_before:
            await conn.execute(
                text(
                    "DELETE FROM calendar_days WHERE source = 'seed' AND "
                    "extract(year FROM day) = :y"
                ),
                {"y": year},
            )
            await conn.execute(
                text("DELETE FROM calendar_seeded_years WHERE year = :y"), {"y": year}
            )


async def test_fifty_concurrent_creates_from_two_processes_get_consecutive_codes(
    api_processes: list[str], committed_agency: None
) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        token = await client.post(
            f"{api_processes[0]}/api/v1/auth/token",
            data={"username": "conc-officer", "password": PASSWORD},
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        body = {
            "procedure_code": PROCEDURE,
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
