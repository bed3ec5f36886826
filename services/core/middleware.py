"""ASGI middleware: request id, body-size limit, request log and Prometheus metrics."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import time
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.core.errors import PROBLEM_JSON
from services.core.logging import request_id_var

logger = logging.getLogger("motcua.http")

REQUESTS = Counter("motcua_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "motcua_http_request_duration_seconds", "HTTP request duration", ["method", "route"]
)


class _BodyTooLarge(Exception):
    pass


def _problem(
    status: int, title: str, detail: str, path: str
) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    body = json.dumps(
        {
            "type": f"https://motcua.example/problems/{title.lower().replace(' ', '-')}",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": path,
        }
    ).encode()
    return body, [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
    ]


# Children of the labelled metrics, looked up once per (method, route, status): ``labels()``
# on every request cost more than the rest of this middleware. Routes are templates, so the
# table stays small.
_INSTRUMENTS: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _instruments(method: str, route: str, status: int) -> tuple[Any, Any]:
    key = (method, route, status)
    found = _INSTRUMENTS.get(key)
    if found is None:
        found = _INSTRUMENTS[key] = (
            REQUESTS.labels(method, route, str(status)),
            LATENCY.labels(method, route),
        )
    return found


# Request ids need to be unique, not secret: a random prefix per process and a counter, where
# 16 random bytes per request were a system call on the busiest path.
_ID_PREFIX = os.urandom(10).hex()
_ids = itertools.count(1)


class RequestContextMiddleware:
    """Assigns ``X-Request-ID``, refuses bodies over the limit with 413, answers HEAD as GET
    without its body, logs and measures."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = b""
        declared: bytes | None = None
        chunked = False
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value
            elif name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = True
        request_id = incoming.decode("latin-1")
        if not (0 < len(request_id) <= 64 and request_id.isprintable()):
            request_id = f"{_ID_PREFIX}{next(_ids):012x}"
        id_header = (b"x-request-id", request_id.encode())
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        method = scope["method"]
        # HEAD is GET without the body (RFC 9110): FastAPI's routes answer GET only.
        head = method == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            elif head:
                message = {**message, "body": b""}
            await send(message)

        try:
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                await self._reject(send_with_id, scope["path"])
            elif chunked:
                await self._call_limited(scope, receive, send_with_id)
            else:
                # A declared length bounds the body: the server reads no more than that.
                await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            route_path = getattr(route, "path", None) or "unmatched"
            requests, latency = _instruments(method, route_path, status)
            requests.inc()
            latency.observe(elapsed)
            if logger.isEnabledFor(logging.INFO):
                logger.info(
                    "%s %s %s",
                    method,
                    route_path,
                    status,
                    extra={"duration_ms": round(elapsed * 1000, 2)},
                )
            request_id_var.reset(token)

    async def _call_limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A body without a declared length (chunked) is counted as it arrives."""
        received = 0
        exceeded = False
        started_response = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # A parser may turn our exception into its own 400; the 413 must win.
            nonlocal started_response
            if not exceeded:
                started_response |= message["type"] == "http.response.start"
                await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, limited_receive, guarded_send)
        if exceeded and not started_response:
            await self._reject(send, scope["path"])

    async def _reject(self, send: Send, path: str) -> None:
        body, headers = _problem(
            413, "Content too large", f"The request body exceeds {self.max_body_bytes} bytes.", path
        )
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
