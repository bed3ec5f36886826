"""Liveness, readiness and metrics for orchestrators and Prometheus."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from services.core.db import get_engine
from services.core.redis import get_redis

router = APIRouter(tags=["operations"])


async def check_database() -> None:
    async with get_engine().connect() as conn:
        await conn.execute(text("SELECT 1"))


async def check_redis() -> None:
    await get_redis().ping()


async def _probe(check: Any) -> str:
    try:
        await asyncio.wait_for(check(), timeout=3)
    except Exception as exc:  # a probe reports every failure as "down", whatever its kind
        return f"down: {type(exc).__name__}"
    return "ok"


@router.get(
    "/healthz",
    operation_id="healthz",
    summary="Liveness",
    description="The process is up. No dependency is checked.",
)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    operation_id="readyz",
    summary="Readiness",
    description="PostgreSQL and Redis are reachable; 503 otherwise.",
    responses={503: {"description": "A dependency is down"}},
)
async def readyz() -> JSONResponse:
    database, redis = await asyncio.gather(_probe(check_database), _probe(check_redis))
    ready = database == "ok" and redis == "ok"
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "database": database, "redis": redis},
        status_code=200 if ready else 503,
    )


@router.get(
    "/metrics",
    operation_id="metrics",
    summary="Prometheus metrics",
    description="Request counts and latencies in the Prometheus text format.",
    response_class=Response,
)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
