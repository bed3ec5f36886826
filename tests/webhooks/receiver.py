"""A webhook receiver for the crash drill: logs every delivery it accepted, one line each."""

from __future__ import annotations

import asyncio
import os
from typing import Any

LOG = os.environ.get("RECEIVER_LOG", "received.log")
DELAY = float(os.environ.get("RECEIVER_DELAY_SECONDS", "0.05"))


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await asyncio.sleep(DELAY)
    headers = dict(scope["headers"])
    with open(LOG, "a", encoding="utf-8") as log:  # noqa: ASYNC230 - a test receiver
        log.write(headers.get(b"webhook-id", b"-").decode() + "\n")
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
