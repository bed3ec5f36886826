"""The baseline of the API benchmarks: FastAPI + asyncpg with no framework of ours.

One INSERT for a create and one SELECT by key for a lookup, with pydantic validation of the
same request shape — what any FastAPI service pays at minimum for these operations.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

DSN = os.environ["BENCH_BARE_DSN"]
pool: asyncpg.Pool | None = None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(DSN, min_size=2, max_size=10)
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


class Applicant(BaseModel):
    full_name: str
    id_number: str | None = None
    phone: str | None = None
    kind: str = "citizen"


class Create(BaseModel):
    procedure_code: str
    channel: str
    applicant: Applicant


@app.post("/bare/dossiers", status_code=201)
async def create(body: Create) -> dict[str, Any]:
    assert pool is not None
    row = await pool.fetchrow(
        "INSERT INTO bare_dossiers (procedure_code, channel, applicant_name, applicant_phone) "
        "VALUES ($1, $2, $3, $4) RETURNING id, created_at",
        body.procedure_code,
        body.channel,
        body.applicant.full_name,
        body.applicant.phone,
    )
    return {"id": row["id"], "created_at": row["created_at"].isoformat(), "status": "received"}


@app.get("/bare/dossiers/{dossier_id}")
async def lookup(dossier_id: int) -> dict[str, Any]:
    assert pool is not None
    row = await pool.fetchrow(
        "SELECT id, procedure_code, channel, applicant_name, created_at FROM bare_dossiers "
        "WHERE id = $1",
        dossier_id,
    )
    if row is None:
        raise HTTPException(404)
    return {**dict(row), "created_at": row["created_at"].isoformat()}
