"""ASGI middleware: request id, body-size limit, request log and Prometheus metrics."""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid

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


class RequestContextMiddleware:
    """Assigns ``X-Request-ID``, refuses bodies over the limit with 413, logs and measures."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = (
            incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        )
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status_holder = {"status": 500}
        path = scope.get("path", "")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            declared = headers.get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                await self._reject(send_wrapper, path)
                return
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
                    await send_wrapper(message)

            with contextlib.suppress(_BodyTooLarge):
                await self.app(scope, limited_receive, guarded_send)
            if exceeded and not started_response:
                await self._reject(send_wrapper, path)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            route_path = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            REQUESTS.labels(method, route_path, str(status_holder["status"])).inc()
            LATENCY.labels(method, route_path).observe(elapsed)
            logger.info(
                "%s %s %s",
                method,
                route_path,
                status_holder["status"],
                extra={"duration_ms": round(elapsed * 1000, 2)},
            )
            request_id_var.reset(token)

    async def _reject(self, send: Send, path: str) -> None:
        body, headers = _problem(
            413, "Content too large", f"The request body exceeds {self.max_body_bytes} bytes.", path
        )
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
