"""Benchmark: 10,000 events delivered to a local webhook receiver.

    make bench-webhooks    # or: python bench/webhook_delivery.py [--events 10000]

Prints deliveries/s for a whole relay pass (fan-out, signing, HTTP, recording every attempt).
Target (issue: webhooks): ≥ 300 deliveries/s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    machine,
    print_table,
    recreate_database,
    reset_app_state,
    server,
)
from bench.portal_sync import AGENCY, seed


async def subscribe(url: str) -> None:
    import uuid

    from services.core.cli_support import command_session
    from services.core.settings import get_settings
    from services.identity.principal import Principal
    from services.webhooks import service
    from services.webhooks.schemas import SubscriptionCreate

    reset_app_state()
    principal = Principal(
        kind="api_key",
        id=uuid.uuid4(),
        name="bench",
        agency_code=AGENCY,
        scopes=frozenset({"webhooks:manage"}),
    )
    async with command_session() as session:
        await service.create(
            session,
            principal,
            SubscriptionCreate(url=url, event_types=["dossier.received"]),
            get_settings(),
        )


async def relay() -> tuple[dict[str, int], float]:
    from services.core.db import get_engine
    from services.webhooks.jobs import webhook_delivery

    reset_app_state()
    started = time.perf_counter()
    result = await webhook_delivery({})
    elapsed = time.perf_counter() - started
    await get_engine().dispose()
    return result, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    url = recreate_database("motcua_bench_webhooks")
    os.environ.update(
        MOTCUA_DATABASE_URL=url,
        MOTCUA_LOG_LEVEL="WARNING",
        MOTCUA_WEBHOOK_ALLOW_PRIVATE_URLS="true",
    )
    asyncio.run(seed(args.events))
    with server("bench.receiver:app", 1, {}) as receiver:
        asyncio.run(subscribe(f"{receiver}/hook"))
        result, elapsed = asyncio.run(relay())
        got = int(httpx.get(f"{receiver}/count").text)
    rate = result["delivered"] / elapsed if elapsed else 0.0
    print(f"\nmachine: {machine()}; receiver: 1 uvicorn worker on the same machine\n")
    print_table(
        ["events", "delivered", "received", "time", "deliveries/s", "target", "met"],
        [
            [
                args.events,
                result["delivered"],
                got,
                f"{elapsed:.1f} s",
                f"{rate:.0f}",
                "≥ 300",
                "yes" if rate >= 300 else "NO",
            ]
        ],
    )


if __name__ == "__main__":
    main()
